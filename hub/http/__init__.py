"""The hub's HTTP/1.1 server: connections on asyncio protocols, requests parsed by llhttp.

It replaces Tornado's ``HTTPServer`` (its ``IOStream`` reads, per-request coroutines and
Python header parsing cost about 0.14 ms of CPU per request, a fifth of a proxied call) and
speaks Tornado's delegate interfaces, so the application, its handlers and
``SessionPost`` run on it unchanged: ``server`` listens and tracks connections,
``protocol`` reads requests from one connection, ``exchange`` writes one response.
"""

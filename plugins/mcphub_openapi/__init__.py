"""OpenAPI upstreams: REST APIs described by OpenAPI 3.0/3.1 served as MCP tools.

Depends on the ``mcphub_http`` plugin package for its HTTP client (the lean keep-alive
transport, the shared TLS context, URL checks); the egress policy comes from the core
through ``Target.http_options``.
"""

"""Upstream transport plugins over HTTP: legacy HTTP+SSE (``sse``) and streamable HTTP.

Both share ``client`` (config model, checks, the httpx2 client with passthrough headers and
the 401 probe) and ``lean`` (the keep-alive HTTP/1.1 transport under that client, framed by
llhttp in ``framing``). Other plugins that speak HTTP to upstreams (``mcphub_openapi``)
import ``mcphub_http.client``; the egress (SSRF) policy stays in the core, reached through
``Target.http_options``.
"""

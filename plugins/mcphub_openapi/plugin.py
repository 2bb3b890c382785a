"""Registers the ``openapi`` transport: REST APIs described by OpenAPI 3.0/3.1 as tools."""

from __future__ import annotations

from hub import hookimpl
from hub.plugins import Registry
from mcphub_openapi.transport import OpenAPITransport


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register("openapi", OpenAPITransport())

"""Registers the ``openapi`` transport: REST APIs described by OpenAPI 3.0/3.1 as tools."""

from __future__ import annotations

from hub.plugin_api import Registry, hookimpl
from mcphub_openapi.transport import OpenAPITransport


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register("openapi", OpenAPITransport())

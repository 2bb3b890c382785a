"""OpenAPI upstreams: REST APIs described by OpenAPI 3.0/3.1 served as MCP tools."""

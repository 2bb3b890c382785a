"""The built-in catalogs: ``market`` (a curated catalog shipped with the hub, or MCPHub's
``servers.json`` format at ``systemConfig.market.url``), ``cloud`` (MCPRouter) and
``registry`` (the official MCP registry, v0.1). Each module is its own plugin."""

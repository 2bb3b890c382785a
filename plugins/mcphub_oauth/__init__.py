"""The hub as an OAuth 2.1 authorization server for MCP clients (built-in plugin).

Metadata (RFC 8414, RFC 9728 with path-suffixed forms), ``/oauth/authorize`` with the user's
login and an explicit consent step, ``/oauth/token`` (authorization code with PKCE S256,
refresh with rotation), dynamic registration (RFC 7591/7592), ``/oauth/userinfo`` and
revocation (RFC 7009); access tokens are accepted on every MCP route with their user's
rights. Everything follows ``systemConfig.oauthServer`` at run time.
"""

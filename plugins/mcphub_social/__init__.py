"""Social login (built-in plugin): GitHub (OAuth 2 + its user API) and any OpenID Connect
provider (discovery, code + PKCE, ID token checked), configured under MCPHub's
``systemConfig.auth.betterAuth``. A first login creates a non-admin user; ``GET
/api/better-auth/user`` answers as MCPHub."""

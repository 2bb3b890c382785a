"""Server catalogs and bundles: the contract catalog plugins follow, bounded outbound
fetches for them, the market format's install rules, and MCPB bundle unpacking and
manifests."""

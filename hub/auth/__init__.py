"""Who is calling (identity) and what they may do (authorization), passwords, tokens, limits."""

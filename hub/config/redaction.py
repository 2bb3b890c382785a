"""Masking secrets in what the API returns, and restoring them when a masked value comes back.

Responses show ``MASK`` where a secret was; a client that sends a document back unchanged
(the dashboard's edit form does) must not overwrite the stored secret with the mask, so
``restore`` puts the stored value back wherever the client returned the masked form of it.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

MASK = "******"

SECRET_NAME = re.compile(
    r"(authorization|cookie|token|secret|passw(or)?d|api[-_]?key|credential|session|signature"
    r"|(^|[-_])key$|^key$|private)",
    re.IGNORECASE,
)
"""Header names and URL query parameters whose values are treated as secrets."""

SECRET_KEYS = frozenset(
    {
        "clientSecret",
        "client_secret",
        "accessToken",
        "refreshToken",
        "codeVerifier",
        "initialAccessToken",
        "registrationAccessToken",
        "registration_access_token",
        "password",
        "credentials",
        "token",
        "apiKey",
        "openaiApiKey",
        "azureOpenaiApiKey",
        "bearerAuthKey",
        "tokenHash",
    }
)
"""Keys of structured sections (oauth, openapi.security, proxy, systemConfig) holding secrets."""

TOKEN_PREFIX = re.compile(
    r"^(sk-|sk_|pk_live_|rk_|ghp_|gho_|ghs_|ghu_|ghr_|github_pat_|glpat-|xox[abposr]-|AKIA|ASIA"
    r"|AIza|eyJ|mcphub_|hf_|ya29\.|npm_|pypi-|shpat_|SG\.)"
)
"""Prefixes of well-known credential formats (OpenAI, Stripe, GitHub, GitLab, Slack, AWS,
Google, JWTs, the hub's own keys, Hugging Face, npm, PyPI, Shopify, SendGrid)."""
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-+/=.~]{20,}$")


def looks_like_token(value: str) -> bool:
    """A value that is probably a credential whatever its name: a known token prefix, or a
    long unbroken run of letters and digits (at least 20 characters, mixing both, with more
    than two digits) that is not a path."""
    if len(value) < 8:
        return False
    if TOKEN_PREFIX.match(value):
        return True
    if not _TOKEN_SHAPE.match(value) or value.startswith(("/", ".", "~")):
        return False
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    return digits > 2 and letters > 2


def _mask_named(name: str, value: Any) -> Any:
    """One env or header value: masked when its name or its value looks secret; a URL keeps
    everything but its password and secret query values."""
    if SECRET_NAME.search(name):
        return _secret_text(value)
    if isinstance(value, str) and not _ENV_REF.match(value):
        if looks_like_token(value):
            return MASK
        if "://" in value:
            return mask_url(value)
    return value


_ENV_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$|^\$[A-Z_][A-Z0-9_]*$")


def _secret_text(value: Any) -> Any:
    """A non-empty string becomes the mask; a bare ``${VAR}`` reference is no secret."""
    if isinstance(value, str) and value and not _ENV_REF.match(value):
        return MASK
    return value


def mask_url(url: str) -> str:
    """Hide a URL's password and the values of secret-looking query parameters."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(SECRET_NAME.search(k) for k, _ in pairs):
            query = "&".join(
                f"{urllib.parse.quote(k, safe='')}="
                + (MASK if SECRET_NAME.search(k) and v else urllib.parse.quote(v, safe="${}"))
                for k, v in pairs
            )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


def mask_keys(value: Any, keys: frozenset[str] = SECRET_KEYS) -> Any:
    """Mask the values of secret keys anywhere inside nested dicts and lists."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in keys and isinstance(v, str):
                out[k] = _secret_text(v)
            elif k == "apiKey" and isinstance(v, dict):
                out[k] = {**v, "value": _secret_text(v.get("value"))} if "value" in v else v
            elif k == "dbUrl" and isinstance(v, str):
                out[k] = mask_url(v)
            else:
                out[k] = mask_keys(v, keys)
        return out
    if isinstance(value, list):
        return [mask_keys(v, keys) for v in value]
    return value


def mask_server(config: dict[str, Any]) -> dict[str, Any]:
    """A server config (wire form) with secret env values and headers (by name or by value,
    ``_mask_named``) and credentials hidden; other values are shown to those who may read
    the config (``LOG_LEVEL=debug`` is no secret)."""
    out = dict(config)
    for section in ("env", "headers"):
        if isinstance(out.get(section), dict):
            out[section] = {k: _mask_named(k, v) for k, v in out[section].items()}
    hidden = out.get("secretArgs")
    if isinstance(hidden, list) and isinstance(out.get("args"), list):
        # Arguments known to carry secrets (an MCPB bundle's sensitive user_config values).
        out["args"] = [MASK if i in hidden else a for i, a in enumerate(out["args"])]
    if isinstance(out.get("url"), str):
        out["url"] = mask_url(out["url"])
    for section in ("oauth", "openapi", "proxy"):
        if isinstance(out.get(section), dict):
            out[section] = mask_keys(out[section])
    if isinstance(out.get("openapi"), dict) and isinstance(out["openapi"].get("url"), str):
        out["openapi"]["url"] = mask_url(out["openapi"]["url"])
    return out


def mask_system(system: dict[str, Any]) -> dict[str, Any]:
    """systemConfig (wire form) with API keys and database passwords hidden."""
    return mask_keys(system)  # type: ignore[no-any-return]


def mask_export(doc: dict[str, Any]) -> dict[str, Any]:
    """A whole ``mcp_settings.json`` export with every secret the hub holds hidden."""
    out = dict(doc)
    out["mcpServers"] = {n: mask_server(c) for n, c in doc.get("mcpServers", {}).items()}
    if isinstance(doc.get("systemConfig"), dict):
        out["systemConfig"] = mask_system(doc["systemConfig"])
    for section in ("users", "bearerKeys", "oauthClients", "oauthTokens"):
        if isinstance(doc.get(section), list):
            out[section] = mask_keys(doc[section])
    return out


def contains_mask(value: Any) -> bool:
    if isinstance(value, str):
        return MASK in value
    if isinstance(value, dict):
        return any(contains_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_mask(v) for v in value)
    return False


def restore(new: Any, old: Any) -> Any:
    """``new`` with every masked value that stands for the same place in ``old`` put back.

    A string is restored when it is the mask itself or the masked form of the old URL;
    anything else the client changed is kept as sent.
    """
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: restore(v, old.get(k)) for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [restore(n, o) for n, o in zip(new, old, strict=True)]
    masked = isinstance(new, str) and isinstance(old, str) and MASK in new
    if masked and (new == MASK or mask_url(old) == new):
        return old
    return new

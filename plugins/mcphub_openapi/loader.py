"""Reading a spec: fetch (once) or take it inline, parse, check, resolve local ``$ref``s.

Only references inside the document (``#/...``) are followed; a reference to another
document is an error, so loading never reaches a URL the config did not name. A reference
cycle is cut where it closes (the inner occurrence becomes an empty schema).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx2

MAX_SPEC_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 30.0


class SpecError(ValueError):
    """The spec cannot be used; the message is one line for the server's status."""


@dataclass(frozen=True)
class Spec:
    document: dict[str, Any]
    """The document as read (refs not inlined), for openapi-core and ``ref``."""
    base_url: str
    version: str
    """``3.0`` or ``3.1``."""
    source: str | None = None


async def fetch(url: str, headers: Mapping[str, str], *, client: httpx2.AsyncClient) -> Any:
    """GET the spec document and parse it as JSON or YAML."""
    try:
        async with client.stream(
            "GET", url, headers=dict(headers), timeout=FETCH_TIMEOUT, follow_redirects=True
        ) as response:
            if response.status_code >= 400:
                raise SpecError(f"fetching the spec from {url} failed: HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_SPEC_BYTES:
                    raise SpecError(f"the spec at {url} is larger than {MAX_SPEC_BYTES} bytes")
            content_type = response.headers.get("content-type", "")
    except httpx2.HTTPError as exc:
        raise SpecError(
            f"fetching the spec from {url} failed: {type(exc).__name__}: {exc}"
        ) from None
    return parse(bytes(body), content_type, url)


def parse(body: bytes, content_type: str = "", where: str = "the spec") -> Any:
    text = body.decode("utf-8-sig", errors="replace")
    if "json" in content_type or text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as exc:
            if "json" in content_type:
                raise SpecError(f"{where} is not valid JSON: {exc}") from None
    import yaml  # only YAML specs need it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"{where} is neither JSON nor YAML: {first}") from None


def check(document: Any) -> str:
    """The document's OpenAPI minor version (``3.0``/``3.1``); ``SpecError`` if unusable."""
    if not isinstance(document, dict):
        raise SpecError("the spec is not an object")
    if "swagger" in document:
        raise SpecError("Swagger 2.0 is not supported (OpenAPI 3.0 or 3.1 needed)")
    version = document.get("openapi")
    match = re.fullmatch(r"(3\.[01])\.\d+(-.+)?", str(version or ""))
    if match is None:
        raise SpecError(f"unsupported OpenAPI version {version!r} (3.0 or 3.1 needed)")
    paths = document.get("paths", {})
    if not isinstance(paths, dict):
        raise SpecError("the spec's paths is not an object")
    if not isinstance(document.get("info", {}), dict):
        raise SpecError("the spec's info is not an object")
    return match.group(1)


def base_url(document: dict[str, Any], spec_url: str | None, fallback: str | None) -> str:
    """Where operations are sent: ``servers[0].url`` resolved against the spec's location.

    MCPHub starts from the spec URL's origin; an absolute server URL replaces it, a relative
    one is resolved against the spec URL (RFC 3986), and server variables take their defaults.
    """
    anchor = spec_url or fallback or ""
    origin = ""
    if anchor:
        parts = urlsplit(anchor)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    servers = document.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    if not isinstance(first, dict) or not isinstance(first.get("url"), str):
        return origin
    url = _substitute(first["url"], first.get("variables"))
    if urlsplit(url).scheme in ("http", "https"):
        return url.rstrip("/")
    if not anchor:
        return ""
    return urljoin(anchor, url).rstrip("/")


def _substitute(url: str, variables: Any) -> str:
    if not isinstance(variables, dict):
        return url

    def repl(match: re.Match[str]) -> str:
        var = variables.get(match.group(1))
        return str(var.get("default", "")) if isinstance(var, dict) else match.group(0)

    return re.sub(r"\{([^}]+)\}", repl, url)


class Resolver:
    """Inlines local ``$ref``s on demand; results are cached per pointer.

    Resolved nodes are shared between their users: callers must not mutate them.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._cache: dict[str, Any] = {}

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SpecError(f"external $ref {ref!r} is not supported (only #/... references)")
        node: Any = self.document
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            token = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise SpecError(f"unresolvable $ref {ref!r}")
        return node

    def resolve(self, node: Any, stack: tuple[str, ...] = ()) -> Any:
        """A copy of ``node`` with every ``$ref`` inside it inlined (cycles cut)."""
        if isinstance(node, list):
            return [self.resolve(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in stack:
                return {"description": f"(recursive: {ref.rsplit('/', 1)[-1]})"}
            if ref not in self._cache:
                self._cache[ref] = self.resolve(self.pointer(ref), (*stack, ref))
            target = self._cache[ref]
            siblings = {k: self.resolve(v, stack) for k, v in node.items() if k != "$ref"}
            if siblings and isinstance(target, dict):
                # OpenAPI 3.1 lets a $ref carry siblings (description, summary …): they win.
                return {**target, **siblings}
            return target
        return {k: self.resolve(v, stack) for k, v in node.items()}

    def shallow(self, node: Any) -> Any:
        """Follow ``$ref`` chains at the top of ``node`` only (for parameter and body objects)."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"$ref cycle at {ref!r}")
            seen.add(ref)
            node = self.pointer(ref)
        return node

"""The merged MCP catalog: what one scope (a set of servers, maybe a group) lists and may call.

A ``View`` is built from the upstreams' cached lists (``hub.upstreams.state``) with the
server toggles, description overrides and group selections applied. Views are immutable
and cached per scope; any change event on the bus drops the cache and bumps the version,
so the same filtered view answers both ``*/list`` and the call-time checks.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mcp.shared.uri_template import InvalidUriTemplate, UriTemplate

from hub.config.events import ChangeEvent, Kind
from hub.config.models import GroupServer, ItemOverride, Selection
from hub.mcp.builtin_items import BUILTIN, prompt_item, resource_item
from hub.mcp.smart_tools import SMART, meta_tools
from hub.upstream.state import Status

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

PAGE_SIZE = 500
"""Items per ``*/list`` page; clients follow ``nextCursor`` beyond it."""

INVALIDATING = frozenset(
    {Kind.SERVERS, Kind.UPSTREAM, Kind.GROUPS, Kind.SYSTEM, Kind.KEYS, Kind.IMPORTED, Kind.BUILTINS}
)
"""Change kinds after which a view may differ."""

KINDS = ("tools", "prompts", "resources", "resource_templates")
LIST_KEYS = {
    "tools/list": ("tools", "tools"),
    "prompts/list": ("prompts", "prompts"),
    "resources/list": ("resources", "resources"),
    "resources/templates/list": ("resource_templates", "resourceTemplates"),
}
"""List method → (View attribute, wire key of the result list)."""


@dataclass(frozen=True)
class Scope:
    """What a session may reach: servers (already cut by the caller's rights), a group, naming."""

    servers: tuple[str, ...]
    group: str | None = None
    prefixed: bool = True
    smart: bool = False
    """Smart routing: list the meta-tools; search and call what the rest of the scope lists."""


@dataclass
class View:
    """The filtered, merged lists of one scope at one catalog version."""

    version: int
    tools: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_templates: list[dict[str, Any]] = field(default_factory=list)
    tool_index: dict[str, tuple[str, str]] = field(default_factory=dict)
    prompt_index: dict[str, tuple[str, str]] = field(default_factory=dict)
    resource_index: dict[str, str] = field(default_factory=dict)
    template_owners: list[tuple[str, UriTemplate]] = field(default_factory=list)
    schemas: dict[str, Any] = field(default_factory=dict)
    searches: Scope | None = None
    """For a ``$smart`` view: the scope whose tools its meta-tools search and call."""
    held_tools: dict[str, str] = field(default_factory=dict)
    """Exposed name → server of tools held back for a changed definition (``pins``)."""
    wire: dict[tuple[str, str, str | None], dict[str, Any]] = field(default_factory=dict)
    """Pre-serialised list results keyed by (method, protocol version, cursor)."""
    encoded: dict[int, tuple[list[dict[str, Any]], bytes]] = field(default_factory=dict)
    """The JSON of each cached list result, keyed by ``id`` of its item list (kept alive
    here), so a reply carrying that very list is spliced rather than re-encoded."""

    def tool(self, name: str) -> tuple[str, str] | None:
        """(server, upstream tool name) of a listed tool, or None."""
        return self.tool_index.get(name)

    def unknown_tool(self, name: str) -> str:
        """Why ``name`` cannot be called here (it is not a tool of this view)."""
        server = self.held_tools.get(name)
        if server is None:
            return f"Unknown tool: {name}"
        return (
            f"Tool {name} of server '{server}' is held back: its definition changed since it "
            "was approved (or was never approved); an admin must approve it first"
        )

    def prompt(self, name: str) -> tuple[str, str] | None:
        return self.prompt_index.get(name)

    def resource_owner(self, uri: str) -> str | None:
        """The server that lists ``uri``, else the first whose listed template matches it."""
        owner = self.resource_index.get(uri)
        if owner is not None:
            return owner
        for server, template in self.template_owners:
            try:
                if template.match(uri) is not None:
                    return server
            except ValueError:
                continue
        return None

    def tool_schema(self, name: str) -> Any | None:
        return self.schemas.get(name)

    def page(self, kind: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list and the cursor of the next; ValueError on a bad cursor."""
        items: list[dict[str, Any]] = getattr(self, kind)
        start = decode_cursor(cursor) if cursor else 0
        if start < 0 or start > len(items):
            raise ValueError("cursor out of range")
        end = start + PAGE_SIZE
        return items[start:end], encode_cursor(end) if end < len(items) else None

    def differs(self, other: View | None) -> list[str]:
        """Kinds whose list content differs from ``other`` (all kinds when there is none)."""
        if other is None:
            return list(KINDS)
        return [k for k in KINDS if getattr(self, k) != getattr(other, k)]


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not raw.startswith("o") or not raw[1:].isdigit():
        raise ValueError("invalid cursor")
    return int(raw[1:])


def _selected(selection: Selection, name: str) -> bool:
    return selection == "all" or name in selection


def _template_selected(selection: Selection, template: str) -> bool:
    """A template stays when named in the selection, or a selected URI falls under its prefix."""
    if selection == "all" or template in selection:
        return True
    static = template.split("{", 1)[0]
    return bool(static) and any(uri.startswith(static) for uri in selection)


def _apply(item: dict[str, Any], override: ItemOverride | None) -> dict[str, Any] | None:
    """None when the override disables the item; a copy with the description replaced."""
    if override is None:
        return item
    if override.enabled is False:
        return None
    if override.description is not None:
        return {**item, "description": override.description}
    return item


class Catalog:
    """Builds and caches views; tells listeners when the catalog may have changed."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.version = 0
        self._views: dict[Scope, View] = {}
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribe = hub.bus.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()
        self._listeners.clear()

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` (synchronously, so it must be quick) after each invalidation."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def invalidate(self) -> None:
        self.version += 1
        self._views.clear()
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("Catalog change listener failed")

    def _on_event(self, event: ChangeEvent) -> None:
        if event.kind in INVALIDATING:
            self.invalidate()

    # ------------------------------------------------------------------ views

    def view(self, scope: Scope) -> View:
        view = self._views.get(scope)
        if view is None:
            view = self._build(scope)
            self._views[scope] = view
        return view

    def _build(self, scope: Scope) -> View:
        if scope.smart:
            return self._smart(scope)
        config = self.hub.config
        sep = config.system.name_separator
        group = config.groups.get(scope.group) if scope.group else None
        members: dict[str, GroupServer] = {s.name: s for s in group.servers} if group else {}
        view = View(self.version)
        # The hub's own prompts and resources come first and win a name clash, as in MCPHub.
        for builtin_prompt in config.prompts.values():
            if builtin_prompt.enabled and builtin_prompt.name not in view.prompt_index:
                view.prompts.append(prompt_item(builtin_prompt))
                view.prompt_index[builtin_prompt.name] = (BUILTIN, builtin_prompt.id)
        for builtin_resource in config.resources.values():
            if builtin_resource.enabled and builtin_resource.uri not in view.resource_index:
                view.resources.append(resource_item(builtin_resource))
                view.resource_index[builtin_resource.uri] = BUILTIN
        for server in scope.servers:
            cfg = config.servers.get(server)
            state = self.hub.upstreams.state(server)
            if cfg is None or not cfg.enabled or state.status != Status.CONNECTED:
                continue
            member = members.get(server)
            tool_over = cfg.tools or {}
            prompt_over = cfg.prompts or {}
            res_over = cfg.resources or {}
            held = self.hub.tool_pins.held(server)
            for tool in state.tools:
                name = tool.get("name")
                full = f"{server}{sep}{name}"
                if not isinstance(name, str) or (member and not _selected(member.tools, name)):
                    continue
                item = _apply(tool, tool_over.get(full))
                exposed = full if scope.prefixed else name
                if item is None or exposed in view.tool_index:
                    continue
                if name in held:
                    view.held_tools[exposed] = server
                    continue
                if exposed != name:
                    item = {**item, "name": exposed}
                view.tools.append(item)
                view.tool_index[exposed] = (server, name)
                view.schemas[exposed] = item.get("inputSchema")
            for prompt in state.prompts:
                name = prompt.get("name")
                full = f"{server}{sep}{name}"
                if not isinstance(name, str) or (member and not _selected(member.prompts, name)):
                    continue
                item = _apply(prompt, prompt_over.get(full))
                exposed = full if scope.prefixed else name
                if item is None or exposed in view.prompt_index:
                    continue
                if exposed != name:
                    item = {**item, "name": exposed}
                view.prompts.append(item)
                view.prompt_index[exposed] = (server, name)
            for resource in state.resources:
                uri = resource.get("uri")
                if not isinstance(uri, str) or (member and not _selected(member.resources, uri)):
                    continue
                item = _apply(resource, res_over.get(uri))
                if item is None or uri in view.resource_index:
                    continue
                view.resources.append(item)
                view.resource_index[uri] = server
            for template in state.resource_templates:
                raw = template.get("uriTemplate")
                if not isinstance(raw, str):
                    continue
                if member and not _template_selected(member.resources, raw):
                    continue
                item = _apply(template, res_over.get(raw))
                if item is None:
                    continue
                try:
                    compiled = UriTemplate.parse(raw)
                except (InvalidUriTemplate, ValueError):
                    log.warning("Upstream %s lists an unparsable URI template", server)
                    continue
                view.resource_templates.append(item)
                view.template_owners.append((server, compiled))
        return view

    def _smart(self, scope: Scope) -> View:
        """Only the meta-tools; their description names the servers the search reaches."""
        searched = replace(scope, smart=False, prefixed=True)
        base = self.view(searched)
        servers = sorted({server for server, _ in base.tool_index.values()})
        progressive = self.hub.config.system.smart_routing.progressive_disclosure
        view = View(self.version, searches=searched)
        for tool in meta_tools(servers, progressive):
            view.tools.append(tool)
            view.tool_index[tool["name"]] = (SMART, tool["name"])
            view.schemas[tool["name"]] = tool["inputSchema"]
        return view

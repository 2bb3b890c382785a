"""The hub's tools as a REST service (OpenWebUI-style tool server), as MCPHub offers it.

``/api/openapi.json`` and ``/api/{group}/openapi.json`` describe the tools the caller may
use; ``/api/tools/{server}/{tool}`` (and the group form) call one with the arguments from the
query or the JSON body, converted by the tool's schema. Calls go through the MCP kernel's
``invoke_tool`` with the view of the same route on ``/mcp``, so group scope, key scope,
toggles and ownership are enforced exactly as for MCP (MCPHub ignores the group here).
Bearer keys of any scope are accepted on these routes: their scope cuts the view.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ConfigDict, Field

from hub.api.api_spec import Op, Param
from hub.api.base import APIHandler
from hub.api.tool_server_spec import document
from hub.auth.permissions import Action
from hub.auth.principal import Policy
from hub.errors import BadRequest, NotFound
from hub.mcp.catalog import Scope, View
from hub.mcp.method_handlers import CallInfo
from hub.mcp.route_access import GateError, Route, resolve, scope_for
from hub.mcp.tool_calls import RestDownstream, UnknownTool, invoke_tool
from hub.upstream.state import Status

log = logging.getLogger(__name__)

SEGMENT = r"[^/]+"
DOC_CACHE = 64
_INT = re.compile(r"-?\d+")


# ---------------------------------------------------------------------- argument conversion


def _kind(schema: Any) -> str | None:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def convert(value: Any, schema: Any) -> Any:
    """A string argument turned into what the schema asks for; anything else left alone."""
    if not isinstance(value, str):
        return value
    kind = _kind(schema)
    try:
        if kind == "integer" and _INT.fullmatch(value.strip()):
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if kind == "array":
            items = json.loads(value) if value.startswith("[") else value.split(",")
            inner = schema.get("items") if isinstance(schema, dict) else None
            return [convert(v, inner) for v in items] if isinstance(items, list) else items
        if kind == "object" and value.startswith("{"):
            return json.loads(value)
    except (ValueError, RecursionError):
        return value
    return value


def convert_all(arguments: dict[str, Any], schema: Any) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    props = props if isinstance(props, dict) else {}
    return {k: convert(v, props.get(k)) for k, v in arguments.items()}


# ---------------------------------------------------------------------- documented shapes


class Arguments(BaseModel):
    """The tool's arguments as one JSON object (strings are converted by the tool's schema)."""

    model_config = ConfigDict(extra="allow")


class ToolResult(BaseModel):
    """The upstream's MCP CallToolResult, as is."""

    model_config = ConfigDict(extra="allow")
    content: list[dict[str, Any]] = Field(default_factory=list)
    structuredContent: dict[str, Any] | None = None
    isError: bool | None = None


class ServerCall(BaseModel):
    toolName: str
    arguments: dict[str, Any] | None = None


class ServerCallAnswer(BaseModel):
    success: bool
    data: dict[str, Any]


class ServersAnswer(BaseModel):
    success: bool
    data: list[str]


class StatsAnswer(BaseModel):
    success: bool
    data: dict[str, Any]


_STR = {"type": "string"}
DOC_QUERY = (
    Param("group", _STR, "Only this group's tools (id or name)"),
    Param("servers", _STR, "Comma-separated server names"),
    Param("includeDisabled", {"type": "string", "enum": ["true", "false"]}),
    Param(
        "serverUrl", _STR, "Base URL clients should call (default: install.baseUrl or this host)"
    ),
    Param("title", _STR),
    Param("description", _STR),
    Param("version", _STR),
)


# ---------------------------------------------------------------------- handlers


class ToolsHandler(APIHandler):
    """Authenticated like the rest of ``/api``, but asked as ``use-tools``: the core rules let
    scoped bearer keys in here (their scope cuts the view), unlike the management API."""

    policy = Policy.AUTHENTICATED
    action = Action.USE_TOOLS

    async def route(self, segment: str | None) -> Route:
        """The group or server a URL segment names, if the caller may reach it; else 404."""
        if not segment:
            return Route()
        try:
            route = await resolve(self.hub, self.principal, segment, None)
        except GateError:
            raise NotFound("Group or server not found") from None
        if route.smart:
            raise NotFound("Smart routing has no REST tools")
        return route

    def scoped(self, route: Route) -> tuple[Scope, View]:
        scope = scope_for(self.hub, route, self.principal)
        return scope, self.hub.catalog.view(scope)

    def exposed(self, view: View, server: str, tool: str) -> str:
        """The view's name for the upstream tool ``tool`` of ``server``; the prefixed name
        when the view has none, so that ``call`` refuses it (and the refusal is recorded)."""
        sep = self.hub.config.system.name_separator
        for name in (f"{server}{sep}{tool}", tool):
            if view.tool(name) == (server, tool):
                return name
        return f"{server}{sep}{tool}"

    @staticmethod
    def missing(server: str, tool: str) -> str:
        return f"Tool '{tool}' of server '{server}' not found"

    async def call(
        self, route: Route, name: str, arguments: dict[str, Any], missing: str | None = None
    ) -> dict[str, Any]:
        _, view = self.scoped(route)
        downstream = RestDownstream(self.request.headers)
        info = CallInfo(self.hub, view, self.principal, route.group, downstream, via="openapi")
        session = self.request.headers.get("x-session-id") or "openapi-session"
        try:
            return await invoke_tool(info, name, arguments, session_id=session)
        except UnknownTool as exc:
            raise NotFound(missing or exc.message) from None
        except MCPError as exc:
            raise BadRequest(exc.error.message) from None


class ToolCallHandler(ToolsHandler):
    """GET|POST ``/api[/{group}]/tools/{server}/{tool}``: the raw CallToolResult."""

    docs = {
        "GET": Op("Call a tool with its arguments in the query", response=ToolResult),
        "POST": Op("Call a tool with its arguments as the JSON body", Arguments, ToolResult),
    }

    async def get(self, server: str, tool: str, group: str | None = None) -> None:
        route = await self.route(group)
        _, view = self.scoped(route)
        name = self.exposed(view, server, tool)
        schema = view.tool_schema(name) or {}
        props = schema.get("properties") if isinstance(schema, dict) else None
        raw: dict[str, Any] = {}
        for key, values in self.request.query_arguments.items():
            texts = [v.decode("utf-8", errors="replace") for v in values]
            wants_list = isinstance(props, dict) and _kind(props.get(key)) == "array"
            raw[key] = texts if wants_list and len(texts) > 1 else texts[-1]
        arguments = convert_all(raw, schema)
        self.send_json(await self.call(route, name, arguments, self.missing(server, tool)))

    async def post(self, server: str, tool: str, group: str | None = None) -> None:
        route = await self.route(group)
        _, view = self.scoped(route)
        name = self.exposed(view, server, tool)
        body = self.json_body() if self.request.body else {}
        if not isinstance(body, dict):
            raise BadRequest("Request body must be a JSON object")
        arguments = convert_all(body, view.tool_schema(name))
        self.send_json(await self.call(route, name, arguments, self.missing(server, tool)))


class ServerCallHandler(ToolsHandler):
    """POST ``/api/tools/call/{server}`` with ``{toolName, arguments}`` (enveloped)."""

    docs = {"POST": Op("Call a tool of a server (MCPHub form)", ServerCall, ServerCallAnswer)}

    async def post(self, server: str) -> None:
        body = self.json_body()
        if not isinstance(body, dict) or not isinstance(body.get("toolName"), str):
            raise BadRequest("toolName is required")
        tool_name: str = body["toolName"]
        arguments = body.get("arguments") or {}
        if not isinstance(arguments, dict):
            raise BadRequest("arguments must be an object")
        route = Route()
        _, view = self.scoped(route)
        sep = self.hub.config.system.name_separator
        name = tool_name if tool_name.startswith(f"{server}{sep}") else f"{server}{sep}{tool_name}"
        missing = self.missing(server, tool_name)
        target = view.tool(name)
        if target is not None and target[0] != server:
            raise NotFound(missing)
        converted = convert_all(arguments, view.tool_schema(name))
        result = await self.call(route, name, converted, missing)
        self.reply({**result, "toolName": tool_name, "arguments": converted})


class DocHandler(ToolsHandler):
    """``/api/openapi.json`` and ``/api/{group}/openapi.json`` (not enveloped)."""

    docs = {
        "GET": Op("The caller's tools as an OpenAPI 3.1 document", query=DOC_QUERY, errors=(404,))
    }

    async def get(self, segment: str | None = None) -> None:
        query = {k: self.get_query_argument(k, "") for k in self.request.query_arguments}
        if segment is None and query.get("group"):
            route = await self.route(query["group"])
            if route.group is None:
                raise NotFound("Group not found")
            segment = query["group"]
        else:
            route = await self.route(segment)
        scope, view = self.scoped(route)
        wanted = {s for s in query.get("servers", "").split(",") if s} or None
        include_disabled = query.get("includeDisabled") == "true"
        base = self.base_url(query.get("serverUrl") or "")
        api = f"{base}{self.hub.base_path}/api" + (f"/{quote(segment, safe='')}" if segment else "")
        key = (
            view.version,
            scope,
            frozenset(wanted or ()),
            include_disabled,
            api,
            query.get("title"),
            query.get("description"),
            query.get("version"),
        )
        cache = self.hub.documents.setdefault("tools", {})
        doc = cache.get(key)
        if doc is None:
            tools = self.listed(scope, view, include_disabled)
            if wanted is not None:
                tools = [x for x in tools if x[1] in wanted]
            extra = {k: query[k] for k in ("title", "description", "version") if query.get(k)}
            doc = document(tools, api, **extra)
            if len(cache) >= DOC_CACHE:
                cache.clear()
            cache[key] = doc
        self.set_header("Access-Control-Allow-Origin", "*")
        self.send_json(doc)

    def base_url(self, given: str) -> str:
        if given:
            parts = urlsplit(given)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise BadRequest("serverUrl must be an http(s) URL")
            return given.rstrip("/")
        install = self.hub.config.system.install
        if "base_url" in install.model_fields_set and install.base_url:
            return install.base_url.rstrip("/")
        return f"{self.request.protocol}://{self.request.host}"

    def listed(
        self, scope: Scope, view: View, include_disabled: bool
    ) -> list[tuple[str, str, str, dict[str, Any]]]:
        out = []
        for tool in view.tools:
            exposed = str(tool.get("name"))
            target = view.tool(exposed)
            if target is not None:
                out.append((exposed, target[0], target[1], tool))
        if include_disabled:
            out.extend(self.disabled(scope))
        return out

    def disabled(self, scope: Scope) -> list[tuple[str, str, str, dict[str, Any]]]:
        """Tools switched off by a toggle but otherwise in scope (``includeDisabled=true``)."""
        config = self.hub.config
        sep = config.system.name_separator
        group = config.groups.get(scope.group) if scope.group else None
        members = {s.name: s for s in group.servers} if group else {}
        out = []
        for server in scope.servers:
            cfg = config.servers.get(server)
            state = self.hub.upstreams.state(server)
            if cfg is None or not cfg.enabled or state.status != Status.CONNECTED:
                continue
            member = members.get(server)
            held = self.hub.tool_pins.held(server)
            for tool in state.tools:
                name = str(tool.get("name"))
                if member is not None and member.tools != "all" and name not in member.tools:
                    continue
                if name in held:
                    continue
                override = (cfg.tools or {}).get(f"{server}{sep}{name}")
                if override is None or override.enabled is not False:
                    continue
                exposed = f"{server}{sep}{name}" if scope.prefixed else name
                item = {**tool, "name": exposed}
                if override.description is not None:
                    item["description"] = override.description
                out.append((exposed, server, name, item))
        return out


class ServersHandler(ToolsHandler):
    """``/api/openapi/servers``: the connected servers the caller can use."""

    docs = {"GET": Op("Connected servers the caller can call", response=ServersAnswer)}

    async def get(self) -> None:
        scope, _ = self.scoped(Route())
        names = [n for n in scope.servers if self.hub.upstreams.state(n).status == Status.CONNECTED]
        self.reply(names)


class StatsHandler(ToolsHandler):
    """``/api/openapi/stats``: connected servers and their tool counts, for the caller."""

    docs = {"GET": Op("Tool counts of the caller's connected servers", response=StatsAnswer)}

    async def get(self) -> None:
        scope, view = self.scoped(Route())
        counts: dict[str, int] = {}
        for server, _ in view.tool_index.values():
            counts[server] = counts.get(server, 0) + 1
        breakdown = [
            {"name": n, "toolCount": counts.get(n, 0), "status": "connected"}
            for n in scope.servers
            if self.hub.upstreams.state(n).status == Status.CONNECTED
        ]
        self.reply(
            {
                "totalServers": len(breakdown),
                "totalTools": sum(b["toolCount"] for b in breakdown),
                "serverBreakdown": breakdown,
            }
        )


default_handlers = [
    (r"/api/openapi\.json", DocHandler),
    (r"/api/openapi/servers", ServersHandler),
    (r"/api/openapi/stats", StatsHandler),
    (rf"/api/tools/call/(?P<server>{SEGMENT})", ServerCallHandler),
    (rf"/api/tools/(?P<server>{SEGMENT})/(?P<tool>{SEGMENT})", ToolCallHandler),
    (
        rf"/api/(?P<group>{SEGMENT})/tools/(?P<server>{SEGMENT})/(?P<tool>{SEGMENT})",
        ToolCallHandler,
    ),
    (rf"/api/(?P<segment>{SEGMENT})/openapi\.json", DocHandler),
]

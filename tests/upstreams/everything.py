"""A feature-complete upstream MCP server for hub tests.

Built on the low-level `Server` so pagination, progress, list_changed and
sampling are explicit. Run: `python -m tests.upstreams.everything --transport
stdio|sse|streamable-http [--port 0] [--json-response] [--name N] [--tools N]`.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import mcp.types as t
from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from tests.upstreams._common import UpstreamServer, record_event, serve, transport_parser

Ctx = ServerRequestContext[dict[str, Any]]
Args = dict[str, Any]
ToolFn = Callable[[Ctx, Args], Awaitable[t.CallToolResult]]

# 1x1 transparent PNG.
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
NAMES = ["Alice", "Bob", "Carol", "Dave"]
RESOURCES = {
    "test://static/hello": ("text/plain", "Hello, world!"),
    "test://static/data.json": ("application/json", json.dumps({"answer": 42})),
}


def _obj(props: dict[str, Any] | None = None, required: list[str] | None = None) -> dict[str, Any]:
    """JSON Schema for an object with the given properties."""
    schema: dict[str, Any] = {"type": "object", "properties": props or {}}
    if required:
        schema["required"] = required
    return schema


def _text(text: str, *, error: bool = False) -> t.CallToolResult:
    return t.CallToolResult(content=[t.TextContent(text=text)], is_error=error)


class Everything:
    """Tool catalog plus handlers; catalog changes at runtime via `add_tool`."""

    def __init__(self, extra_tools: int, page_size: int) -> None:
        self.page_size = page_size
        self.tools: dict[str, tuple[t.Tool, ToolFn]] = {}
        s, n = {"type": "string"}, {"type": "number"}
        self._add("echo", _obj({"text": s}, ["text"]), self.echo, out=_obj({"text": s}, ["text"]))
        self._add(
            "add", _obj({"a": n, "b": n}, ["a", "b"]), self.add, out=_obj({"result": n}, ["result"])
        )
        self._add("slow", _obj({"seconds": n}), self.slow)
        self._add("crash", _obj(), self.crash)
        self._add("fail", _obj({"message": s}), self.fail)
        self._add("env", _obj(), self.env)
        self._add("add_tool", _obj({"name": s, "description": s}, ["name"]), self.add_tool)
        self._add("sample", _obj({"prompt": s, "max_tokens": n}, ["prompt"]), self.sample)
        self._add("image", _obj(), self.image)
        self._add("touch", _obj({"uri": s}, ["uri"]), self.touch)
        self._add("log", _obj({"levels": {"type": "array", "items": s}}), self.log)
        for i in range(15):
            self._add(f"filler_{i:02d}", _obj(), self.named)
        for i in range(extra_tools):
            self._add(f"tool_{i:04d}", _obj({"x": s}), self.named)

    def _add(
        self,
        name: str,
        schema: dict[str, Any],
        fn: ToolFn,
        out: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> None:
        tool = t.Tool(
            name=name,
            description=description or f"test tool {name}",
            input_schema=schema,
            output_schema=out,
        )
        if name == "echo":
            tool.annotations = t.ToolAnnotations(read_only_hint=True)
            tool.meta = {"test/origin": "everything"}
        self.tools[name] = (tool, fn)

    # --- tools -----------------------------------------------------------

    async def echo(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        text = str(a["text"])
        return t.CallToolResult(
            content=[t.TextContent(text=text)], structured_content={"text": text}
        )

    async def add(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        total = a["a"] + a["b"]
        return t.CallToolResult(
            content=[t.TextContent(text=str(total))], structured_content={"result": total}
        )

    async def slow(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Sleep in 0.1 s steps, reporting progress; record cancellation."""
        seconds = float(a.get("seconds", 1))
        steps = max(1, round(seconds / 0.1))
        try:
            for i in range(steps):
                await anyio.sleep(seconds / steps)
                await ctx.session.report_progress(i + 1, steps, f"step {i + 1}/{steps}")
        except anyio.get_cancelled_exc_class():
            record_event("cancelled slow")
            raise
        return _text(f"slept {seconds}")

    async def crash(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        sys.stderr.write("everything upstream crashing on request\n")
        sys.stderr.flush()
        os._exit(1)

    async def fail(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return _text(str(a.get("message", "requested failure")), error=True)

    async def env(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return _text(json.dumps(dict(os.environ)))

    async def add_tool(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Grow the catalog (or redefine a tool: a new description), then tell the client
        (standalone channel)."""
        name = str(a["name"])
        self._add(name, _obj(), self.named, description=a.get("description"))
        await ctx.session.send_tool_list_changed()
        return _text(f"added {name}")

    async def sample(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Ask the client's LLM; request-scoped unless the POST cannot carry it."""
        related = ctx.request_id if ctx.session.can_send_request else None
        msg = t.SamplingMessage(role="user", content=t.TextContent(text=str(a["prompt"])))
        # Sampling is deprecated at 2026-07-28; the SDK warns synchronously at call
        # time, so scoping the filter to the call keeps it out of importers' filters.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            pending = ctx.session.create_message(
                [msg], max_tokens=int(a.get("max_tokens", 100)), related_request_id=related
            )
        res = await pending
        content = res.content
        return _text(content.text if isinstance(content, t.TextContent) else content.type)

    async def image(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        img = t.ImageContent(
            data=PNG_1PX,
            mime_type="image/png",
            annotations=t.Annotations(audience=["user"], priority=0.5),
            meta={"test/pixels": 1},
        )
        return t.CallToolResult(
            content=[img, t.TextContent(text="a 1x1 image")], meta={"test/kind": "image"}
        )

    async def touch(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        await ctx.session.send_resource_updated(str(a["uri"]))
        return _text(f"touched {a['uri']}")

    async def log(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """One ``notifications/message`` per level asked for (default: debug, info, error)."""
        levels = list(a.get("levels") or ["debug", "info", "error"])
        # Logging is deprecated at 2026-07-28; this upstream speaks 2025 on purpose.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            for level in levels:
                await ctx.session.send_log_message(
                    level, f"{level} line", logger="everything", related_request_id=ctx.request_id
                )
        return _text(f"logged {len(levels)}")

    async def named(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Filler / generated / dynamic tools: answer with their own name."""
        record_event(f"called {ctx.params.get('name') if ctx.params else '?'}")
        return _text(f"{ctx.params.get('name') if ctx.params else '?'} ok")

    # --- handlers --------------------------------------------------------

    def _page(
        self, params: t.PaginatedRequestParams | None, total: int
    ) -> tuple[int, int, str | None]:
        cursor = params.cursor if params else None
        try:
            start = int(cursor) if cursor else 0
        except ValueError:
            raise MCPError(t.INVALID_PARAMS, f"invalid cursor {cursor!r}") from None
        end = min(start + self.page_size, total)
        return start, end, (str(end) if end < total else None)

    async def list_tools(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListToolsResult:
        tools = [tool for tool, _ in self.tools.values()]
        start, end, nxt = self._page(params, len(tools))
        return t.ListToolsResult(tools=tools[start:end], next_cursor=nxt)

    async def call_tool(self, ctx: Ctx, params: t.CallToolRequestParams) -> t.CallToolResult:
        record_event(f"call {params.name}")
        if params.name not in self.tools:
            raise MCPError(t.INVALID_PARAMS, f"Unknown tool: {params.name}")
        meta = ctx.params.get("_meta") if isinstance(ctx.params, dict) else None
        if isinstance(meta, dict) and "traceparent" in meta:  # the hub's tracing propagates
            record_event(f"traceparent {meta['traceparent']}")
        try:
            return await self.tools[params.name][1](ctx, params.arguments or {})
        except (KeyError, TypeError, ValueError) as exc:
            return _text(f"bad arguments: {exc!r}", error=True)

    async def list_prompts(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListPromptsResult:
        name_arg = t.PromptArgument(name="name", description="who to greet", required=True)
        return t.ListPromptsResult(
            prompts=[
                t.Prompt(name="greet", description="Greets someone", arguments=[name_arg]),
                t.Prompt(name="simple", description="A prompt without arguments"),
            ]
        )

    async def get_prompt(self, ctx: Ctx, params: t.GetPromptRequestParams) -> t.GetPromptResult:
        args = params.arguments or {}
        if params.name == "simple":
            text = "This is a simple prompt."
        elif params.name == "greet":
            if "name" not in args:
                raise MCPError(t.INVALID_PARAMS, "missing required argument 'name'")
            text = f"Hello, {args['name']}!"
        else:
            raise MCPError(t.INVALID_PARAMS, f"Unknown prompt: {params.name}")
        msg = t.PromptMessage(role="user", content=t.TextContent(text=text))
        return t.GetPromptResult(description=f"prompt {params.name}", messages=[msg])

    async def list_resources(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListResourcesResult:
        return t.ListResourcesResult(
            resources=[
                t.Resource(uri=uri, name=uri.rsplit("/", 1)[-1], mime_type=mime)
                for uri, (mime, _) in RESOURCES.items()
            ]
        )

    async def list_templates(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListResourceTemplatesResult:
        tpl = t.ResourceTemplate(
            uri_template="test://items/{id}", name="item", mime_type="text/plain"
        )
        return t.ListResourceTemplatesResult(resource_templates=[tpl])

    async def read_resource(
        self, ctx: Ctx, params: t.ReadResourceRequestParams
    ) -> t.ReadResourceResult:
        uri = str(params.uri)
        if uri in RESOURCES:
            mime, text = RESOURCES[uri]
        elif uri.startswith("test://items/") and len(uri) > len("test://items/"):
            mime, text = "text/plain", f"item {uri.removeprefix('test://items/')}"
        else:
            raise MCPError(-32002, f"Resource not found: {uri}")
        return t.ReadResourceResult(
            contents=[t.TextResourceContents(uri=uri, mime_type=mime, text=text)]
        )

    async def subscribe(self, ctx: Ctx, params: t.SubscribeRequestParams) -> t.EmptyResult:
        record_event(f"subscribe {params.uri}")
        return t.EmptyResult()

    async def unsubscribe(self, ctx: Ctx, params: t.UnsubscribeRequestParams) -> t.EmptyResult:
        record_event(f"unsubscribe {params.uri}")
        return t.EmptyResult()

    async def complete(self, ctx: Ctx, params: t.CompleteRequestParams) -> t.CompleteResult:
        values: list[str] = []
        ref = params.ref
        if (
            isinstance(ref, t.PromptReference)
            and ref.name == "greet"
            and params.argument.name == "name"
        ):
            prefix = params.argument.value.lower()
            values = [n for n in NAMES if n.lower().startswith(prefix)]
        return t.CompleteResult(
            completion=t.Completion(values=values, total=len(values), has_more=False)
        )


def build_server(name: str, extra_tools: int = 0, page_size: int = 10) -> UpstreamServer:
    """Wire the handlers into a low-level Server (also usable in-process)."""
    ev = Everything(extra_tools, page_size)
    return UpstreamServer(
        name,
        version="1.0.0",
        instructions="Test upstream for mcphub.",
        on_list_tools=ev.list_tools,
        on_call_tool=ev.call_tool,
        on_list_prompts=ev.list_prompts,
        on_get_prompt=ev.get_prompt,
        on_list_resources=ev.list_resources,
        on_list_resource_templates=ev.list_templates,
        on_read_resource=ev.read_resource,
        on_subscribe_resource=ev.subscribe,
        on_unsubscribe_resource=ev.unsubscribe,
        on_completion=ev.complete,
    )


def main() -> None:
    p = transport_parser("everything test upstream")
    p.add_argument("--name", default=os.environ.get("UPSTREAM_NAME", "everything"))
    p.add_argument("--tools", type=int, default=0, help="extra generated tools tool_0000..")
    p.add_argument("--page-size", type=int, default=10)
    args = p.parse_args()
    server = build_server(args.name, args.tools, args.page_size)
    anyio.run(serve, server, args, "everything upstream")


if __name__ == "__main__":
    main()

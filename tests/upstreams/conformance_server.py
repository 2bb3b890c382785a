"""The fixture server the MCP conformance suite expects behind the hub (``.ci/steps/conformance.sh``).

The suite's server scenarios call tools, prompts and resources with fixed names
(``test_simple_text``, ``test://static-text`` …) and check what comes back. This server
implements them from the scenario descriptions, on the 2025 handshake wire the hub speaks
to its upstreams, so every scenario that needs sampling, elicitation, roots, logging or
progress exercises the hub's pass-through (and, on the 2026 wire, its MRTR bridge).
Run: ``python -m tests.upstreams.conformance_server [--transport stdio]``.
"""

from __future__ import annotations

import base64
import io
import json
import warnings
import wave
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import mcp.types as t
from mcp.server import ServerRequestContext
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    ListenHandler,
    PromptsListChanged,
    ToolsListChanged,
)
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from tests.upstreams import mrtr
from tests.upstreams._common import UpstreamServer, record_event, serve, transport_parser

RELATED_REQUEST_KEY = "io.modelcontextprotocol/related-request-id"
QUESTION = "What is the capital of France?"
Ctx = ServerRequestContext[dict[str, Any]]
Args = dict[str, Any]
ToolFn = Callable[[Ctx, Args], Awaitable[t.CallToolResult]]

# A 1x1 red PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
STATIC_TEXT = "This is the content of the static text resource."
WATCHED = "test://watched-resource"
TEMPLATE = "test://template/{id}/data"


def _wav() -> str:
    """A 10 ms silent 8 kHz mono WAV, base64."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 80)
    return base64.b64encode(buf.getvalue()).decode()


WAV = _wav()


def _schema(props: dict[str, Any] | None = None, required: list[str] | None = None) -> Args:
    schema: Args = {"type": "object", "properties": props or {}}
    if required:
        schema["required"] = required
    return schema


def _text(text: str, *, error: bool = False) -> t.CallToolResult:
    return t.CallToolResult(content=[t.TextContent(text=text)], is_error=error)


def _form(message: str, props: dict[str, Any], required: list[str] | None = None) -> Args:
    """``elicitation/create`` params for a form."""
    return {"message": message, "requestedSchema": _schema(props, required)}


def _sampled(result: Args) -> str:
    """The text of a sampling result (one content block or a list of them)."""
    content = result.get("content")
    if isinstance(content, list):
        content = content[0] if content else {}
    return str(content.get("text", "")) if isinstance(content, dict) else ""


def _sampling(prompt: str, max_tokens: int = 100) -> Args:
    return {
        "messages": [{"role": "user", "content": {"type": "text", "text": prompt}}],
        "maxTokens": max_tokens,
    }


class Fixture:
    """Tools, prompts and resources named by the conformance scenarios."""

    def __init__(self, tag_requests: bool = True) -> None:
        self.tag_requests = tag_requests
        self.bus = InMemorySubscriptionBus()
        """List changes for 2026 clients (``subscriptions/listen``)."""
        self.tools: dict[str, tuple[t.Tool, ToolFn]] = {}
        self.extra_prompts: list[str] = []
        self.subscriptions: set[str] = set()
        string = {"type": "string"}
        plain = [
            ("test_simple_text", self.simple_text),
            ("test_image_content", self.image),
            ("test_audio_content", self.audio),
            ("test_embedded_resource", self.embedded),
            ("test_multiple_content_types", self.mixed),
            ("test_tool_with_logging", self.logging),
            ("test_logging_tool", self.logging),
            ("test_tool_with_progress", self.progress),
            ("test_error_handling", self.error),
            ("test_elicitation_sep1034_defaults", self.elicit_defaults),
            ("test_elicitation_sep1330_enums", self.elicit_enums),
            ("test_missing_capability", self.missing_capability),
            ("test_streaming_elicitation", self.streaming_elicitation),
            ("test_trigger_tool_change", self.trigger_tool_change),
            ("test_trigger_prompt_change", self.trigger_prompt_change),
            ("test_input_required_result_elicitation", self.ir_elicitation),
            ("test_input_required_result_sampling", self.ir_sampling),
            ("test_input_required_result_list_roots", self.ir_roots),
            ("test_input_required_result_request_state", self.ir_request_state),
            ("test_input_required_result_multiple_inputs", self.ir_multiple),
            ("test_input_required_result_multi_round", self.ir_multi_round),
            ("test_input_required_result_tampered_state", self.ir_request_state),
            ("test_input_required_result_capabilities", self.ir_capabilities),
        ]
        for name, fn in plain:
            self._add(name, _schema(), fn)
        self._add("test_sampling", _schema({"prompt": string}, ["prompt"]), self.sampling)
        self._add("test_modern_greeting", _schema(), self.modern_greeting)
        self._add("test_elicitation", _schema({"message": string}, ["message"]), self.elicitation)

    def _add(self, name: str, schema: Args, fn: ToolFn) -> None:
        tool = t.Tool(
            name=name, description=f"Conformance fixture tool {name}", input_schema=schema
        )
        self.tools[name] = (tool, fn)

    # --- content -----------------------------------------------------------

    async def simple_text(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return _text("This is a simple text response for testing.")

    async def image(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return t.CallToolResult(content=[t.ImageContent(data=PNG, mime_type="image/png")])

    async def audio(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return t.CallToolResult(content=[t.AudioContent(data=WAV, mime_type="audio/wav")])

    async def embedded(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        resource = t.TextResourceContents(
            uri="test://embedded-resource",
            mime_type="text/plain",
            text="This is an embedded resource content.",
        )
        return t.CallToolResult(content=[t.EmbeddedResource(resource=resource)])

    async def mixed(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        resource = t.TextResourceContents(
            uri="test://mixed-content-resource",
            mime_type="application/json",
            text=json.dumps({"test": "data", "value": 123}),
        )
        return t.CallToolResult(
            content=[
                t.TextContent(text="Multiple content types test:"),
                t.ImageContent(data=PNG, mime_type="image/png"),
                t.EmbeddedResource(resource=resource),
            ]
        )

    async def error(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return _text("This tool intentionally returns an error for testing", error=True)

    # --- notifications -----------------------------------------------------

    async def logging(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Three info lines ~50 ms apart, on the call's own stream."""
        lines = ["Tool execution started", "Tool processing data", "Tool execution completed"]
        for i, line in enumerate(lines):
            if i:
                await anyio.sleep(0.05)
            await ctx.session.send_log_message(
                "info", line, logger="conformance", related_request_id=ctx.request_id
            )
        return _text("Logging tool executed; sent 3 log messages")

    async def progress(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        for i, value in enumerate((0, 50, 100)):
            if i:
                await anyio.sleep(0.05)
            await ctx.session.report_progress(value, 100, f"{value}% done")
        return _text("Progress tool completed (0, 50, 100 of 100)")

    async def trigger_tool_change(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        name = f"test_dynamic_tool_{len(self.tools)}"
        self._add(name, _schema(), self.simple_text)
        await ctx.session.send_tool_list_changed()
        await self.bus.publish(ToolsListChanged())
        return _text(f"added tool {name}")

    async def trigger_prompt_change(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        name = f"test_dynamic_prompt_{len(self.extra_prompts)}"
        self.extra_prompts.append(name)
        await ctx.session.send_prompt_list_changed()
        await self.bus.publish(PromptsListChanged())
        return _text(f"added prompt {name}")

    # --- client requests ---------------------------------------------------

    async def ask(self, ctx: Ctx, method: str, params: Args | None, key: str | None = None) -> Args:
        """A server->client request tied to the current call; the result as a wire dict.

        On the 2026 wire the question goes into this round's ``InputRequiredResult`` under
        ``key`` instead (``tests.upstreams.mrtr``). On the 2025 wire, unless
        ``tag_requests`` is off, the request names its call in ``_meta`` (the call's progress
        token and id): on a pipe that is the only link a client multiplexing several
        callers (the hub) has to the call that asked.
        """
        round_ = mrtr.current.get()
        if round_ is not None:
            return round_.ask(key or method.split("/")[0], method, params)
        request: Any
        result_type: Any
        if self.tag_requests:
            meta: Args = {RELATED_REQUEST_KEY: ctx.request_id}
            token = (ctx.meta or {}).get("progressToken")
            if token is not None:
                meta["progressToken"] = token
            params = {**(params or {}), "_meta": meta}
        if method == "sampling/createMessage":
            request = t.CreateMessageRequest(
                params=t.CreateMessageRequestParams.model_validate(params)
            )
            result_type = t.CreateMessageResult
        elif method == "elicitation/create":
            request = t.ElicitRequest(params=t.ElicitRequestFormParams.model_validate(params))
            result_type = t.ElicitResult
        else:
            roots_params = t.RequestParams.model_validate(params) if params else None
            request, result_type = t.ListRootsRequest(params=roots_params), t.ListRootsResult
        try:
            result = await ctx.session.send_request(
                request,
                result_type,
                metadata=ServerMessageMetadata(related_request_id=ctx.request_id),
            )
        except MCPError as exc:
            record_event(f"refused {method} {exc.code} {exc.message}")
            raise
        record_event(f"answered {method}")
        dumped: Args = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return dumped

    async def sampled_text(
        self, ctx: Ctx, prompt: str, max_tokens: int = 100, key: str | None = None
    ) -> str:
        result = await self.ask(ctx, "sampling/createMessage", _sampling(prompt, max_tokens), key)
        return _sampled(result)

    async def sampling(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return _text(f"LLM response: {await self.sampled_text(ctx, str(a['prompt']))}")

    async def elicitation(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        props = {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        }
        result = await self.ask(
            ctx, "elicitation/create", _form(str(a["message"]), props, ["username", "email"])
        )
        return _text(
            f"User response: action={result.get('action')}, "
            f"content={json.dumps(result.get('content', {}))}"
        )

    async def _elicit_completed(self, ctx: Ctx, message: str, props: Args) -> t.CallToolResult:
        result = await self.ask(ctx, "elicitation/create", _form(message, props))
        return _text(
            f"Elicitation completed: action={result.get('action')}, "
            f"content={json.dumps(result.get('content', {}))}"
        )

    async def elicit_defaults(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        props = {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "description": "Verified user", "default": True},
        }
        return await self._elicit_completed(ctx, "Please review and update the form", props)

    async def elicit_enums(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        def titled(prefix: str, word: str) -> list[Args]:
            ordinals = ("First", "Second", "Third")
            return [
                {"const": f"{prefix}{i + 1}", "title": f"{o} {word}"}
                for i, o in enumerate(ordinals)
            ]

        options = ["option1", "option2", "option3"]
        props = {
            "untitledSingle": {"type": "string", "description": "Pick one", "enum": options},
            "titledSingle": {
                "type": "string",
                "description": "Pick one (titled)",
                "oneOf": titled("value", "Option"),
            },
            "legacyEnum": {
                "type": "string",
                "description": "Pick one (legacy titles)",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "description": "Pick several",
                "items": {"type": "string", "enum": options},
            },
            "titledMulti": {
                "type": "array",
                "description": "Pick several (titled)",
                "items": {"anyOf": titled("value", "Choice")},
            },
        }
        return await self._elicit_completed(ctx, "Please choose from the enum fields", props)

    async def missing_capability(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Needs sampling: a 2026 client that did not declare it must get -32021 (hub's job)."""
        return _text(f"sampled: {await self.sampled_text(ctx, 'Say hello')}")

    async def streaming_elicitation(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        await ctx.session.report_progress(1, 2, "asking")
        result = await self.ask(
            ctx, "elicitation/create", _form("Continue?", {"ok": {"type": "boolean"}})
        )
        return _text(f"streamed: action={result.get('action')}")

    # --- questions the hub turns into InputRequiredResult on the 2026 wire --------

    async def ir_elicitation(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        form = _form("What is your name?", {"name": {"type": "string"}}, ["name"])
        result = await self.ask(ctx, "elicitation/create", form, "user_name")
        name = (result.get("content") or {}).get("name", "stranger")
        return _text(f"Hello, {name}!")

    async def ir_sampling(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        return _text(f"Answer: {await self.sampled_text(ctx, QUESTION, key='capital_question')}")

    async def ir_roots(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        result = await self.ask(ctx, "roots/list", None, "client_roots")
        uris = [r.get("uri") for r in result.get("roots", [])]
        return _text(f"Client roots: {', '.join(str(u) for u in uris)}")

    async def ir_request_state(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """The hub signs and checks the requestState; this call resumes only through it."""
        form = _form("Please confirm", {"ok": {"type": "boolean"}}, ["ok"])
        result = await self.ask(ctx, "elicitation/create", form, "confirm")
        return _text(f"state-ok: confirmed={(result.get('content') or {}).get('ok')}")

    async def ir_multiple(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        form = _form("What is your name?", {"name": {"type": "string"}}, ["name"])
        round_ = mrtr.current.get()
        if round_ is not None:  # 2026: all three questions in one round
            asked = [
                round_.want("user_name", "elicitation/create", form),
                round_.want(
                    "greeting", "sampling/createMessage", _sampling("Generate a greeting", 50)
                ),
                round_.want("client_roots", "roots/list", None),
            ]
            if any(answer is None for answer in asked):
                raise mrtr.NeedInput("several")
            return _text("All inputs received: ['client_roots', 'greeting', 'user_name']")
        async with anyio.create_task_group() as tg:
            out: dict[str, Any] = {}

            async def put(key: str, coro: Awaitable[Any]) -> None:
                out[key] = await coro

            form = _form("What is your name?", {"name": {"type": "string"}}, ["name"])
            tg.start_soon(put, "user_name", self.ask(ctx, "elicitation/create", form))
            tg.start_soon(put, "greeting", self.sampled_text(ctx, "Generate a greeting", 50))
            tg.start_soon(put, "client_roots", self.ask(ctx, "roots/list", None))
        return _text(f"All inputs received: {sorted(out)}")

    async def ir_multi_round(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        first = await self.ask(
            ctx,
            "elicitation/create",
            _form("Step 1: What is your name?", {"name": {"type": "string"}}, ["name"]),
            "step1",
        )
        second = await self.ask(
            ctx,
            "elicitation/create",
            _form("Step 2: What is your favorite color?", {"color": {"type": "string"}}, ["color"]),
            "step2",
        )
        name = (first.get("content") or {}).get("name")
        color = (second.get("content") or {}).get("color")
        return _text(f"{name} likes {color}")

    async def ir_capabilities(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Sampling first; elicitation only if the client (through the hub) can answer it."""
        sampled = await self.sampled_text(ctx, "Pick a number", key="pick_number")
        try:
            result = await self.ask(
                ctx, "elicitation/create", _form("Confirm?", {"ok": {"type": "boolean"}}), "confirm"
            )
            confirmed = result.get("action")
        except MCPError:
            confirmed = "not asked"
        return _text(f"sampled={sampled} confirmed={confirmed}")

    async def modern_greeting(self, ctx: Ctx, a: Args) -> t.CallToolResult:
        """Asks for a name: on the 2026 wire in its own ``InputRequiredResult`` (key
        ``user_name``), on the 2025 wire with ``elicitation/create``."""
        round_ = mrtr.current.get()
        if round_ is not None:
            record_event(f"modern caps {json.dumps(dict(round_.capabilities), sort_keys=True)}")
        form = _form("What is your name?", {"name": {"type": "string"}}, ["name"])
        answer = await self.ask(ctx, "elicitation/create", form, "user_name")
        era = "2025" if round_ is None else "2026"
        return _text(f"Hello, {(answer.get('content') or {}).get('name')}! ({era})")

    # --- handlers ----------------------------------------------------------

    async def list_tools(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListToolsResult:
        return t.ListToolsResult(tools=[tool for tool, _ in self.tools.values()])

    async def call_tool(self, ctx: Ctx, params: t.CallToolRequestParams) -> Any:
        entry = self.tools.get(params.name)
        if entry is None:
            raise MCPError(t.INVALID_PARAMS, f"Unknown tool: {params.name}")
        try:
            return await self._in_round(ctx, entry[1](ctx, params.arguments or {}))
        except KeyError as exc:
            return _text(f"missing argument {exc}", error=True)

    async def _in_round(self, ctx: Ctx, work: Awaitable[Any]) -> Any:
        """Run a handler; on the 2026 wire, in a round that may end in InputRequiredResult."""
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            return await work
        raw = ctx.params if isinstance(ctx.params, dict) else {}
        try:
            round_ = mrtr.Round.of(raw, ctx.meta)
        except BaseException:
            work.close()  # type: ignore[attr-defined]
            raise
        token = mrtr.current.set(round_)
        try:
            return await work
        except mrtr.NeedInput:
            return round_.input_required()
        finally:
            mrtr.current.reset(token)

    async def list_prompts(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListPromptsResult:
        def arg(name: str, description: str) -> t.PromptArgument:
            return t.PromptArgument(name=name, description=description, required=True)

        prompts = [
            t.Prompt(name="test_simple_prompt", description="A simple prompt without arguments"),
            t.Prompt(
                name="test_prompt_with_arguments",
                description="A prompt with two required arguments",
                arguments=[arg("arg1", "First test argument"), arg("arg2", "Second test argument")],
            ),
            t.Prompt(
                name="test_prompt_with_embedded_resource",
                description="A prompt that embeds a resource",
                arguments=[arg("resourceUri", "URI of the resource to embed")],
            ),
            t.Prompt(name="test_prompt_with_image", description="A prompt with an image"),
            t.Prompt(
                name="test_input_required_result_prompt",
                description="A prompt that asks the user for context first",
            ),
        ]
        prompts += [t.Prompt(name=n, description="Added at runtime") for n in self.extra_prompts]
        return t.ListPromptsResult(prompts=prompts)

    async def get_prompt(self, ctx: Ctx, params: t.GetPromptRequestParams) -> Any:
        return await self._in_round(ctx, self._prompt(ctx, params))

    async def _prompt(self, ctx: Ctx, params: t.GetPromptRequestParams) -> t.GetPromptResult:
        args = params.arguments or {}
        name = params.name

        def user(content: Any) -> t.PromptMessage:
            return t.PromptMessage(role="user", content=content)

        if name == "test_simple_prompt" or name in self.extra_prompts:
            messages = [user(t.TextContent(text="This is a simple prompt for testing."))]
        elif name == "test_prompt_with_arguments":
            text = f"Prompt with arguments: arg1='{args.get('arg1')}', arg2='{args.get('arg2')}'"
            messages = [user(t.TextContent(text=text))]
        elif name == "test_prompt_with_embedded_resource":
            uri = args.get("resourceUri") or "test://example-resource"
            resource = t.TextResourceContents(
                uri=uri, mime_type="text/plain", text="Embedded resource content for testing."
            )
            messages = [
                user(t.EmbeddedResource(resource=resource)),
                user(t.TextContent(text="Please process the embedded resource above.")),
            ]
        elif name == "test_prompt_with_image":
            messages = [
                user(t.ImageContent(data=PNG, mime_type="image/png")),
                user(t.TextContent(text="Please analyze the image above.")),
            ]
        elif name == "test_input_required_result_prompt":
            form = _form(
                "What context should the prompt use?", {"context": {"type": "string"}}, ["context"]
            )
            from_user = await self.ask(ctx, "elicitation/create", form, "user_context")
            context = (from_user.get("content") or {}).get("context", "")
            messages = [user(t.TextContent(text=f"Use this context: {context}"))]
        else:
            raise MCPError(t.INVALID_PARAMS, f"Unknown prompt: {name}")
        return t.GetPromptResult(description=f"prompt {name}", messages=messages)

    async def list_resources(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListResourcesResult:
        return t.ListResourcesResult(
            resources=[
                t.Resource(
                    uri="test://static-text",
                    name="static-text",
                    description="A static text resource",
                    mime_type="text/plain",
                ),
                t.Resource(
                    uri="test://static-binary",
                    name="static-binary",
                    description="A static binary resource (PNG)",
                    mime_type="image/png",
                ),
                t.Resource(
                    uri=WATCHED,
                    name="watched-resource",
                    description="A resource clients may subscribe to",
                    mime_type="text/plain",
                ),
            ]
        )

    async def list_templates(
        self, ctx: Ctx, params: t.PaginatedRequestParams | None
    ) -> t.ListResourceTemplatesResult:
        template = t.ResourceTemplate(
            uri_template=TEMPLATE,
            name="template-data",
            description="Data for an id",
            mime_type="application/json",
        )
        return t.ListResourceTemplatesResult(resource_templates=[template])

    async def read_resource(
        self, ctx: Ctx, params: t.ReadResourceRequestParams
    ) -> t.ReadResourceResult:
        uri = str(params.uri)
        contents: t.TextResourceContents | t.BlobResourceContents
        if uri == "test://static-text":
            contents = t.TextResourceContents(uri=uri, mime_type="text/plain", text=STATIC_TEXT)
        elif uri == "test://static-binary":
            contents = t.BlobResourceContents(uri=uri, mime_type="image/png", blob=PNG)
        elif uri == WATCHED:
            contents = t.TextResourceContents(uri=uri, mime_type="text/plain", text="watched")
        elif uri.startswith("test://template/") and uri.endswith("/data"):
            item = uri.removeprefix("test://template/").removesuffix("/data")
            body = {"id": item, "templateTest": True, "data": f"Data for ID: {item}"}
            contents = t.TextResourceContents(
                uri=uri, mime_type="application/json", text=json.dumps(body)
            )
        else:
            raise MCPError(-32002, f"Resource not found: {uri}", data={"uri": uri})
        return t.ReadResourceResult(contents=[contents])

    async def subscribe(self, ctx: Ctx, params: t.SubscribeRequestParams) -> t.EmptyResult:
        self.subscriptions.add(str(params.uri))
        record_event(f"subscribe {params.uri}")
        return t.EmptyResult()

    async def unsubscribe(self, ctx: Ctx, params: t.UnsubscribeRequestParams) -> t.EmptyResult:
        self.subscriptions.discard(str(params.uri))
        record_event(f"unsubscribe {params.uri}")
        return t.EmptyResult()

    async def complete(self, ctx: Ctx, params: t.CompleteRequestParams) -> t.CompleteResult:
        words = ["paris", "park", "party", "hello", "world"]
        prefix = params.argument.value.lower()
        values = [w for w in words if w.startswith(prefix)]
        return t.CompleteResult(
            completion=t.Completion(values=values, total=len(values), has_more=False)
        )


def build_server(tag_requests: bool = True) -> UpstreamServer:
    fx = Fixture(tag_requests)
    return UpstreamServer(
        "conformance-fixture",
        version="1.0.0",
        on_list_tools=fx.list_tools,
        on_call_tool=fx.call_tool,
        on_list_prompts=fx.list_prompts,
        on_get_prompt=fx.get_prompt,
        on_list_resources=fx.list_resources,
        on_list_resource_templates=fx.list_templates,
        on_read_resource=fx.read_resource,
        on_subscribe_resource=fx.subscribe,
        on_unsubscribe_resource=fx.unsubscribe,
        on_completion=fx.complete,
        on_subscriptions_listen=ListenHandler(fx.bus),
    )


def main() -> None:
    # This process speaks the 2025 wire on purpose; the SDK's 2026 deprecation notes are noise.
    warnings.simplefilter("ignore", MCPDeprecationWarning)
    parser = transport_parser("conformance fixture upstream")
    parser.add_argument(
        "--untagged",
        action="store_true",
        help="send sampling/elicitation/roots requests without naming their call in _meta",
    )
    args = parser.parse_args()
    anyio.run(serve, build_server(not args.untagged), args, "conformance fixture upstream")


if __name__ == "__main__":
    main()

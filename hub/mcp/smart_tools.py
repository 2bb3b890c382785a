"""The meta-tools ``/mcp/$smart`` lists instead of the tools themselves, as MCPHub has them.

``search_tools`` and ``call_tool`` always; ``describe_tool`` too when
``smartRouting.progressiveDisclosure`` is on (search results then leave input schemas out).
The names, argument schemas and annotations are MCPHub's, so prompts written for it work.
"""

from __future__ import annotations

from typing import Any

SMART = "$smart"
"""The owner the catalog records for a meta-tool, in place of a server name."""

SEARCH, CALL, DESCRIBE = "search_tools", "call_tool", "describe_tool"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def _search_tool(servers: list[str], progressive: bool) -> dict[str, Any]:
    listed = ", ".join(servers) if servers else "none connected yet"
    if progressive:
        text = (
            "STEP 1 of 3: find tools for a task. Describe what you want to do in plain words; "
            "the answer lists matching tools (name, description, server), best first, without "
            "their parameters. Then call describe_tool with the name you choose."
        )
    else:
        text = (
            "STEP 1 of 2: find tools for a task. Describe what you want to do in plain words; "
            "the answer lists matching tools, best first, each with its name, description, "
            "server and input schema. Then call call_tool with the name you choose."
        )
    return {
        "name": SEARCH,
        "description": f"{text} Servers available: {listed}.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "query": {
                    "type": "string",
                    "description": "What you want to do, e.g. 'open a bug report' or "
                    "'convert a timestamp to another time zone'.",
                },
                "limit": {
                    "type": "integer",
                    "description": "How many tools to return (1 to 100).",
                    "default": DEFAULT_LIMIT,
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                },
            },
            "required": ["query"],
        },
        "annotations": {"title": "Search Tools", "readOnlyHint": True},
    }


def _call_tool(progressive: bool) -> dict[str, Any]:
    step = "STEP 3 of 3" if progressive else "STEP 2 of 2"
    return {
        "name": CALL,
        "description": f"{step}: run a tool found by search_tools, with arguments that "
        "follow its input schema.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "toolName": {
                    "type": "string",
                    "description": "The tool's name exactly as search_tools returned it.",
                },
                "arguments": {
                    "type": "object",
                    "description": "The tool's arguments.",
                },
            },
            "required": ["toolName"],
        },
        "annotations": {"title": "Call Tool", "openWorldHint": True},
    }


def _describe_tool() -> dict[str, Any]:
    return {
        "name": DESCRIBE,
        "description": "STEP 2 of 3: get the full description and input schema of one tool "
        "found by search_tools, before calling it with call_tool.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "toolName": {
                    "type": "string",
                    "description": "The tool's name exactly as search_tools returned it.",
                }
            },
            "required": ["toolName"],
        },
        "annotations": {"title": "Describe Tool", "readOnlyHint": True},
    }


def meta_tools(servers: list[str], progressive: bool) -> list[dict[str, Any]]:
    """The tools a ``$smart`` route lists."""
    tools = [_search_tool(servers, progressive)]
    if progressive:
        tools.append(_describe_tool())
    tools.append(_call_tool(progressive))
    return tools

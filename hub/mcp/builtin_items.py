"""Built-in prompts and resources: the hub's own, from the settings' ``prompts``/``resources``.

They are listed before the upstreams' items in every scope, under their own names (no
server prefix), and answered by the hub itself: a prompt renders its ``{{argument}}``
template into one user message, a resource returns its stored text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hub.config.models import BuiltinPrompt, BuiltinResource

BUILTIN = ""
"""The owner recorded in a catalog view for a built-in item (no upstream server has it)."""

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def enabled_resource(resources: Iterable[BuiltinResource], uri: str) -> BuiltinResource | None:
    """The enabled built-in resource at ``uri``: what an MCP read or the read API serves."""
    return next((r for r in resources if r.uri == uri and r.enabled), None)


def prompt_item(prompt: BuiltinPrompt) -> dict[str, Any]:
    """The prompt as ``prompts/list`` shows it."""
    item: dict[str, Any] = {"name": prompt.name}
    if prompt.title:
        item["title"] = prompt.title
    if prompt.description:
        item["description"] = prompt.description
    if prompt.arguments:
        item["arguments"] = [
            {k: v for k, v in arg.items() if k in ("name", "title", "description", "required")}
            for arg in prompt.arguments
            if isinstance(arg, dict) and isinstance(arg.get("name"), str)
        ]
    return item


def resource_item(resource: BuiltinResource) -> dict[str, Any]:
    """The resource as ``resources/list`` shows it."""
    item: dict[str, Any] = {"uri": resource.uri, "name": resource.name or resource.uri}
    if resource.description:
        item["description"] = resource.description
    item["mimeType"] = resource.mime_type
    return item


def missing_arguments(prompt: BuiltinPrompt, arguments: dict[str, str]) -> list[str]:
    """Required arguments the caller did not give."""
    return [
        str(arg["name"])
        for arg in prompt.arguments or []
        if isinstance(arg, dict) and arg.get("required") and arg.get("name") not in arguments
    ]


def render_prompt(prompt: BuiltinPrompt, arguments: dict[str, str]) -> dict[str, Any]:
    """A ``prompts/get`` result: the template with each ``{{name}}`` replaced.

    A declared argument left out becomes empty text; a placeholder that names no declared
    argument and no given one stays as written, so a template can show literal braces.
    """
    declared = {
        arg["name"] for arg in prompt.arguments or [] if isinstance(arg, dict) and "name" in arg
    }

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in arguments:
            return str(arguments[key])
        return "" if key in declared else match.group(0)

    result: dict[str, Any] = {
        "messages": [
            {
                "role": "user",
                "content": {"type": "text", "text": _PLACEHOLDER.sub(value, prompt.template)},
            }
        ]
    }
    if prompt.description:
        result["description"] = prompt.description
    return result


def read_resource(resource: BuiltinResource) -> dict[str, Any]:
    """A ``resources/read`` result holding the stored text."""
    return {
        "contents": [
            {"uri": resource.uri, "mimeType": resource.mime_type, "text": resource.content}
        ]
    }

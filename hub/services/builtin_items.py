"""Built-in prompts and resources: the hub's own items (``hub.mcp.builtin_items``), shown to
every MCP session, and reading a resource by URI for the API.

Only admins change them (MCPHub lets any logged-in user do it; a user's text would then
reach every other user's agent). Any authenticated caller may read them.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from mcp.shared.exceptions import MCPError
from pydantic import Field

from hub.auth.access import require_admin, visible_servers
from hub.auth.principal import Principal
from hub.config.models import BuiltinPrompt, BuiltinResource
from hub.errors import BadRequest, Conflict, HubError, NotFound, UpstreamError
from hub.mcp import builtin_items
from hub.services import Body
from hub.upstream.state import Status

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)


class PromptArgument(Body):
    """One ``{{name}}`` a prompt's template takes."""

    name: str = Field(min_length=1, max_length=256)
    title: str | None = None
    description: str | None = None
    required: bool | None = None


class NewPrompt(Body):
    """A prompt to create."""

    name: str = Field(min_length=1, max_length=256)
    template: str = Field(min_length=1)
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] | None = None
    enabled: bool = True


class PromptUpdate(Body):
    """The fields of a prompt to change; those left out stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=256)
    template: str | None = Field(None, min_length=1)
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] | None = None
    enabled: bool | None = None


class NewResource(Body):
    """A resource to create."""

    uri: str = Field(min_length=1, max_length=2048)
    content: str
    name: str | None = None
    description: str | None = None
    mime_type: str = Field("text/plain", min_length=1, max_length=255)
    enabled: bool = True


class ResourceUpdate(Body):
    """The fields of a resource to change; those left out stay as they are."""

    uri: str | None = Field(None, min_length=1, max_length=2048)
    content: str | None = None
    name: str | None = None
    description: str | None = None
    mime_type: str | None = Field(None, min_length=1, max_length=255)
    enabled: bool | None = None


def _arguments(args: list[PromptArgument] | None) -> list[dict[str, Any]] | None:
    if args is None:
        return None
    return [a.model_dump(exclude_none=True) for a in args]


def _check_prompt_name(hub: Hub, name: str, prompt_id: str | None = None) -> None:
    # MCP clients get prompts by name: two with one name would shadow each other.
    if any(p.name == name and p.id != prompt_id for p in hub.config.prompts.values()):
        raise Conflict(f"A prompt named {name!r} already exists")


def _check_resource_uri(hub: Hub, uri: str, resource_id: str | None = None) -> None:
    if any(r.uri == uri and r.id != resource_id for r in hub.config.resources.values()):
        raise Conflict(f"A resource with URI {uri!r} already exists")


# --------------------------------------------------------------------- prompts


def list_prompts(hub: Hub, principal: Principal) -> list[BuiltinPrompt]:
    """Every built-in prompt, enabled or not."""
    return list(hub.config.prompts.values())


def get_prompt(hub: Hub, principal: Principal, prompt_id: str) -> BuiltinPrompt:
    """One prompt by id; 404 when there is none."""
    prompt = hub.config.prompts.get(prompt_id)
    if prompt is None:
        raise NotFound("Prompt not found")
    return prompt


async def create_prompt(hub: Hub, principal: Principal, body: NewPrompt) -> BuiltinPrompt:
    """A new prompt (admins); its name must be free."""
    require_admin(principal)
    _check_prompt_name(hub, body.name)
    prompt = BuiltinPrompt(
        id=str(uuid.uuid4()),
        name=body.name,
        title=body.title,
        description=body.description,
        template=body.template,
        arguments=_arguments(body.arguments),
        enabled=body.enabled,
    )
    await hub.config.put_prompt(prompt, create=True)
    log.info("Built-in prompt %s (%s) created", prompt.id, prompt.name)
    return prompt


async def update_prompt(
    hub: Hub, principal: Principal, prompt_id: str, body: PromptUpdate
) -> BuiltinPrompt:
    """Change the fields the body sets (admins)."""
    require_admin(principal)
    prompt = get_prompt(hub, principal, prompt_id)
    update = body.model_dump(exclude_none=True)
    if not update:
        raise BadRequest("Nothing to update")
    if body.name is not None:
        _check_prompt_name(hub, body.name, prompt_id)
    if body.arguments is not None:
        update["arguments"] = _arguments(body.arguments)
    prompt = prompt.model_copy(update=update)
    await hub.config.put_prompt(prompt)
    log.info("Built-in prompt %s updated (%s)", prompt_id, ", ".join(sorted(update)))
    return prompt


async def delete_prompt(hub: Hub, principal: Principal, prompt_id: str) -> None:
    """Delete a prompt (admins)."""
    require_admin(principal)
    get_prompt(hub, principal, prompt_id)
    await hub.config.delete_prompt(prompt_id)
    log.info("Built-in prompt %s deleted", prompt_id)


# --------------------------------------------------------------------- resources


def list_resources(hub: Hub, principal: Principal) -> list[BuiltinResource]:
    """Every built-in resource, enabled or not."""
    return list(hub.config.resources.values())


def get_resource(hub: Hub, principal: Principal, resource_id: str) -> BuiltinResource:
    """One resource by id; 404 when there is none."""
    resource = hub.config.resources.get(resource_id)
    if resource is None:
        raise NotFound("Resource not found")
    return resource


async def create_resource(hub: Hub, principal: Principal, body: NewResource) -> BuiltinResource:
    """A new resource (admins); its URI must be free."""
    require_admin(principal)
    _check_resource_uri(hub, body.uri)
    resource = BuiltinResource(id=str(uuid.uuid4()), **body.model_dump())
    await hub.config.put_resource(resource, create=True)
    log.info("Built-in resource %s (%s) created", resource.id, resource.uri)
    return resource


async def update_resource(
    hub: Hub, principal: Principal, resource_id: str, body: ResourceUpdate
) -> BuiltinResource:
    """Change the fields the body sets (admins)."""
    require_admin(principal)
    resource = get_resource(hub, principal, resource_id)
    update = body.model_dump(exclude_none=True)
    if not update:
        raise BadRequest("Nothing to update")
    if body.uri is not None:
        _check_resource_uri(hub, body.uri, resource_id)
    resource = resource.model_copy(update=update)
    await hub.config.put_resource(resource)
    log.info("Built-in resource %s updated (%s)", resource_id, ", ".join(sorted(update)))
    return resource


async def delete_resource(hub: Hub, principal: Principal, resource_id: str) -> None:
    """Delete a resource (admins)."""
    require_admin(principal)
    get_resource(hub, principal, resource_id)
    await hub.config.delete_resource(resource_id)
    log.info("Built-in resource %s deleted", resource_id)


async def read_resource(hub: Hub, principal: Principal, uri: str) -> dict[str, Any]:
    """An enabled built-in first, else the first connected server the caller may see that
    lists ``uri`` and has not disabled it; 404 when none does, 502 when the read fails."""
    live = hub.config
    resource = builtin_items.enabled_resource(live.resources.values(), uri)
    if resource is not None:
        return builtin_items.read_resource(resource)
    for name in visible_servers(live, principal):
        state = hub.upstreams.state(name)
        config = live.servers.get(name)
        if config is None or not config.enabled or state.status != Status.CONNECTED:
            continue
        if not any(item.get("uri") == uri for item in state.resources):
            continue
        override = (config.resources or {}).get(uri)
        if override is not None and override.enabled is False:
            continue
        try:
            result: dict[str, Any] = await hub.upstreams.read_resource(name, uri)
        except UpstreamError as exc:
            raise HubError(f"Reading {uri} from {name} failed: {exc.message}", status=502) from None
        except MCPError as exc:
            raise HubError(f"Reading {uri} from {name} failed: {exc}", status=502) from None
        return result
    raise NotFound(f"Resource not found: {uri}")

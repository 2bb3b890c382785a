"""Built-in prompts and resources: ``/api/prompts[/:id]``, ``/api/resources[/:id]`` and
``POST /api/resources/read``.

They are the hub's own items (``hub.mcp.builtin_items``), shown to every MCP session, so only admins
change them (MCPHub lets any logged-in user do it; a user's text would then reach every
other user's agent). Any authenticated caller may read them.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.access import visible_servers
from hub.auth.principal import Policy
from hub.config.models import BuiltinPrompt, BuiltinResource
from hub.errors import BadRequest, Conflict, HubError, NotFound, UpstreamError
from hub.mcp import builtin_items
from hub.upstream.state import Status

log = logging.getLogger(__name__)


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class PromptArgument(Body):
    name: str = Field(min_length=1, max_length=256)
    title: str | None = None
    description: str | None = None
    required: bool | None = None


class NewPrompt(Body):
    name: str = Field(min_length=1, max_length=256)
    template: str = Field(min_length=1)
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] | None = None
    enabled: bool = True


class PromptUpdate(Body):
    name: str | None = Field(None, min_length=1, max_length=256)
    template: str | None = Field(None, min_length=1)
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] | None = None
    enabled: bool | None = None


class NewResource(Body):
    uri: str = Field(min_length=1, max_length=2048)
    content: str
    name: str | None = None
    description: str | None = None
    mime_type: str = Field("text/plain", min_length=1, max_length=255)
    enabled: bool = True


class ResourceUpdate(Body):
    uri: str | None = Field(None, min_length=1, max_length=2048)
    content: str | None = None
    name: str | None = None
    description: str | None = None
    mime_type: str | None = Field(None, min_length=1, max_length=255)
    enabled: bool | None = None


class ReadBody(Body):
    uri: str = Field(min_length=1, max_length=2048)


class BuiltinsBase(APIHandler):
    """Reads for any authenticated caller; writes for admins."""

    policy = {
        "GET": Policy.AUTHENTICATED,
        "POST": Policy.ADMIN,
        "PUT": Policy.ADMIN,
        "DELETE": Policy.ADMIN,
    }

    def prompt_or_404(self, prompt_id: str) -> BuiltinPrompt:
        prompt = self.hub.config.prompts.get(prompt_id)
        if prompt is None:
            raise NotFound("Prompt not found")
        return prompt

    def resource_or_404(self, resource_id: str) -> BuiltinResource:
        resource = self.hub.config.resources.get(resource_id)
        if resource is None:
            raise NotFound("Resource not found")
        return resource

    def check_prompt_name(self, name: str, prompt_id: str | None = None) -> None:
        if any(p.name == name and p.id != prompt_id for p in self.hub.config.prompts.values()):
            raise Conflict(f"A prompt named {name!r} already exists")

    def check_resource_uri(self, uri: str, resource_id: str | None = None) -> None:
        if any(r.uri == uri and r.id != resource_id for r in self.hub.config.resources.values()):
            raise Conflict(f"A resource with URI {uri!r} already exists")


def _arguments(args: list[PromptArgument] | None) -> list[dict[str, Any]] | None:
    if args is None:
        return None
    return [a.model_dump(exclude_none=True) for a in args]


class PromptsHandler(BuiltinsBase):
    docs = {
        "GET": Op("List the built-in prompts"),
        "POST": Op(
            "Create a built-in prompt (admin); {{name}} in the template takes an argument",
            body=NewPrompt,
            status=201,
            errors=(409,),
        ),
    }

    async def get(self) -> None:
        self.reply([p.wire() for p in self.hub.config.prompts.values()])

    async def post(self) -> None:
        body = self.body_as(NewPrompt)
        self.check_prompt_name(body.name)
        prompt = BuiltinPrompt(
            id=str(uuid.uuid4()),
            name=body.name,
            title=body.title,
            description=body.description,
            template=body.template,
            arguments=_arguments(body.arguments),
            enabled=body.enabled,
        )
        await self.hub.config.put_prompt(prompt, create=True)
        log.info("Built-in prompt %s (%s) created", prompt.id, prompt.name)
        self.reply(prompt.wire(), "Prompt created", status=201)


class PromptHandler(BuiltinsBase):
    docs = {
        "GET": Op("Read one built-in prompt"),
        "PUT": Op("Change a built-in prompt (admin)", body=PromptUpdate, errors=(409,)),
        "DELETE": Op("Delete a built-in prompt (admin)"),
    }

    async def get(self, prompt_id: str) -> None:
        self.reply(self.prompt_or_404(prompt_id).wire())

    async def put(self, prompt_id: str) -> None:
        prompt = self.prompt_or_404(prompt_id)
        body = self.body_as(PromptUpdate)
        update = body.model_dump(exclude_none=True)
        if not update:
            raise BadRequest("Nothing to update")
        if body.name is not None:
            self.check_prompt_name(body.name, prompt_id)
        if body.arguments is not None:
            update["arguments"] = _arguments(body.arguments)
        prompt = prompt.model_copy(update=update)
        await self.hub.config.put_prompt(prompt)
        log.info("Built-in prompt %s updated (%s)", prompt_id, ", ".join(sorted(update)))
        self.reply(prompt.wire(), "Prompt updated")

    async def delete(self, prompt_id: str) -> None:
        self.prompt_or_404(prompt_id)
        await self.hub.config.delete_prompt(prompt_id)
        log.info("Built-in prompt %s deleted", prompt_id)
        self.reply(message="Prompt deleted")


class ResourcesHandler(BuiltinsBase):
    docs = {
        "GET": Op("List the built-in resources"),
        "POST": Op(
            "Create a built-in resource (admin)", body=NewResource, status=201, errors=(409,)
        ),
    }

    async def get(self) -> None:
        self.reply([r.wire() for r in self.hub.config.resources.values()])

    async def post(self) -> None:
        body = self.body_as(NewResource)
        self.check_resource_uri(body.uri)
        resource = BuiltinResource(id=str(uuid.uuid4()), **body.model_dump())
        await self.hub.config.put_resource(resource, create=True)
        log.info("Built-in resource %s (%s) created", resource.id, resource.uri)
        self.reply(resource.wire(), "Resource created", status=201)


class ResourceHandler(BuiltinsBase):
    docs = {
        "GET": Op("Read one built-in resource"),
        "PUT": Op("Change a built-in resource (admin)", body=ResourceUpdate, errors=(409,)),
        "DELETE": Op("Delete a built-in resource (admin)"),
    }

    async def get(self, resource_id: str) -> None:
        self.reply(self.resource_or_404(resource_id).wire())

    async def put(self, resource_id: str) -> None:
        resource = self.resource_or_404(resource_id)
        body = self.body_as(ResourceUpdate)
        update = body.model_dump(exclude_none=True)
        if not update:
            raise BadRequest("Nothing to update")
        if body.uri is not None:
            self.check_resource_uri(body.uri, resource_id)
        resource = resource.model_copy(update=update)
        await self.hub.config.put_resource(resource)
        log.info("Built-in resource %s updated (%s)", resource_id, ", ".join(sorted(update)))
        self.reply(resource.wire(), "Resource updated")

    async def delete(self, resource_id: str) -> None:
        self.resource_or_404(resource_id)
        await self.hub.config.delete_resource(resource_id)
        log.info("Built-in resource %s deleted", resource_id)
        self.reply(message="Resource deleted")


class ReadHandler(BuiltinsBase):
    policy = {"POST": Policy.AUTHENTICATED}
    docs = {
        "POST": Op(
            "Read a resource: an enabled built-in first, else the first connected server the "
            "caller may see that lists the URI",
            body=ReadBody,
            errors=(404, 502),
        )
    }

    async def post(self) -> None:
        uri = self.body_as(ReadBody).uri
        live = self.hub.config
        resource = builtin_items.enabled_resource(live.resources.values(), uri)
        if resource is not None:
            self.reply(builtin_items.read_resource(resource))
            return
        for name in visible_servers(live, self.caller):
            state = self.hub.upstreams.state(name)
            config = live.servers.get(name)
            if config is None or not config.enabled or state.status != Status.CONNECTED:
                continue
            if not any(item.get("uri") == uri for item in state.resources):
                continue
            override = (config.resources or {}).get(uri)
            if override is not None and override.enabled is False:
                continue
            try:
                result = await self.hub.upstreams.read_resource(name, uri)
            except UpstreamError as exc:
                raise HubError(
                    f"Reading {uri} from {name} failed: {exc.message}", status=502
                ) from None
            except MCPError as exc:
                raise HubError(f"Reading {uri} from {name} failed: {exc}", status=502) from None
            self.reply(result)
            return
        raise NotFound(f"Resource not found: {uri}")


default_handlers = [
    (r"/api/prompts", PromptsHandler),
    (r"/api/prompts/(?P<prompt_id>[^/]+)", PromptHandler),
    (r"/api/resources/read", ReadHandler),
    (r"/api/resources", ResourcesHandler),
    (r"/api/resources/(?P<resource_id>[^/]+)", ResourceHandler),
]

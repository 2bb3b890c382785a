"""Built-in prompts and resources: ``/api/prompts[/:id]``, ``/api/resources[/:id]`` and
``POST /api/resources/read``.

Reads for any authenticated caller, writes for admins; the rules are in
``hub.services.builtin_items``.
"""

from __future__ import annotations

from pydantic import Field

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.services import Body
from hub.services import builtin_items as items
from hub.services.builtin_items import NewPrompt, NewResource, PromptUpdate, ResourceUpdate


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
        self.reply([p.wire() for p in items.list_prompts(self.hub, self.caller)])

    async def post(self) -> None:
        prompt = await items.create_prompt(self.hub, self.caller, self.body_as(NewPrompt))
        self.reply(prompt.wire(), "Prompt created", status=201)


class PromptHandler(BuiltinsBase):
    docs = {
        "GET": Op("Read one built-in prompt"),
        "PUT": Op("Change a built-in prompt (admin)", body=PromptUpdate, errors=(409,)),
        "DELETE": Op("Delete a built-in prompt (admin)"),
    }

    async def get(self, prompt_id: str) -> None:
        self.reply(items.get_prompt(self.hub, self.caller, prompt_id).wire())

    async def put(self, prompt_id: str) -> None:
        body = self.body_as(PromptUpdate)
        prompt = await items.update_prompt(self.hub, self.caller, prompt_id, body)
        self.reply(prompt.wire(), "Prompt updated")

    async def delete(self, prompt_id: str) -> None:
        await items.delete_prompt(self.hub, self.caller, prompt_id)
        self.reply(message="Prompt deleted")


class ResourcesHandler(BuiltinsBase):
    docs = {
        "GET": Op("List the built-in resources"),
        "POST": Op(
            "Create a built-in resource (admin)", body=NewResource, status=201, errors=(409,)
        ),
    }

    async def get(self) -> None:
        self.reply([r.wire() for r in items.list_resources(self.hub, self.caller)])

    async def post(self) -> None:
        resource = await items.create_resource(self.hub, self.caller, self.body_as(NewResource))
        self.reply(resource.wire(), "Resource created", status=201)


class ResourceHandler(BuiltinsBase):
    docs = {
        "GET": Op("Read one built-in resource"),
        "PUT": Op("Change a built-in resource (admin)", body=ResourceUpdate, errors=(409,)),
        "DELETE": Op("Delete a built-in resource (admin)"),
    }

    async def get(self, resource_id: str) -> None:
        self.reply(items.get_resource(self.hub, self.caller, resource_id).wire())

    async def put(self, resource_id: str) -> None:
        body = self.body_as(ResourceUpdate)
        resource = await items.update_resource(self.hub, self.caller, resource_id, body)
        self.reply(resource.wire(), "Resource updated")

    async def delete(self, resource_id: str) -> None:
        await items.delete_resource(self.hub, self.caller, resource_id)
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
        self.reply(await items.read_resource(self.hub, self.caller, uri))


default_handlers = [
    (r"/api/prompts", PromptsHandler),
    (r"/api/prompts/(?P<prompt_id>[^/]+)", PromptHandler),
    (r"/api/resources/read", ReadHandler),
    (r"/api/resources", ResourcesHandler),
    (r"/api/resources/(?P<resource_id>[^/]+)", ResourceHandler),
]

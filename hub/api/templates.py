"""Templates: ``POST /api/templates/export``, ``GET /api/templates/export/groups/:id``,
``POST /api/templates/import``; rate-limited per IP on top of the login check.

Everyone logged in may use them, limited to what they own: an export holds only servers
and groups the caller may see, and an import creates things owned by the caller, through
the same stdio rule as every other write path (``hub.config.templates``).
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from hub.api.api_spec import Op
from hub.api.base import APIHandler, validation_message
from hub.auth.access import group_for, visible_groups, visible_servers
from hub.auth.principal import Policy
from hub.auth.rate_limits import Limit, RateLimitedMixin
from hub.config.templates import VERSION, TemplateDoc, build_template, import_template
from hub.errors import BadRequest

log = logging.getLogger(__name__)

TEMPLATE_LIMIT = Limit(100, 15 * 60.0)
"""MCPHub's extra limiter on ``/templates``: 100 requests per 15 minutes per IP."""


class ExportBody(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    group_ids: list[str] | None = None
    include_disabled_servers: bool = False


class TemplateHandler(RateLimitedMixin, APIHandler):
    policy = Policy.OWNER

    async def prepare(self) -> None:
        # Before authentication, so guessing at these routes is limited too.
        self.rate_limit("templates", TEMPLATE_LIMIT)
        await super().prepare()

    def servers_of(self, groups_servers: list[str] | None, include_disabled: bool) -> list[str]:
        live = self.hub.config
        names = visible_servers(live, self.caller)
        if groups_servers is not None:
            names = [n for n in names if n in groups_servers]
        return [n for n in names if include_disabled or live.servers[n].enabled]


class ExportHandler(TemplateHandler):
    docs = {
        "POST": Op(
            "Export your servers and groups as a template, secrets as ${PLACEHOLDER}s",
            body=ExportBody,
            errors=(429,),
        )
    }

    async def post(self) -> None:
        body = self.body_as(ExportBody)
        live = self.hub.config
        if body.group_ids is None:
            groups = visible_groups(live, self.caller)
            servers = self.servers_of(None, body.include_disabled_servers)
        else:
            groups = [group_for(live, self.caller, ref) for ref in body.group_ids]
            members = [m.name for g in groups for m in g.servers]
            servers = self.servers_of(members, body.include_disabled_servers)
        template = build_template(live, body.name, body.description, servers, groups)
        log.info(
            "Template %r exported: %d servers, %d groups", body.name, len(servers), len(groups)
        )
        self.reply(template)


class GroupExportHandler(TemplateHandler):
    docs = {"GET": Op("Export one group and its servers as a template", errors=(429,))}

    async def get(self, ref: str) -> None:
        live = self.hub.config
        group = group_for(live, self.caller, ref)
        name = self.get_query_argument("name", None) or group.name
        servers = self.servers_of([m.name for m in group.servers], True)
        self.reply(build_template(live, name, group.description, servers, [group]))


class ImportHandler(TemplateHandler):
    docs = {
        "POST": Op(
            "Create a template's missing servers and groups; per-item details",
            body=TemplateDoc,
            errors=(429,),
        )
    }

    async def post(self) -> None:
        data = self.json_body()
        if not isinstance(data, dict):
            raise BadRequest("A template must be a JSON object")
        try:
            template = TemplateDoc.model_validate(data)
        except ValidationError as exc:
            message, errors = validation_message(exc)
            raise BadRequest(message, errors=errors) from exc
        if not template.version.startswith(VERSION.split(".")[0] + "."):
            raise BadRequest(f"Unsupported template version {template.version!r}")
        result = await import_template(self.hub.config, self.caller, template)
        log.info(
            "Template %r imported by %s: %d servers and %d groups created",
            template.name,
            self.caller.name,
            result["serversCreated"],
            result["groupsCreated"],
        )
        if not result["success"]:
            raise BadRequest("Nothing was imported", data=result)
        self.reply(result, "Template imported")


default_handlers = [
    (r"/api/templates/export", ExportHandler),
    (r"/api/templates/export/groups/(?P<ref>[^/]+)", GroupExportHandler),
    (r"/api/templates/import", ImportHandler),
]

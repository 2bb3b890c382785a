"""Templates: ``POST /api/templates/export``, ``GET /api/templates/export/groups/:id``,
``POST /api/templates/import``; rate-limited per IP on top of the login check.

Everyone logged in may use them, limited to what they own: an export holds only servers
and groups the caller may see, and an import creates things owned by the caller, through
the same stdio rule as every other write path (``hub.services.templates``).
"""

from __future__ import annotations

from pydantic import ValidationError

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.auth.rate_limits import Limit, RateLimitedMixin
from hub.errors import BadRequest, validation_message
from hub.services import templates
from hub.services.templates import ExportBody, TemplateDoc

TEMPLATE_LIMIT = Limit(100, 15 * 60.0)
"""MCPHub's extra limiter on ``/templates``: 100 requests per 15 minutes per IP."""


class TemplateHandler(RateLimitedMixin, APIHandler):
    policy = Policy.OWNER

    async def prepare(self) -> None:
        # Before authentication, so guessing at these routes is limited too.
        await self.rate_limit("templates", TEMPLATE_LIMIT)
        await super().prepare()


class ExportHandler(TemplateHandler):
    docs = {
        "POST": Op(
            "Export your servers and groups as a template, secrets as ${PLACEHOLDER}s",
            body=ExportBody,
            errors=(404, 429),
        )
    }

    async def post(self) -> None:
        body = self.body_as(ExportBody)
        self.reply(templates.export_template(self.hub, self.caller, body))


class GroupExportHandler(TemplateHandler):
    docs = {"GET": Op("Export one group and its servers as a template", errors=(429,))}

    async def get(self, ref: str) -> None:
        name = self.get_query_argument("name", None)
        self.reply(templates.export_group(self.hub, self.caller, ref, name))


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
        result = await templates.import_template(self.hub, self.caller, template)
        self.reply(result, "Template imported")


default_handlers = [
    (r"/api/templates/export", ExportHandler),
    (r"/api/templates/export/groups/(?P<ref>[^/]+)", GroupExportHandler),
    (r"/api/templates/import", ImportHandler),
]

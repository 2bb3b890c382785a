"""``/api/activities``: the per-call history, in MCPHub's routes and shapes.

Thin handlers over ``hub.services.activities`` (which limits non-admins to their own
servers, keys and calls). Numbers in the query follow MCPHub: a value that is not a number,
or is 0, falls back to the default.
"""

from __future__ import annotations

from typing import Any

from hub.api.api_spec import Op, Param
from hub.api.base import APIHandler, pagination
from hub.auth.principal import Policy
from hub.services import activities
from hub.services.activities import ActivityFilters

_STR = {"type": "string"}
FILTER_QUERY = (
    Param("server", _STR, "Substring of the server name"),
    Param("tool", _STR, "Substring of the tool name"),
    Param("status", {"type": "string", "enum": ["success", "error"]}),
    Param("group", _STR, "Substring of the group"),
    Param("keyId", _STR, "Exact key id"),
    Param("keyName", _STR, "Substring of the key name"),
    Param("startDate", _STR, "ISO 8601; applied with endDate"),
    Param("endDate", _STR, "ISO 8601; applied with startDate"),
)
PAGE_QUERY = (
    Param("page", {"type": "string"}, "Page number, from 1 (default 1)"),
    Param("limit", {"type": "string"}, "Records per page, 1..100 (default 20)"),
)


class ActivitiesBase(APIHandler):
    """Everyone authenticated; the service cuts what non-admins see."""

    policy = Policy.OWNER

    def number(self, name: str, default: int) -> int:
        raw = self.get_query_argument(name, "") or ""
        try:
            value = int(raw.strip())
        except ValueError:
            return default
        return value or default

    def filters(self) -> ActivityFilters:
        query: dict[str, Any] = {}
        for param in FILTER_QUERY:
            value = self.get_query_argument(param.name, None)
            if value:
                query[param.name] = value
        return ActivityFilters.model_validate(query)


class ActivitiesHandler(ActivitiesBase):
    docs = {
        "GET": Op(
            "Page through tool-call activities, newest first", query=PAGE_QUERY + FILTER_QUERY
        )
    }

    async def get(self) -> None:
        page, limit = self.number("page", 1), self.number("limit", 20)
        rows, total = await activities.list_activities(
            self.hub, self.caller, self.filters(), page, limit
        )
        self.reply(rows, pagination=pagination(total, page, limit))


class StatsHandler(ActivitiesBase):
    docs = {"GET": Op("Counts and mean duration of the matching activities", query=FILTER_QUERY)}

    async def get(self) -> None:
        self.reply(await activities.stats(self.hub, self.caller, self.filters()))


class FiltersHandler(ActivitiesBase):
    docs = {"GET": Op("Distinct servers, tools, groups and key names to filter by")}

    async def get(self) -> None:
        self.reply(await activities.filters(self.hub, self.caller))


class AvailableHandler(ActivitiesBase):
    docs = {"GET": Op("Whether the activity history is kept (true with the SQLite store)")}

    async def get(self) -> None:
        self.reply({"available": activities.available(self.hub)})


class CleanupHandler(ActivitiesBase):
    policy = Policy.ADMIN
    docs = {
        "DELETE": Op(
            "Delete activities older than daysOld days (default 30)",
            query=(Param("daysOld", {"type": "string"}, "At least 1"),),
        )
    }

    async def delete(self) -> None:
        raw = self.get_query_argument("daysOld", None)
        days = 30 if raw is None or raw == "" else self.number("daysOld", -1)
        self.reply(await activities.cleanup(self.hub, self.caller, days))


class ActivityHandler(ActivitiesBase):
    docs = {"GET": Op("One activity record")}

    async def get(self, activity_id: str) -> None:
        self.reply(await activities.get_activity(self.hub, self.caller, activity_id))


default_handlers = [
    (r"/api/activities", ActivitiesHandler),
    (r"/api/activities/stats", StatsHandler),
    (r"/api/activities/filters", FiltersHandler),
    (r"/api/activities/available", AvailableHandler),
    (r"/api/activities/cleanup", CleanupHandler),
    (r"/api/activities/(?P<activity_id>[^/]+)", ActivityHandler),
]

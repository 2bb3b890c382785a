"""Activities: read, summarise and clean up the per-call history (``/api/activities``).

Admins see every record; anyone else sees the records of their own servers, of their own
bearer keys, and of the calls they made themselves, on every read (list, stats, filters,
by id). Cleanup is for admins. The records come from the store's ``ActivityLog``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from hub.activity_calls import CALL_FIELDS
from hub.auth.access import require_admin
from hub.config.activities import ActivityLog, ActivityQuery, activity_log
from hub.errors import BadRequest, NotFound
from hub.services import Body

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.auth.principal import Principal

UNAVAILABLE = "Activity logging is only available in database mode"
FIELDS = ("id", *CALL_FIELDS)
"""A record's fields as the API answers them: its ``id``, then ``CALL_FIELDS``."""


class ActivityFilters(Body):
    """MCPHub's filters; the date range applies only when both ends are given."""

    server: str | None = None
    tool: str | None = None
    status: str | None = Field(None, description="success or error; anything else is ignored")
    group: str | None = None
    key_id: str | None = None
    key_name: str | None = None
    start_date: str | None = None
    end_date: str | None = None


def available(hub: Hub) -> bool:
    return activity_log(hub.store) is not None


def _log(hub: Hub) -> ActivityLog:
    log = activity_log(hub.store)
    if log is None:
        raise NotFound(UNAVAILABLE)
    return log


def _date(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(f"Invalid date: {text}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(timestamp: float) -> str:
    """``2026-12-06T12:00:00.123Z``, as JavaScript's ``toISOString``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def query_for(hub: Hub, principal: Principal, filters: ActivityFilters | None) -> ActivityQuery:
    """The store query: the caller's filters, cut to what the caller may see."""
    f = filters or ActivityFilters()
    since = until = None
    if f.start_date and f.end_date:
        since, until = _date(f.start_date), _date(f.end_date)
    scope: dict[str, Any] = {}
    if not principal.is_admin:
        live = hub.config
        keys = {k.id for k in live.keys.values() if k.owner == principal.name}
        if principal.key_id:
            keys.add(principal.key_id)
        scope = {
            "only_owned": True,
            "servers": tuple(n for n, c in live.servers.items() if c.owner == principal.name),
            "keys": tuple(sorted(keys)),
            "user": principal.name if principal.kind != "key" else None,
        }
    return ActivityQuery(
        server=f.server or None,
        tool=f.tool or None,
        status=f.status if f.status in ("success", "error") else None,
        group=f.group or None,
        key_id=f.key_id or None,
        key_name=f.key_name or None,
        since=since,
        until=until,
        **scope,
    )


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record in MCPHub's shape (ISO timestamp, string id, nulls kept)."""
    out = {name: record.get(name) for name in FIELDS}
    if isinstance(out["timestamp"], int | float):
        out["timestamp"] = iso(float(out["timestamp"]))
    out["id"] = str(record.get("id"))
    return out


async def list_activities(
    hub: Hub, principal: Principal, filters: ActivityFilters, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the visible records matching ``filters``, newest first, and the total."""
    if page < 1:
        raise BadRequest("Page number must be greater than 0")
    if not 1 <= limit <= 100:
        raise BadRequest("Limit must be between 1 and 100")
    query = query_for(hub, principal, filters)
    rows, total = await _log(hub).query_activities(query, limit=limit, offset=(page - 1) * limit)
    return [public(r) for r in rows], total


async def stats(hub: Hub, principal: Principal, filters: ActivityFilters) -> dict[str, int]:
    return await _log(hub).activity_stats(query_for(hub, principal, filters))


async def filters(hub: Hub, principal: Principal) -> dict[str, list[str]]:
    return await _log(hub).activity_filters(query_for(hub, principal, None))


async def get_activity(hub: Hub, principal: Principal, activity_id: str) -> dict[str, Any]:
    """One visible record; 404 ``Activity not found`` for a missing or invisible one."""
    record = await _log(hub).get_activity(activity_id)
    if record is None or not _visible(query_for(hub, principal, None), record):
        raise NotFound("Activity not found")
    return public(record)


def _visible(query: ActivityQuery, record: dict[str, Any]) -> bool:
    if not query.only_owned:
        return True
    return (
        record.get("server") in query.servers
        or record.get("keyId") in query.keys
        or (query.user is not None and record.get("user") == query.user)
    )


MAX_DAYS_OLD = 1_000_000
"""Days past which ``daysOld`` means "older than 1970" (about 2,700 years)."""


async def cleanup(hub: Hub, principal: Principal, days_old: int) -> dict[str, Any]:
    """Delete records older than ``days_old`` days (admins only)."""
    require_admin(principal)
    if days_old < 1:
        raise BadRequest("daysOld must be at least 1")
    # No record is older than 1970: a larger age (up to any number of digits) deletes none.
    cutoff = max(0.0, time.time() - min(days_old, MAX_DAYS_OLD) * 86_400.0)
    deleted = await _log(hub).delete_activities(cutoff)
    return {"deletedCount": deleted, "cutoffDate": iso(cutoff)}


async def expire(hub: Hub, retention_days: int) -> int:
    """The retention rule: delete what is older than ``retention_days`` (0 keeps all)."""
    log = activity_log(hub.store)
    if log is None or retention_days <= 0:
        return 0
    return await log.delete_activities(time.time() - retention_days * 86400.0)

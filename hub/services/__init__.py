"""Domain operations: each takes the hub and the calling principal, checks the caller's
rights through ``hub.auth.access`` and raises ``hub.errors``. The API handlers, and later
the OAuth server, catalog install and dashboard, call these; none of them depends on an
HTTP request.

``servers`` / ``server_views`` / ``server_items`` (server configs, their views, per-item
overrides), ``groups``, ``users``, ``keys``, ``templates``, ``builtin_items`` (the hub's own
prompts and resources), ``system`` (system config, settings overview and export).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Body(BaseModel):
    """Base of the services' input models: camelCase or snake_case fields, unknown ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

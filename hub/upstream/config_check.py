"""Server configs as the API accepts them: one validation path through the transports.

The core trims and parses the common fields, asks the registered transports which kind a
config is (its ``type``, else the first transport that claims it) and lets that transport
check its own fields. It keeps no list of kinds and no per-kind rule, so a third party's
transport is validated exactly like the built-in ones.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints, ValidationError

from hub.config.models import ServerConfig
from hub.config.names import check_server_name
from hub.errors import BadRequest
from hub.upstream.transport import Transports, claims, kind_of

ServerName = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(check_server_name)
]
"""A server name as ``hub.config.names.NAME_RULE`` says (so no slash, blank, ``;``, markup or
leading ``$``); a refusal says the rule in words."""

TRIMMED = ("type", "url", "command", "cwd")
"""String fields MCPHub trims before storing (an empty result counts as absent)."""


def _error(exc: ValidationError, prefix: str) -> BadRequest:
    errors = [
        {"field": ".".join([prefix, *(str(p) for p in e["loc"])]), "message": e["msg"]}
        for e in exc.errors()
    ]
    first = errors[0]
    return BadRequest(f"Invalid server config: {first['field']}: {first['message']}", errors=errors)


def parse_config(raw: Any) -> ServerConfig:
    """The common fields of a config body, or a 400 naming the first bad field."""
    if not isinstance(raw, dict):
        raise BadRequest("Invalid server config: config must be an object")
    try:
        return ServerConfig.model_validate(raw)
    except ValidationError as exc:
        raise _error(exc, "config") from exc


def _needs(transports: Transports) -> str:
    """``"a, b, or c"`` from the claims, in the order the transports are asked."""
    needs = [claim.needs for _, claim in claims(transports)]
    if not needs:
        return "a type (no transport takes configs without one)"
    if len(needs) == 1:
        return needs[0]
    if len(needs) == 2:
        return f"{needs[0]} or {needs[1]}"
    return f"{', '.join(needs[:-1])}, or {needs[-1]}"


def check(transports: Transports, config: ServerConfig) -> ServerConfig:
    """The config to store, with its kind as ``type``; a 400 with one readable line otherwise.

    MCPHub's rules (behaviour §1.3): strings trimmed, the type inferred when absent (here
    by the transports' claims), env and header values scalars; the rest is the transport's
    ``validate``, whose ``ValueError`` becomes ``Invalid server config: <message>``.
    """
    raw = config.wire(exclude_unset=True)
    for key in TRIMMED:
        if isinstance(raw.get(key), str):
            raw[key] = raw[key].strip() or None
            if raw[key] is None:
                del raw[key]
    config = parse_config(raw)
    kind = kind_of(transports, config)
    if kind is None:
        raise BadRequest(f"Invalid server config: it needs {_needs(transports)}")
    transport = transports.get(kind)
    if transport is None:
        known = ", ".join(sorted(transports))
        raise BadRequest(f"Invalid server type '{kind}'; expected one of {known}")
    for field, values in (("env", config.env), ("headers", config.headers)):
        for k, v in (values or {}).items():
            if not k or not isinstance(v, str | int | float | bool):
                raise BadRequest(f"Invalid server config: {field}.{k} must be a string")
    raw["type"] = kind
    config = parse_config(raw)
    try:
        return transport.validate(config)
    except ValidationError as exc:
        raise _error(exc, "config") from exc
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"Invalid server config: {exc}") from exc


def same_target(old: ServerConfig, new: ServerConfig, transports: Transports) -> bool:
    """Whether secrets kept from ``old`` would still go where they went before: the same
    kind, and the same destination as that kind's transport sees it."""
    kind = kind_of(transports, old)
    transport = transports.get(kind) if kind else None
    if transport is None or kind_of(transports, new) != kind:
        return False
    try:
        return transport.destination(old) == transport.destination(new)
    except (ValueError, TypeError):
        return False

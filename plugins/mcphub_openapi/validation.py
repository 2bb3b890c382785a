"""Opt-in checking of calls against the spec (``openapi.validateRequests``).

Arguments are checked against the tool's input schema with a compiled JSON Schema validator
(tens of microseconds), then the built HTTP request against the operation with openapi-core
(a few milliseconds, so the caller runs it in a thread). Off by default, as in MCPHub.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx2
from jsonschema import Draft202012Validator
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from mcphub_openapi.loader import Spec, SpecError
from mcphub_openapi.request import Built
from mcphub_openapi.tools import Operation


class _Request:
    """An outgoing httpx2 request in the shape openapi-core reads (``protocols.Request``)."""

    def __init__(self, op: Operation, built: Built, request: httpx2.Request) -> None:
        url = urlsplit(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = op.method
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(built.cookies),
        )


class RequestValidator:
    def __init__(self, spec: Spec) -> None:
        # Validate against the base URL the calls really use, whatever servers[] says.
        document = {**spec.document, "servers": [{"url": spec.base_url}]}
        try:
            self.app = OpenAPI.from_dict(document, base_uri=spec.source or "")
        except Exception as exc:  # noqa: BLE001 - openapi-spec-validator raises many kinds
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SpecError(f"invalid OpenAPI document: {first[:300]}") from None
        self._compiled: dict[str, Draft202012Validator] = {}

    def arguments(self, op: Operation, arguments: dict[str, Any]) -> str | None:
        validator = self._compiled.get(op.tool)
        if validator is None:
            validator = self._compiled[op.tool] = Draft202012Validator(op.input_schema)
        error = next(iter(validator.iter_errors(arguments)), None)
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "arguments"
        return f"Invalid arguments: {where}: {error.message}"

    def request(self, op: Operation, built: Built, request: httpx2.Request) -> str | None:
        try:
            self.app.validate_request(_Request(op, built, request))
        except Exception as exc:  # noqa: BLE001 - any validation failure refuses the call
            detail = "; ".join(str(e) for e in getattr(exc, "schema_errors", []) or [])
            cause = exc.__cause__
            text = detail or (str(cause) if cause else "") or str(exc) or type(exc).__name__
            return f"The request does not match the spec: {' '.join(text.split())[:500]}"
        return None

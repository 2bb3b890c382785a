"""The 2026-07-28 side of the conformance fixture: questions as ``InputRequiredResult``.

On the 2026 wire a server may not send requests; a handler that needs input ends the round
with an ``InputRequiredResult`` and is run again, from the top, when the client retries with
``inputResponses`` and the ``requestState``. Here the state is the answers collected in
earlier rounds, HMAC-signed, so a handler re-run sees every answer so far and a tampered
state is refused (-32602).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import mcp.types as t
from mcp.shared.exceptions import MCPError
from mcp_types import CLIENT_CAPABILITIES_META_KEY

Args = dict[str, Any]

_SECRET = secrets.token_bytes(32)
NEEDS = {
    "sampling/createMessage": "sampling",
    "elicitation/create": "elicitation",
    "roots/list": "roots",
}


class NeedInput(Exception):
    """The handler asked something the client has not answered yet: end the round."""


class Round:
    """One 2026 request: the answers known so far, the client's capabilities, the questions."""

    def __init__(self, answers: Args, capabilities: Mapping[str, Any]) -> None:
        self.answers = answers
        self.capabilities = capabilities
        self.missing: Args = {}

    @classmethod
    def of(cls, params: Mapping[str, Any], meta: Mapping[str, Any] | None) -> Round:
        answers: Args = {}
        state = params.get("requestState")
        if state is not None:
            answers.update(_unsign(state))
        responses = params.get("inputResponses")
        if isinstance(responses, Mapping):
            # A malformed answer (not an object) counts as no answer: the question is re-asked.
            answers.update({k: v for k, v in responses.items() if isinstance(v, dict)})
        capabilities = (meta or {}).get(CLIENT_CAPABILITIES_META_KEY) or {}
        return cls(answers, capabilities if isinstance(capabilities, Mapping) else {})

    def check(self, method: str) -> None:
        """-32021 for a question the client declared no capability to answer."""
        needed = NEEDS.get(method)
        if needed and needed not in self.capabilities:
            raise MCPError(
                t.MISSING_REQUIRED_CLIENT_CAPABILITY,
                f"This request needs the client capability '{needed}'",
                data={"requiredCapabilities": {needed: {}}},
            )

    def want(self, key: str, method: str, params: Args | None) -> Args | None:
        """The answer to ``key``, or None after noting the question for this round."""
        self.check(method)
        answer = self.answers.get(key)
        if isinstance(answer, dict):
            return answer
        self.missing[key] = {"method": method, "params": params or {}}
        return None

    def ask(self, key: str, method: str, params: Args | None) -> Args:
        answer = self.want(key, method, params)
        if answer is None:
            raise NeedInput(key)
        return answer

    def input_required(self) -> t.InputRequiredResult:
        return t.InputRequiredResult(input_requests=self.missing, request_state=_sign(self.answers))


current: ContextVar[Round | None] = ContextVar("mrtr_round", default=None)


def _mac(body: str) -> str:
    return hmac.new(_SECRET, body.encode(), hashlib.sha256).hexdigest()[:32]


def _sign(answers: Args) -> str:
    body = base64.urlsafe_b64encode(json.dumps(answers, sort_keys=True).encode()).decode()
    return f"{body}.{_mac(body)}"


def _unsign(state: Any) -> Args:
    body, _, mac = state.rpartition(".") if isinstance(state, str) else ("", "", "")
    if not body or not hmac.compare_digest(mac, _mac(body)):
        raise MCPError(t.INVALID_PARAMS, "requestState failed its integrity check")
    answers: Args = json.loads(base64.urlsafe_b64decode(body))
    return answers

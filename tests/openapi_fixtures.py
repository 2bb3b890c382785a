"""Helpers for the OpenAPI tests: the REST API upstream process and the Petstore fixture."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.upstreams_fixtures import spawn_listening, stop_process

ROOT = Path(__file__).resolve().parent.parent
PETSTORE = ROOT / "tests" / "fixtures" / "petstore-3.0.json"


@dataclass
class RestApi:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spec_url(self) -> str:
        return f"{self.origin}/openapi.json"

    def stop(self) -> None:
        stop_process(self.proc)


def start_rest_api(*args: str) -> RestApi:
    """Start ``tests.upstreams.rest_api`` on a free port."""
    proc, port = spawn_listening(
        [sys.executable, "-m", "tests.upstreams.rest_api", "--port", "0", *args]
    )
    return RestApi(proc, port)


@pytest.fixture(scope="module")
def rest_api() -> Iterator[RestApi]:
    api = start_rest_api()
    yield api
    api.stop()


def petstore() -> dict[str, Any]:
    return json.loads(PETSTORE.read_text())


def rest_server_config(api: RestApi, **openapi: Any) -> dict[str, Any]:
    """A hub server config (wire form) for the REST API with the given ``openapi`` keys."""
    return {"type": "openapi", "openapi": {"url": api.spec_url, **openapi}}

"""Suite-wide settings and fixtures.

Fixtures for hubs come from ``hub/testing.py`` (the pytest11 plugin, also used by plugin
authors). The suite's own fixtures live in the ``*_fixtures`` modules below, loaded here as
plugins; their helper functions and classes are imported normally where a test uses them.
"""

from __future__ import annotations

import os

import pytest

from hub.auth import passwords

# Third-party plugins installed in the environment must not change results; built-in
# plugins (this distribution's own entry points) still load.
os.environ.setdefault("MCPHUB_LOAD_PLUGINS", "")

# A module imported by a later one comes first, so pytest rewrites its asserts too.
pytest_plugins = [
    "tests.upstreams_fixtures",
    "tests.mcp_fixtures",
    "tests.api_fixtures",
    "tests.access_fixtures",
    "tests.openapi_fixtures",
    "tests.pg_fixtures",
    "tests.multi_fixtures",
    "tests.store_fixtures",
]


@pytest.fixture(autouse=True)
def fast_bcrypt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real bcrypt at its lowest cost (4) for in-process hubs: same code path, but cost 12
    makes each hash (every hub start creates ``admin``, every login checks) a quarter of a
    second of CPU, about half of the suite's. Tests marked ``real_bcrypt`` and hubs run as
    child processes (the CLI tests) keep the real cost."""
    if request.node.get_closest_marker("real_bcrypt") is None:
        monkeypatch.setattr(passwords, "BCRYPT_ROUNDS", 4)

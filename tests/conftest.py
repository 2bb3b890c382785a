"""Suite-wide settings and fixtures.

Fixtures for hubs come from ``hub/testing.py`` (the pytest11 plugin, also used by plugin
authors). The suite's own fixtures live in the ``*_fixtures`` modules below, loaded here as
plugins; their helper functions and classes are imported normally where a test uses them.
"""

from __future__ import annotations

import os

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
]

"""Suite-wide settings. Fixtures for hubs come from hub/testing.py (the pytest11 plugin)."""

from __future__ import annotations

import os

# Third-party plugins installed in the environment must not change results; built-in
# plugins (this distribution's own entry points) still load.
os.environ.setdefault("MCPHUB_LOAD_PLUGINS", "")

"""``mcphub serve`` freezes what start-up built and collects less often while serving."""

from __future__ import annotations

import json
import subprocess
import sys

from hub.commands.collector import SERVING_THRESHOLDS


def test_serving_freezes_start_up_and_raises_the_thresholds() -> None:
    # In a child process: the thresholds are process-wide and the test run keeps its own.
    code = (
        "import gc, json\n"
        "from hub.commands.collector import settle_for_serving\n"
        "before = gc.get_threshold()\n"
        "settle_for_serving()\n"
        "print(json.dumps([before, gc.get_threshold(), gc.get_freeze_count()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, frozen = json.loads(out.stdout)
    assert before == [700, 10, 10] and after == list(SERVING_THRESHOLDS)
    assert frozen > 1000  # the modules and objects start-up made

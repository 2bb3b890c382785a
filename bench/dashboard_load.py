"""First load of the dashboard in Debian's chromium: bytes on the wire and time to interactive.

Starts a real ``mcphub serve`` child (one stdio upstream), logs in over the API, then opens
``/servers`` in fresh browser contexts (empty cache) with the token already stored, as a
returning user does. For each load it prints every byte received (compressed, headers
included: the Resource Timing ``transferSize``), the file count, and the milliseconds from
navigation start until the server's switch can be used, timed inside the page. The budget
(issue 17) is under 200 KB and under 1 s; the best load is held to it, because on a shared
machine one slow load says more about the neighbours than about the page. The figures live
in ``bench.dashboard_budget``, shared with the in-suite test.

Run: ``python -m bench.dashboard_load [--loads 5]``; exits 1 when over budget.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from typing import Any

from bench.__main__ import cpu_reference_ms
from bench.dashboard_budget import BUDGET_BYTES, BUDGET_MS, CHROMIUM
from bench.dashboard_budget import CHROMIUM_ARGS as ARGS
from bench.procs import ROOT, Hub

FIGURES = """() => {
  const entries = [...performance.getEntriesByType("navigation"),
                   ...performance.getEntriesByType("resource")];
  return {bytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
          decoded: entries.reduce((sum, e) => sum + e.decodedBodySize, 0),
          files: entries.length};
}"""
READY = """() => document.querySelector('[aria-label="Server tiny enabled"]:not(:disabled)')
  && performance.now()"""


def login(url: str) -> str:
    body = json.dumps({"username": "admin", "password": "bench-admin-password-1"}).encode()
    request = urllib.request.Request(
        url + "/api/auth/login", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        token: str = json.load(reply)["token"]
    return token


async def measure(loads: int) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    hub = await Hub(
        {"tiny": {"command": sys.executable, "args": [str(ROOT / "bench" / "tiny_stdio.py")]}}
    ).start()
    try:
        token = await asyncio.to_thread(login, hub.url)
        results = []
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(loads):
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                await context.add_init_script(f"localStorage.setItem('mcphub_token', '{token}')")
                page = await context.new_page()
                await page.goto(hub.url + "/servers")
                ready = await page.wait_for_function(READY, polling="raf")
                figures: dict[str, Any] = await page.evaluate(FIGURES)
                figures["interactiveMs"] = round(await ready.json_value())
                results.append(figures)
                await context.close()
            await browser.close()
        return results
    finally:
        await hub.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="cold loads to make (default 5)")
    args = parser.parse_args(argv)
    print(f"CPU speed now: {cpu_reference_ms():.0f} ms for 10M Python loop iterations")
    results = asyncio.run(measure(args.loads))
    print("| load | bytes (compressed) | decoded | files | interactive ms |")
    print("|--:|--:|--:|--:|--:|")
    for n, r in enumerate(results, 1):
        print(f"| {n} | {r['bytes']} | {r['decoded']} | {r['files']} | {r['interactiveMs']} |")
    best = min(r["interactiveMs"] for r in results)
    largest = max(r["bytes"] for r in results)
    met = best < BUDGET_MS and largest < BUDGET_BYTES
    print(
        f"best interactive {best} ms (budget {BUDGET_MS}), largest transfer {largest} bytes "
        f"(budget {BUDGET_BYTES}): {'met' if met else 'NOT MET'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

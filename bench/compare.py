"""``python -m bench.compare OLD_CHECKOUT``: this checkout's hub against another commit's, in one run.

Both hubs face the same bench upstreams on the same machine in the same minutes: rounds
alternate old/new, new/old … (S2 and S3 load, S4 ``tools/list``), and the table shows the
median of each side and the new/old ratio. The other checkout needs its own ``.venv`` with
the hub installed (``git worktree add /tmp/old COMMIT && python3 -m venv /tmp/old/.venv &&
/tmp/old/.venv/bin/pip install -e /tmp/old``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from bench.scenarios import Params, Report, run_all

Figures = dict[str, list[float]]


def figures(report: Report) -> dict[str, float]:
    """The compared figures of one run: req/s and hub CPU per request (S2r/S3r: and p50),
    tools/list p50."""
    out: dict[str, float] = {}
    for row in report.load:
        if row.stats is None or row.scenario.startswith("S1"):
            continue
        key = f"{row.scenario} {row.path} C={row.concurrency}"
        out[f"{key} req/s"] = row.stats.rps
        if row.server_cpu_ms is not None:
            out[f"{key} hub CPU ms/req"] = row.server_cpu_ms
    for real in report.real:
        if real.hub is None:
            continue
        key = f"{real.scenario} C={real.concurrency}"
        out[f"{key} req/s"] = real.hub.rps
        out[f"{key} p50 ms"] = real.hub.p50
        if real.hub.cpu_ms is not None:
            out[f"{key} hub CPU ms/call"] = real.hub.cpu_ms
    for scale in report.scale:
        if scale.measure.startswith("tools/list p50"):
            out[f"{scale.scenario} {scale.measure} ms"] = float(scale.value.split()[0])
    return out


def render(old: Figures, new: Figures, old_name: str) -> str:
    lines = [
        f"| Figure | old ({old_name}) | new (this checkout) | new / old |",
        "|---|--:|--:|--:|",
    ]
    for key in old:
        if key not in new:
            continue
        a, b = statistics.median(old[key]), statistics.median(new[key])
        ratio = b / a if a else float("nan")
        lines.append(f"| {key} | {a:.3f} | {b:.3f} | {ratio:.3f} |")
    return "\n".join(lines)


async def compare(
    old_root: Path | None, rounds: int, params: Params, only: set[str], off: str = ""
) -> tuple[Figures, Figures, int]:
    """Old against new; with ``off`` (plugin names), this checkout with those plugins
    blocked (``MCPHUB_DISABLE_PLUGINS``, the "old" side) against it with them loaded."""
    old: Figures = defaultdict(list)
    new: Figures = defaultdict(list)
    errors = 0
    blocked = {"MCPHUB_DISABLE_PLUGINS": off} if off else {}
    for round_ in range(rounds):
        sides: list[tuple[Path | None, dict[str, str], Figures]] = [
            (old_root, blocked, old),
            (None, {}, new),
        ]
        # Who goes first alternates, so neither side always inherits the other's leftovers.
        for root, env, into in sides if round_ % 2 == 0 else sides[::-1]:
            params.hub_root = root
            params.hub_env = env
            report = await run_all(params, only)
            errors += len(report.errors)
            for key, value in figures(report).items():
                into[key].append(value)
    return old, new, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("old", type=Path, nargs="?", help="the other checkout (with its own .venv)")
    parser.add_argument(
        "--plugins-off",
        metavar="NAMES",
        help="instead of another checkout: this one with these plugins blocked (a,b) as "
        "'old', e.g. --plugins-off activity,metrics",
    )
    parser.add_argument("--rounds", type=int, default=3, help="old/new pairs (default 3)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per load run")
    parser.add_argument("--upstreams", type=int, help="S4 upstream count (default 50)")
    parser.add_argument(
        "--only",
        action="append",
        choices=("S2", "S3", "S4", "S2r", "S3r"),
        help="repeatable; default all",
    )
    args = parser.parse_args(argv)
    if (args.old is None) == (args.plugins_off is None):
        parser.error("give either OLD or --plugins-off")
    logging.basicConfig(level=logging.WARNING, format="bench: %(message)s")
    params = Params.make(False, duration=args.duration, upstreams=args.upstreams)
    only = set(args.only or ()) or {"S2", "S3", "S4"}
    old_root = args.old.resolve() if args.old is not None else None
    off = args.plugins_off or ""
    old, new, errors = asyncio.run(compare(old_root, args.rounds, params, only, off))
    what = str(args.old) if args.old is not None else f"--plugins-off {off}"
    print(f"python -m bench.compare {what} --rounds {args.rounds} --duration {args.duration}")
    print(f"medians of {args.rounds} alternating rounds each\n")
    name = args.old.name if args.old is not None else f"{off} off"
    print(
        render(old, new, name).replace(
            "new (this checkout)", "new (all plugins)" if off else "new (this checkout)"
        )
    )
    if errors:
        print(f"bench: {errors} scenario errors", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

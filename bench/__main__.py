"""``python -m bench [--quick]``: run S1-S6, S2o, S3o, S2r, S3r; print markdown tables with ratios.

Exit status 1 only when something failed (a crashed scenario or request errors), never
because of a timing: the machine is shared and noisy, ratios within one run are what count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

from bench.onoff import PLUGINS, onoff_table
from bench.scenarios import LoadRow, Params, Report, run_all


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({model or platform.processor()}), "
        f"Python {platform.python_version()}, CPU speed now: {cpu_reference_ms():.0f} ms for "
        "10M Python loop iterations (shared machines drift: scale by this)"
    )


def cpu_reference_ms() -> float:
    """A fixed pure-Python workload, best of three, to compare runs on a drifting machine."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best * 1000


def verdict(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**no**")


def load_table(report: Report) -> list[str]:
    out = [
        (
            "| Scenario | Path | C | req/s | p50 ms | p90 ms | p99 ms | errors | server CPU ms/req "
            "| req/s vs S1 | p50 added vs S1 | Target | Met |"
        ),
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in report.load:
        out.append(load_line(report, row))
    return out


def load_line(report: Report, row: LoadRow) -> str:
    s = row.stats
    if s is None:
        return f"| {row.scenario} | {row.path} | {row.concurrency} | {row.note} ||||||||||"
    base = report.baseline.get(row.concurrency)
    ratio = f"{s.rps / base.rps:.3f}x" if base and base.rps else ""
    added = f"{s.pct(0.5) - base.pct(0.5):+.2f}" if base and base.latencies else ""
    cpu = f"{row.server_cpu_ms:.3f}" if row.server_cpu_ms is not None else ""
    return (
        f"| {row.scenario} | {row.path} | {row.concurrency} | {s.rps:.0f} | {s.pct(0.5):.2f} "
        f"| {s.pct(0.9):.2f} | {s.pct(0.99):.2f} | {s.errors}/{s.requests} | {cpu} | {ratio} "
        f"| {added} | {row.target} | {verdict(row.met)} |"
    )


def real_table(report: Report) -> list[str]:
    """S2r/S3r: the hub and the upstream it fronts under the same wrk load, side by side."""
    out = [
        (
            "| Scenario | Load | C | req/s | p50 ms | p90 ms | p99 ms | failures | hub CPU ms/call "
            "| direct req/s | direct p50 ms | direct CPU ms/call | req/s hub/direct "
            "| p50 added | Target | Met |"
        ),
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in report.real:
        h, d = row.hub, row.direct
        if h is None:
            out.append(
                f"| {row.scenario} | {row.path} | {row.concurrency} | {row.note} |||||||||||||"
            )
            continue
        ratio, added = row.ratio(), row.added_p50()
        out.append(
            f"| {row.scenario} | {row.path} | {row.concurrency} | {h.rps:.0f} | {h.p50:.2f} "
            f"| {h.p90:.2f} | {h.p99:.2f} | {h.errors}/{h.requests} | {_ms(h.cpu_ms)} "
            f"| {f'{d.rps:.0f}' if d else ''} | {f'{d.p50:.2f}' if d else ''} "
            f"| {_ms(d.cpu_ms) if d else ''} | {f'{ratio:.3f}x' if ratio is not None else ''} "
            f"| {f'{added:+.2f}' if added is not None else ''} | {row.target} "
            f"| {verdict(row.met)} |"
        )
    return out


def _ms(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else ""


def scale_table(report: Report) -> list[str]:
    out = ["| Scenario | Measure | Value | Target | Met |", "|---|---|--:|---|---|"]
    for row in report.scale:
        out.append(
            f"| {row.scenario} | {row.measure} | {row.value} | {row.target} | {verdict(row.met)} |"
        )
    return out


def render(report: Report, command: str) -> str:
    p = report.params
    lines = [
        (
            f"Machine: {machine()}. Command: `{command}`. "
            f"Load runs: {p.duration:g} s each after a warm-up, tools/call `echo`; "
            "server CPU is the measured process's utime+stime per request (hub, or the upstream for S1)."
        ),
        "",
        *load_table(report),
    ]
    if report.onoff:
        lines += [
            "",
            (
                f"S2o/S3o, activities and metrics on against off ({p.onoff_instances} hub "
                f"processes a side, the off ones with MCPHUB_DISABLE_PLUGINS={PLUGINS}), "
                f"S2's and S3's load: medians of {p.onoff_rounds} rounds x "
                f"{p.onoff_instances} runs of {p.onoff_duration:g} s per side, each on/off pair "
                "back to back in alternating order (paired: the median of those pairs' "
                "ratios); hub CPU per call from /proc over each run."
            ),
            "",
            *onoff_table(report.onoff),
        ]
    if report.scale:
        lines += ["", *scale_table(report)]
    if report.real:
        lines += [
            "",
            (
                "S2r/S3r, as users run the hub: wrk, 16 keep-alive connections on one MCP "
                "session (2025-06-18), bearer auth with a key imported from mcp_settings.json, "
                "default log level; S2r's upstream is on the official TypeScript SDK "
                "(stateless, JSON replies) and 'direct' is the same wrk load against it."
            ),
            "",
            *real_table(report),
        ]
    if report.errors:
        lines += ["", "Errors:", *(f"- {e}" for e in report.errors)]
    return "\n".join(lines)


def request_errors(report: Report) -> list[str]:
    out = [
        f"{r.scenario} {r.path} C={r.concurrency}: {r.stats.errors} errors ({r.stats.first_error})"
        for r in report.load
        if r.stats is not None and r.stats.errors
    ]
    for o in report.onoff:
        if o.errors:
            out.append(f"{o.scenario} C={o.concurrency}: {o.errors} errors ({o.first_error})")
    for row in report.real:
        for side, stats in (("hub", row.hub), ("direct", row.direct)):
            if stats is not None and stats.errors:
                out.append(
                    f"{row.scenario} {side} C={row.concurrency}: {stats.failures} failed replies, "
                    f"{stats.socket_errors} socket errors ({stats.first_failure})"
                )
    return out


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["smart"]:  # python -m bench smart: the search providers (issue 14)
        from bench.smart.__main__ import main as smart

        return smart(args_in[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke run: small and short")
    parser.add_argument("--duration", type=float, help="seconds per load run")
    parser.add_argument("--sessions", type=int, help="S5 session count")
    parser.add_argument("--upstreams", type=int, help="S4 upstream count")
    parser.add_argument("--stdio-servers", type=int, help="S6 server count")
    parser.add_argument("--hub-log-level", help="LOG_LEVEL of the hubs (default WARNING)")
    parser.add_argument(
        "--only",
        action="append",
        help="S2..S6, S2o, S3o, S2x, S2r, S3r (repeatable); S1 always runs",
    )
    parser.add_argument(
        "--rounds", type=int, help="S2o/S3o: rounds over every hub pair (default 4, --quick 1)"
    )
    parser.add_argument(
        "--instances", type=int, help="S2o/S3o: hub processes per side (default 3, --quick 1)"
    )
    parser.add_argument(
        "--onoff-duration", type=float, help="S2o/S3o: seconds per load run (default 1)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="bench: %(message)s")
    params = Params.make(
        args.quick,
        duration=args.duration,
        sessions=args.sessions,
        upstreams=args.upstreams,
        stdio_servers=args.stdio_servers,
        hub_log_level=args.hub_log_level,
        onoff_rounds=args.rounds,
        onoff_instances=args.instances,
        onoff_duration=args.onoff_duration,
    )
    report = asyncio.run(run_all(params, set(args.only) if args.only else None))
    command = "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(render(report, command.strip()))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "load": [
                        {
                            "scenario": r.scenario,
                            "path": r.path,
                            "c": r.concurrency,
                            "server_cpu_ms": r.server_cpu_ms,
                            "note": r.note,
                            **(r.stats.summary() if r.stats else {}),
                        }
                        for r in report.load
                    ],
                    "scale": [vars(r) for r in report.scale],
                    "onoff": [vars(r) for r in report.onoff],
                    "real": [
                        {
                            "scenario": r.scenario,
                            "c": r.concurrency,
                            "note": r.note,
                            "hub": r.hub.summary() if r.hub else None,
                            "direct": r.direct.summary() if r.direct else None,
                        }
                        for r in report.real
                    ],
                    "errors": report.errors,
                },
                indent=1,
            )
        )
    problems = report.errors + request_errors(report)
    for problem in problems:
        print(f"bench: error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench [--quick]``: run S1-S6 and print markdown tables with ratios against S1.

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
        "",
        *scale_table(report),
    ]
    if report.errors:
        lines += ["", "Errors:", *(f"- {e}" for e in report.errors)]
    return "\n".join(lines)


def request_errors(report: Report) -> list[str]:
    return [
        f"{r.scenario} {r.path} C={r.concurrency}: {r.stats.errors} errors ({r.stats.first_error})"
        for r in report.load
        if r.stats is not None and r.stats.errors
    ]


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
    parser.add_argument("--only", action="append", help="S2..S6, S2x (repeatable); S1 always runs")
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

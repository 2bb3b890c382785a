"""``python -m bench smart [--providers lexical,local] [--misses]``: hit@1, hit@5 and MRR
of each search provider on the bench catalog, by kind of query, and search latency (p50,
p95) at 1,000 tools. Exit status 1 when a paraphrase shares a word with its tool (the query
set would be lying) or a provider fails; never because of a figure."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.smart.catalog import BenchTool, fillers, tools
from bench.smart.queries import queries
from hub.config.system import SmartRoutingConfig
from hub.plugins import Plugins
from hub.search.documents import SearchIndex, ToolDoc, doc_key
from hub.search.router import SearchProvider

SCALE = 1000


def to_doc(tool: BenchTool) -> ToolDoc:
    return ToolDoc(
        tool.server, tool.name, tool.description, tuple((p, "") for p in tool.parameters)
    )


def content_words(text: str) -> set[str]:
    """Five-letter stems of a text's content words (what "shares no word" is checked on)."""
    from mcphub_search.terms import query_terms  # the plugin's own splitting and stop words

    return {word[:5] for word in query_terms(text)}


def check_paraphrases() -> list[str]:
    catalog = {f"{t.server}/{t.name}": t for t in tools()}
    problems = []
    for text, expected, kind in queries():
        tool = catalog.get(expected)
        if tool is None:
            problems.append(f"{expected}: not in the catalog")
            continue
        own = content_words(" ".join([tool.name, tool.description, *tool.parameters]))
        shared = content_words(text) & own
        if kind == "paraphrase" and shared:
            problems.append(f"paraphrase {text!r} shares {sorted(shared)} with {expected}")
    return problems


@dataclass
class Scores:
    ranks: list[int | None] = field(default_factory=list)

    def add(self, rank: int | None) -> None:
        self.ranks.append(rank)

    def hit(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks)

    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r is not None) / len(self.ranks)


@dataclass
class Outcome:
    provider: str
    tools: int
    by_kind: dict[str, Scores]
    latencies_ms: list[float]
    cpu_ms: list[float]
    """CPU time of the whole process per search (the model's worker thread included): what
    a search costs whatever else the shared machine is doing."""
    build_s: float
    misses: list[str]


async def fill(index: SearchIndex, docs: Sequence[ToolDoc]) -> float:
    start = time.perf_counter()
    for i in range(0, len(docs), 256):
        await index.upsert(docs[i : i + 256])
    return time.perf_counter() - start


async def measure(name: str, index: SearchIndex, docs: list[ToolDoc]) -> Outcome:
    build = await fill(index, docs)
    allowed = {d.key for d in docs}
    by_kind: dict[str, Scores] = {"shared": Scores(), "paraphrase": Scores(), "all": Scores()}
    latencies: list[float] = []
    cpu_ms: list[float] = []
    misses = []
    for text, expected, kind in queries():
        server, tool = expected.split("/")
        want = doc_key(server, tool)
        # One call per query, first of its kind in this data dir: a cold search, the query
        # embedded by the model (no vector cache hit), is what is timed.
        start, cpu = time.perf_counter(), time.process_time()
        hits = await index.search(text, 10, allowed)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        keys = [h.key for h in hits]
        rank = keys.index(want) + 1 if want in keys else None
        by_kind[kind].add(rank)
        by_kind["all"].add(rank)
        if rank is None or rank > 5:
            top = ", ".join(k.replace("\x00", "/") for k in keys[:3])
            misses.append(f"{name} [{kind}] {text!r} -> want {expected}, got {top}")
    return Outcome(name, len(docs), by_kind, latencies, cpu_ms, build, misses)


async def run(names: list[str], show_misses: bool) -> int:
    plugins = Plugins().load()
    registry = plugins.search_providers()
    catalog = [to_doc(t) for t in tools()]
    padded = catalog + [to_doc(t) for t in fillers(SCALE - len(catalog))]
    rows: list[Outcome] = []
    failed = 0
    for name in names:
        provider: SearchProvider | None = registry.get(name)
        config = SmartRoutingConfig(enabled=True, embedding_provider=name)
        if provider is None:
            print(f"bench: {name}: no such provider installed", file=sys.stderr)
            continue
        try:
            provider.check(config)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            print(f"bench: {name}: skipped ({exc})", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            # The 1,000-tool run first, on an empty data dir, so its searches are cold; the
            # catalog run then reuses the cached tool vectors.
            for docs in (padded, catalog):
                index = provider.open(config, Path(tmp))
                try:
                    rows.append(await measure(name, index, docs))
                except Exception as exc:  # noqa: BLE001
                    print(f"bench: {name}: failed: {exc!r}", file=sys.stderr)
                    failed += 1
                finally:
                    await index.close()
    print(render(rows))
    if show_misses:
        for row in rows:
            for miss in row.misses:
                print("  miss:", miss)
    return 1 if failed else 0


def render(rows: list[Outcome]) -> str:
    count = len(queries())
    para = sum(1 for q in queries() if q[2] == "paraphrase")
    out = [
        (
            f"Smart routing search ({count} queries, {para} pure paraphrases; "
            f"catalog of {len(tools())} tools on 12 servers, padded to {SCALE} with generated tools)"
        ),
        "",
        "| Provider | Tools | Queries | n | hit@1 | hit@5 | MRR |",
        "|---|--:|---|--:|--:|--:|--:|",
    ]
    for row in rows:
        for kind in ("shared", "paraphrase", "all"):
            s = row.by_kind[kind]
            out.append(
                f"| {row.provider} | {row.tools} | {kind} | {len(s.ranks)} | {s.hit(1):.2f} "
                f"| {s.hit(5):.2f} | {s.mrr():.2f} |"
            )
    out += [
        "",
        (
            "| Provider | Tools | index build s | search p50 ms | search p95 ms | CPU ms p50 |"
            " load avg |"
        ),
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    for row in rows:
        if row.tools >= SCALE:
            lat = sorted(row.latencies_ms)
            p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
            out.append(
                f"| {row.provider} | {row.tools} | {row.build_s:.2f} "
                f"| {statistics.median(lat):.2f} | {p95:.2f} "
                f"| {statistics.median(row.cpu_ms):.2f} | {load:.1f} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench smart", description=__doc__)
    parser.add_argument("--providers", default="lexical,local", help="comma-separated")
    parser.add_argument("--misses", action="store_true", help="list queries missed at 5")
    args = parser.parse_args(argv)
    problems = check_paraphrases()
    for problem in problems:
        print(f"bench: query set: {problem}", file=sys.stderr)
    status = asyncio.run(run([p for p in args.providers.split(",") if p], args.misses))
    return 1 if problems else status


if __name__ == "__main__":
    sys.exit(main())

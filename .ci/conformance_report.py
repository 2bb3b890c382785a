"""Score one conformance run, or compare all runs with the baseline (used by steps/conformance.sh).

``score LABEL REQUIREMENTS_YAML RESULTS_DIR OUT_FILE`` prints the pass/fail table of the
required server scenarios of one run (a scenario fails when any of its checks is a FAILURE;
warnings do not fail it, as in the suite's own summary) and appends ``LABEL scenario
PASS|FAIL`` lines to OUT_FILE. LABEL is ``<era>/<transport>``.

``compare BASELINE OUT_FILE`` exits 1 when a required scenario failed without a baseline
line. Baseline lines are ``<era>[/<transport>] <scenario>  # why``; a bare era covers every
transport. Baselined scenarios that now pass everywhere are reported, not failed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

STAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$")


def required(requirements: Path) -> list[str]:
    """The ``server:`` list of a requirements file (plain YAML list, no parser needed)."""
    names: list[str] = []
    inside = False
    for line in requirements.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            inside = line.rstrip() == "server:"
            continue
        if inside and line.strip().startswith("- "):
            names.append(line.strip()[2:].split("#", 1)[0].strip())
    return names


def checks(results: Path) -> dict[str, list[dict[str, object]]]:
    """Scenario name → its checks (the latest run when a scenario ran more than once)."""
    found: dict[str, list[dict[str, object]]] = {}
    for path in sorted(results.glob("server-*/checks.json")):
        name = STAMP.sub("", path.parent.name).removeprefix("server-")
        found[name] = json.loads(path.read_text())
    return found


def score(label: str, requirements: Path, results: Path, out: Path) -> int:
    names = required(requirements)
    runs = checks(results)
    failed = 0
    print(f"{'scenario':<48} {label:>22}")
    with out.open("a") as fh:
        for name in names:
            run = runs.get(name)
            if run is None:
                verdict, detail = "FAIL", "did not run"
            else:
                bad = [c for c in run if c.get("status") == "FAILURE"]
                ok = sum(1 for c in run if c.get("status") == "SUCCESS")
                verdict = "FAIL" if bad else "PASS"
                detail = f"{ok} ok, {len(bad)} failed"
                if bad:
                    detail += ": " + "; ".join(str(c.get("id")) for c in bad)
            failed += verdict == "FAIL"
            print(f"{name:<48} {verdict:>5}  {detail}")
            fh.write(f"{label} {name} {verdict}\n")
    print(f"{label}: {len(names) - failed}/{len(names)} required scenarios pass")
    return 0


def compare(baseline: Path, out: Path) -> int:
    accepted: dict[tuple[str, str], str] = {}
    for raw in baseline.read_text().splitlines() if baseline.exists() else []:
        line, _, why = raw.partition("#")
        parts = line.split()
        if len(parts) == 2:
            accepted[(parts[0], parts[1])] = why.strip()
    results = [line.split() for line in out.read_text().splitlines() if line.strip()]
    unexpected, used = [], set()
    for label, name, verdict in results:
        era = label.split("/", 1)[0]
        key = next((k for k in ((label, name), (era, name)) if k in accepted), None)
        if verdict == "FAIL":
            if key is None:
                unexpected.append(f"{label} {name}")
            else:
                used.add(key)
    for key, why in sorted(accepted.items()):
        if key not in used:
            print(f"conformance: baselined '{key[0]} {key[1]}' passes now; remove it ({why})")
    for item in unexpected:
        print(f"conformance: UNEXPECTED FAILURE {item}", file=sys.stderr)
    print(f"conformance: {len(used)} baselined failure(s) accepted, {len(unexpected)} unexpected")
    return 1 if unexpected else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["score"] and len(argv) == 5:
        return score(argv[1], Path(argv[2]), Path(argv[3]), Path(argv[4]))
    if argv[:1] == ["compare"] and len(argv) == 3:
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

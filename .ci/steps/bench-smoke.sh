#!/usr/bin/env bash
# Benchmark smoke run: every scenario starts and answers without errors. Timings never fail
# CI (shared runners are noisy); the exit status reflects crashes and request errors only.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python
"$PY" -m bench --quick --duration 0.5

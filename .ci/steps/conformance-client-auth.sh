#!/usr/bin/env bash
# The official MCP conformance suite's client `auth/*` scenarios required for 2025-11-25, with
# the hub as the OAuth client of an upstream: .ci/upstream_oauth_client.py starts a hub, adds
# the suite's protected server as a streamable-http upstream and opens each authorization URL
# the hub shows (status oauth_required) over HTTP. Every scenario must pass. Node 22 and the
# suite come from .ci/steps/lib/conformance-env.sh (installed once into CONFORMANCE_HOME).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
REVISION=2025-11-25

STEP=conformance-client-auth
# shellcheck source=lib/conformance-env.sh
source .ci/steps/lib/conformance-env.sh
requirements="$HOME_DIR/node_modules/@modelcontextprotocol/conformance/requirements/$REVISION.yaml"

# The client scenarios of the revision that start with auth/ (the `client:` list of the file).
mapfile -t scenarios < <(awk '/^client:/{on=1;next} /^[a-z_]+:/{on=0} on && /^  - auth\//{print $2}' "$requirements")
[ "${#scenarios[@]}" -gt 0 ] || { echo "conformance-client-auth: no auth scenarios in $requirements" >&2; exit 1; }

failed=()
for scenario in "${scenarios[@]}"; do
  log=$(mktemp)
  if "$conformance" client --command "$PWD/$PY .ci/upstream_oauth_client.py" \
    --scenario "$scenario" ${CONFORMANCE_OUT:+--output-dir "$CONFORMANCE_OUT/client-auth"} >"$log" 2>&1 &&
    grep -q "OVERALL: PASSED" "$log"; then
    echo "✓ $scenario: $(grep -E '^Passed:' "$log" | head -1)"
  else
    echo "✗ $scenario"
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'FAILURE|WARNING|TIMED|Passed:' | head -20
    failed+=("$scenario")
  fi
  rm -f "$log"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "conformance-client-auth: ${#failed[@]} of ${#scenarios[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "conformance-client-auth: all ${#scenarios[@]} client auth scenarios ($REVISION) passed"

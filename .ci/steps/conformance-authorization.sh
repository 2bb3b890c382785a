#!/usr/bin/env bash
# The official MCP conformance suite's `authorization` scenarios (authorization-server-metadata-
# endpoint, authorization-code-grant) against the hub's own OAuth authorization server; the
# consent step is driven over HTTP by .ci/oauth_conformance.py. Node 22 and the suite come from
# .ci/steps/lib/conformance-env.sh (installed once into CONFORMANCE_HOME).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
STEP=conformance-authorization
# shellcheck source=lib/conformance-env.sh
source .ci/steps/lib/conformance-env.sh

"$PY" .ci/oauth_conformance.py "$conformance" ${CONFORMANCE_OUT:+"$CONFORMANCE_OUT/authorization"}

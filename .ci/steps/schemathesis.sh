#!/usr/bin/env bash
# schemathesis against the hub's own OpenAPI document (/api/docs/openapi.json), as an
# all-access bearer key, a normal user and an admin: no 5xx, and every status, content type
# and body matches what the document declares, whoever calls.
#
# The hub runs on 127.0.0.1 with a temporary data dir and no transport plugins, so fuzzed
# server configs never spawn a process or dial anywhere; nor are the catalog plugins there (a
# fuzzed catalog URL would make their routes dial it): their routes answer empty or 404. The
# log stream (SSE, endless) is left out. Tunables: ST_MAX_EXAMPLES (default 40 per operation),
# ST_SEED, and ST_EXTRA (more `st run` options, e.g. --include-path-regex '^/api/servers');
# ST_CALLER_EXAMPLES (default 10) and ST_CALLERS_FULL=1 for the key's and the user's runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
ST=${ST:-.venv/bin/st}
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

ADMIN_PASSWORD="St-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')-1a!"
export ADMIN_PASSWORD
MCPHUB_DISABLE_PLUGINS=stdio,sse,streamable-http,openapi,market,cloud,registry MCPHUB_LOAD_PLUGINS="" \
  "$PY" -m hub.cli serve --host 127.0.0.1 --port 0 --data-dir "$tmp/data" \
  --log-level WARNING 2>"$tmp/hub.log" &
pid=$!

url=""
for _ in $(seq 150); do
  url=$(grep -o 'listening on http://[^ ]*' "$tmp/hub.log" | head -1 | cut -d' ' -f3 || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/hub.log"; echo "hub exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { cat "$tmp/hub.log"; echo "hub did not start" >&2; exit 1; }

# Log in, make a normal user and an all-access key, and fetch the document (it needs a login).
# Prints one "label header" line per caller; the admin comes last, so what it fuzzes (users
# deleted, passwords changed) cannot take the other callers' credentials away first.
"$PY" - "$url" "$tmp/openapi.json" >"$tmp/callers" <<'PYEOF'
import json, os, secrets, sys
import httpx2
url, out = sys.argv[1], sys.argv[2]
def login(username, password):
    r = httpx2.post(f"{url}/api/auth/login", json={"username": username, "password": password})
    r.raise_for_status()
    return r.json()["token"]
admin = login("admin", os.environ["ADMIN_PASSWORD"])
as_admin = {"x-auth-token": admin}
password = f"St-{secrets.token_urlsafe(12)}-1a!"
r = httpx2.post(f"{url}/api/users", headers=as_admin,
                json={"username": "st-user", "password": password, "isAdmin": False})
r.raise_for_status()
user = login("st-user", password)
r = httpx2.post(f"{url}/api/auth/keys", headers=as_admin, json={"name": "st-key", "accessType": "all"})
r.raise_for_status()
key = r.json()["data"]["token"]
doc = httpx2.get(f"{url}/api/docs/openapi.json", headers=as_admin)
doc.raise_for_status()
with open(out, "w") as f:
    json.dump(doc.json(), f)
print(f"all-access-key Authorization: Bearer {key}")
print(f"user x-auth-token: {user}")
print(f"admin x-auth-token: {admin}")
PYEOF

status=0
while read -r label header; do
  echo "== schemathesis as $label"
  # The admin reaches every operation: the full run. The other callers are mostly refused
  # or limited to what they own, so a lighter run (no coverage phase, fewer examples) finds
  # what differs for them within the CI budget; ST_CALLERS_FULL=1 runs them in full too.
  phases=examples,coverage,fuzzing examples=${ST_MAX_EXAMPLES:-40}
  if [ "$label" != admin ] && [ -z "${ST_CALLERS_FULL:-}" ]; then
    phases=examples,fuzzing examples=${ST_CALLER_EXAMPLES:-10}
  fi
  "$ST" run "$tmp/openapi.json" --url "$url" \
    -H "$header" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/logs/stream \
    --phases "$phases" \
    --max-examples "$examples" \
    ${ST_SEED:+--seed "$ST_SEED"} \
    --workers 1 \
    --request-timeout 20 \
    --generation-database none \
    --no-color \
    --report junit --report-dir "$tmp/report-$label" \
    ${ST_EXTRA:-} </dev/null || { echo "== schemathesis as $label failed" >&2; status=1; }
done <"$tmp/callers"

if grep -q "Traceback" "$tmp/hub.log"; then
  echo "== unhandled exceptions in the hub log:" >&2
  grep -a -B2 -A20 "Traceback" "$tmp/hub.log" | head -200 >&2
  status=1
fi
exit "$status"

"""The official conformance suite's ``authorization`` scenarios against the hub's own OAuth
authorization server, with the consent step driven over HTTP (no browser).

Starts a hub on 127.0.0.1, logs in as admin, creates a public OAuth client whose redirect URI
is the suite's callback, runs ``conformance authorization``, and when the suite prints the
authorization URL, opens it with the admin's JWT, submits the consent page's approve form and
delivers the redirect to the suite's callback. Fails unless every check passes.

Usage: python .ci/oauth_conformance.py <path to the conformance binary> [output dir]
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_hub(tmp: Path, password: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    log = tmp / "hub.log"
    env = {**os.environ, "ADMIN_PASSWORD": password}
    cmd = [sys.executable, "-m", "hub.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
    cmd += ["--data-dir", str(tmp / "data"), "--log-level", "WARNING"]
    proc = subprocess.Popen(cmd, env=env, stderr=log.open("wb"), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"listening on (http://\S+)", log.read_text(errors="replace"))
        if found:
            return proc, found.group(1).rstrip("/"), log
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    sys.exit(f"hub did not start:\n{log.read_text(errors='replace')}")


def consent(http: httpx2.Client, authorize_url: str, jwt: str) -> str:
    """Open the authorization URL as the logged-in user and approve; returns the redirect."""
    page = http.get(f"{authorize_url}&token={jwt}")
    page.raise_for_status()
    form = re.search(r'<form method="POST" action="([^"]+)">(.*?)</form>', page.text, re.DOTALL)
    if form is None:
        sys.exit(f"no consent form in:\n{page.text[:2000]}")
    found = re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2))
    fields = {name: html.unescape(value) for name, value in found}
    answer = http.post(form.group(1), data=fields)
    if answer.status_code != 302:
        sys.exit(f"consent answered {answer.status_code}: {answer.text}")
    return answer.headers["Location"]


def deliver(location: str) -> None:
    """Send the redirect to the suite's callback server (it may print before it listens)."""
    for _ in range(100):
        try:
            httpx2.get(location, timeout=30)
            return
        except httpx2.ConnectError:
            time.sleep(0.1)
    sys.exit(f"the suite's callback server never answered at {location}")


def main() -> int:
    conformance = sys.argv[1]
    tmp = Path(tempfile.mkdtemp(prefix="oauth-conformance-"))
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else tmp / "results"
    password = "Oa-" + secrets.token_urlsafe(12) + "-1a!"
    hub, url, log = start_hub(tmp, password)
    try:
        with httpx2.Client(base_url=url, timeout=30) as http:
            r = http.post("/api/auth/login", json={"username": "admin", "password": password})
            r.raise_for_status()
            jwt = r.json()["token"]
            port = free_port()
            callback = f"http://127.0.0.1:{port}/callback"
            r = http.post(
                "/api/oauth/clients",
                headers={"x-auth-token": jwt},
                json={"name": "conformance", "redirectUris": [callback], "requireSecret": False},
            )
            r.raise_for_status()
            client_id = r.json()["client"]["clientId"]
            cmd = [conformance, "authorization", "--url", url, "--client-id", client_id]
            cmd += ["--port", str(port), "--resource", f"{url}/mcp", "-o", str(out)]
            suite = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            assert suite.stdout is not None
            printed: list[str] = []
            for line in suite.stdout:
                printed.append(line)
                if line.startswith(url) and "/oauth/authorize?" in line:
                    location = consent(http, line.strip(), jwt)
                    deliver(location)
            suite.wait(timeout=120)
            print("".join(printed))
    finally:
        hub.terminate()
        hub.wait(timeout=30)
    checks = [c for f in sorted(out.rglob("checks.json")) for c in json.loads(f.read_text())]
    failed = [c for c in checks if c.get("status") not in ("SUCCESS", "WARNING", "INFO")]
    for check in checks:
        print(f"{check.get('status'):8} {check.get('id')}  {check.get('errorMessage', '')}")
    if "Traceback" in log.read_text(errors="replace"):
        print(log.read_text(errors="replace"))
        return 1
    if not checks or failed:
        print(f"oauth conformance: {len(failed)} of {len(checks)} checks failed")
        return 1
    print(f"oauth conformance: all {len(checks)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

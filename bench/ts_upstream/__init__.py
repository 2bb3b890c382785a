"""The TypeScript-SDK upstream of S2r (``server.mjs``): installs the SDK, starts the server.

Real deployments front servers built on the official TypeScript SDK, which answer slower and
differently from our stdlib ``bench/upstream.py``. The SDK is installed at bench time with
``npm install --prefix`` into a cache directory outside the repo (``BENCH_TS_HOME``, default
``~/.cache/mcphub-bench-ts``), like ``.ci/steps/conformance.sh`` installs its suite.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

from bench.procs import ListeningProcess, NotAvailable

SERVER = Path(__file__).resolve().parent / "server.mjs"
PACKAGES = {"@modelcontextprotocol/sdk": "1.32.2", "zod": "4.6.7"}
"""Pinned so that runs months apart measure the same upstream."""


def home() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mcphub-bench-ts"
    return Path(os.environ.get("BENCH_TS_HOME") or default)


def node() -> str:
    """The ``node`` binary (Node 18 or newer), or NotAvailable saying what to install."""
    found = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else "")
    if not found:
        raise NotAvailable("node not found: S2r needs Node >= 18 (apt-get install -y nodejs npm)")
    version = subprocess.run(
        [found, "--version"], check=False, capture_output=True, text=True
    ).stdout
    major = int(version.lstrip("v").split(".")[0] or 0)
    if major < 18:
        raise NotAvailable(f"S2r needs Node >= 18, {found} is {version.strip()}")
    return found


def installed(modules: Path) -> bool:
    for name, version in PACKAGES.items():
        manifest = modules / name / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text()).get("version") != version:
            return False
    return True


def ensure_sdk() -> Path:
    """The node_modules holding the pinned SDK, installed there first if it is not.

    An exclusive lock on the cache directory keeps parallel test workers from running two
    ``npm install`` into it at once."""
    root = home()
    modules = root / "node_modules"
    if installed(modules):
        return modules
    npm = shutil.which("npm")
    if not npm:
        raise NotAvailable("npm not found: S2r installs @modelcontextprotocol/sdk with npm")
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed(modules):
            return modules
        if not (root / "package.json").exists():
            (root / "package.json").write_text('{"private": true}\n')
        specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
        install = [npm, "install", "--prefix", str(root), "--no-audit", "--no-fund"]
        done = subprocess.run(
            [*install, "--loglevel=error", *specs], check=False, capture_output=True, text=True
        )
        if done.returncode != 0 or not installed(modules):
            raise RuntimeError(f"npm install {' '.join(specs)} failed: {done.stderr[-500:]}")
    return modules


class TsUpstream(ListeningProcess):
    """``node server.mjs --port 0``: the SDK server, stateless, JSON replies."""

    async def start(self) -> TsUpstream:
        binary = node()
        modules = await asyncio.to_thread(ensure_sdk)
        self.proc = await asyncio.create_subprocess_exec(
            binary,
            str(SERVER),
            "--port",
            "0",
            env={**os.environ, "BENCH_TS_MODULES": str(modules)},
            stdout=asyncio.subprocess.PIPE,
        )
        await self.listening("TypeScript upstream", 30)
        return self

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

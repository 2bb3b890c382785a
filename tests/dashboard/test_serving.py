"""How the hub serves the dashboard's files: CSP, caching by content hash, gzip, BASE_PATH,
deep links, and a wheel that carries every file."""

from __future__ import annotations

import dataclasses
import gzip
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from hub.app import HubOptions
from hub.testing import HubClient

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "plugins" / "mcphub_dashboard" / "web"


@pytest.fixture
def hub_settings() -> dict[str, Any]:
    """No upstreams: these tests read files."""
    return {}


def asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*/assets/[^"]+)"', page)


async def test_index_is_revalidated_and_locked_down(hub_client: HubClient) -> None:
    r = await hub_client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in r.text  # no inline script: only <script type=module src=…>
    assert "https://" not in r.text  # nothing from another origin (no CDN, no web fonts)
    assert r.headers["x-frame-options"] == "DENY"


async def test_assets_are_immutable_under_their_hash_and_gzipped(hub_client: HubClient) -> None:
    page = (await hub_client.get("/")).text
    urls = asset_urls(page)
    assert any(u.endswith("/js/main.mjs") for u in urls)
    build = re.search(r"/assets/([0-9a-f]+)/", urls[0])
    assert build is not None
    for url in urls:
        r = await hub_client.http.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    r = await hub_client.http.get(
        f"/assets/{build.group(1)}/vendor/preact.mjs", headers={"Accept-Encoding": "gzip"}
    )
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.content == (WEB / "vendor" / "preact.mjs").read_bytes()  # httpx decodes gzip
    raw = await hub_client.http.get(
        f"/assets/{build.group(1)}/vendor/preact.mjs", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in raw.headers
    # An old page asking for an old build gets the file, but not to keep.
    old = await hub_client.http.get("/assets/0123abcd/app.css")
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"


async def test_unknown_files_and_api_routes_stay_404(hub_client: HubClient) -> None:
    missing = await hub_client.get("/assets/0123abcd/js/nope.mjs")
    assert missing.status_code == 404
    assert (await hub_client.get("/assets/0123abcd/../../pyproject.toml")).status_code == 404
    api = await hub_client.get("/api/not-a-route")
    assert api.status_code == 404 and api.json()["success"] is False


async def test_a_page_url_loads_the_application(hub_client: HubClient) -> None:
    for path in ("/servers", "/logs", "/oauth-clients", "/login"):
        r = await hub_client.get(path)
        assert r.status_code == 200 and 'id="app"' in r.text, path


async def test_features_need_a_login_and_say_what_is_missing(
    hub_client: HubClient, admin_client: HubClient
) -> None:
    assert (await hub_client.get("/api/dashboard/features")).status_code == 401
    data = (await admin_client.get("/api/dashboard/features")).json()["data"]
    assert set(data) >= {"activities", "market", "registry", "mcpb", "oauthClients"}
    assert all(isinstance(v, bool) for v in data.values())


class TestBasePath:
    @pytest.fixture
    def hub_options(self, hub_options: HubOptions) -> HubOptions:
        return dataclasses.replace(hub_options, base_path="/hub")

    async def test_everything_moves_under_base_path(self, hub_client: HubClient) -> None:
        r = await hub_client.get("/hub/")
        assert r.status_code == 200
        assert '<meta name="mcphub-base" content="/hub">' in r.text
        urls = asset_urls(r.text)
        assert urls and all(u.startswith("/hub/assets/") for u in urls)
        assert (await hub_client.get(urls[0])).status_code == 200
        assert (await hub_client.get("/hub/servers")).status_code == 200
        assert (await hub_client.get("/")).status_code == 404


@pytest.mark.slow
def test_a_wheel_carries_every_file(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("mcphub_py-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "mcphub_dashboard/web/" + p.relative_to(WEB).as_posix()
        for p in WEB.rglob("*")
        if p.is_file()
    }
    assert expected <= names, sorted(expected - names)
    assert "mcphub_dashboard/web/vendor/LICENSE-preact.txt" in names
    assert "mcphub_dashboard/web/js/servers.mjs" in names


def test_gzip_sizes_are_what_the_budget_assumes() -> None:
    """The first load's files, compressed as the hub sends them, well under 200 KB."""
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in WEB.rglob("*.mjs"))
    total += len(gzip.compress((WEB / "app.css").read_bytes(), 9))
    assert total < 150_000, total

"""The dashboard's files, read once from the package: content-hashed, gzipped in advance.

Every asset is served under ``assets/<build>/``, where ``build`` is a hash of all the files;
ES modules import each other by relative paths, so they all share one build folder, and a
change to any file gives every URL a new name. That lets assets be cached as immutable while
``index.html`` (which names the build) is revalidated on every load.
"""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

WEB = Path(__file__).resolve().parent / "web"

TYPES = {
    ".mjs": "text/javascript; charset=UTF-8",
    ".js": "text/javascript; charset=UTF-8",
    ".css": "text/css; charset=UTF-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=UTF-8",
    ".json": "application/json; charset=UTF-8",
    ".txt": "text/plain; charset=UTF-8",
    ".md": "text/plain; charset=UTF-8",
    ".png": "image/png",
}
COMPRESSIBLE = {".mjs", ".js", ".css", ".svg", ".html", ".json", ".txt", ".md"}
GZIP_MIN = 256
"""Smaller bodies are sent as they are: gzip's header would outweigh the saving."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""No inline script or style, nothing from another origin (no CDN, no web fonts)."""


CORE_MODULES = (
    "vendor/preact.mjs",
    "vendor/hooks.mjs",
    "vendor/htm.mjs",
    "js/lib.mjs",
    "js/api.mjs",
    "js/ui.mjs",
)
"""What ``js/main.mjs`` imports before any page."""


@dataclass(frozen=True)
class Asset:
    """One file: its bytes, its gzip form (when that is smaller) and its media type."""

    body: bytes
    gzipped: bytes | None
    content_type: str


def _asset(name: str, body: bytes) -> Asset:
    suffix = Path(name).suffix
    packed = None
    if suffix in COMPRESSIBLE and len(body) >= GZIP_MIN:
        candidate = gzip.compress(body, compresslevel=9, mtime=0)
        packed = candidate if len(candidate) < len(body) else None
    return Asset(body, packed, TYPES.get(suffix, "application/octet-stream"))


@dataclass(frozen=True)
class Bundle:
    """All the dashboard's files, keyed by their path under ``web/`` (``js/main.mjs``)."""

    build: str
    files: dict[str, Asset]
    index_template: str

    def index(self, base_path: str, page_module: str) -> Asset:
        """``index.html`` for a hub served under ``base_path`` (``""`` at the root), asking
        early for the modules of the page it opens on (``js/servers.mjs``)."""
        text = self.index_template.replace("{{base}}", html.escape(base_path, quote=True))
        text = text.replace("{{build}}", self.build)
        text = text.replace("{{preload}}", self._preloads(base_path, page_module))
        return _asset("index.html", text.encode())

    def _preloads(self, base_path: str, page_module: str) -> str:
        # The shell's modules and the first page's, up front: the browser fetches them in
        # parallel instead of discovering imports one level at a time. Other pages' modules
        # are imported when their page is opened.
        base = html.escape(base_path, quote=True)
        return "\n".join(
            f'<link rel="modulepreload" href="{base}/assets/{self.build}/{name}">'
            for name in (*CORE_MODULES, page_module)
            if name in self.files
        )


def load(root: Path = WEB) -> Bundle:
    """Read every file under ``root`` (``index.html`` is a template, not an asset)."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    template = files.pop("index.html").decode()
    digest = hashlib.sha256()
    for name, body in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
    digest.update(template.encode())
    return Bundle(
        digest.hexdigest()[:16],
        {name: _asset(name, body) for name, body in files.items()},
        template,
    )

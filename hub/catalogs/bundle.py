"""Unpacking MCPB bundles safely, and removing a bundle's folder with its server.

A bundle is a zip archive from someone else. Before anything is written, every entry is
checked: no absolute path or drive, no ``..`` segment, no symlink, device or other special
file, at most ``maxEntries`` entries, an unpacked total within ``maxUnpackedBytes`` and a
compression ratio within ``maxRatio``. Extraction then counts the bytes really written (a
lying header cannot smuggle more) and keeps every path inside the target folder. On any
refusal the partial folder is removed: nothing is left on disk.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from hub.errors import BadRequest, PayloadTooLarge

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config.models import ServerConfig

BUNDLES_DIR = "mcpb"
"""Bundles are unpacked under ``<data dir>/mcpb/<folder>``."""
RATIO_FLOOR = 1024 * 1024
"""Sizes below this are never called a bomb: tiny files compress at any ratio."""
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_unpacked: int
    max_ratio: int
    max_entries: int


def bundles_root(hub: Hub) -> Path:
    return Path(hub.options.data_dir).resolve() / BUNDLES_DIR


def _refuse(message: str) -> BadRequest:
    return BadRequest(f"Refused MCPB bundle: {message}")


def entry_path(name: str) -> PurePosixPath:
    """The relative path of an entry, or a refusal for absolute and escaping names."""
    text = name.replace("\\", "/")
    if "\x00" in text:
        raise _refuse(f"entry name with a NUL byte: {name!r}")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise _refuse(f"absolute path {name!r}")
    path = PurePosixPath(text)
    if ".." in path.parts:
        raise _refuse(f"path {name!r} escapes the bundle folder")
    return path


def check_archive(archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """Every entry, checked; raises before anything is written."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise _refuse(f"more than {limits.max_entries} entries")
    total = packed = 0
    for info in infos:
        entry_path(info.filename)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if stat.S_ISLNK(mode):
            raise _refuse(f"symbolic link {info.filename!r}")
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(f"special file {info.filename!r} (device, pipe or socket)")
        total += info.file_size
        packed += info.compress_size
        if total > limits.max_unpacked:
            raise PayloadTooLarge(
                f"Refused MCPB bundle: unpacked size exceeds {limits.max_unpacked} bytes"
            )
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _refuse(f"compression ratio of {info.filename!r} exceeds {limits.max_ratio}")
    if total > RATIO_FLOOR and total > limits.max_ratio * max(packed, 1):
        raise _refuse(f"compression ratio exceeds {limits.max_ratio}")
    return infos


def extract(archive: zipfile.ZipFile, target: Path, limits: Limits) -> None:
    """Unpack a checked archive into ``target`` (created); counts real bytes written."""
    infos = check_archive(archive, limits)
    root = target.resolve()
    root.mkdir(parents=True)
    written = 0
    for info in infos:
        dest = (root / entry_path(info.filename)).resolve()
        if dest != root and root not in dest.parents:
            raise _refuse(f"path {info.filename!r} escapes the bundle folder")
        if info.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with archive.open(info) as source, open(dest, "xb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                written += len(chunk)
                if size > info.file_size or written > limits.max_unpacked:
                    raise PayloadTooLarge(
                        "Refused MCPB bundle: an entry unpacks to more than its header says"
                    )
                out.write(chunk)
        executable = (info.external_attr >> 16) & 0o111
        dest.chmod(0o755 if executable else 0o644)


def remove_tree(path: Path) -> None:
    """Remove a folder, ignoring one that is already gone."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)


def bundle_dir_of(hub: Hub, config: ServerConfig) -> Path | None:
    """The bundle folder a server runs from (its ``cwd`` under the bundles root), if any."""
    if not config.cwd:
        return None
    root = bundles_root(hub)
    folder = Path(config.cwd).resolve()
    return folder if folder.parent == root else None


def forget_bundle(hub: Hub, config: ServerConfig) -> None:
    """Remove the bundle folder of a server that was deleted."""
    folder = bundle_dir_of(hub, config)
    if folder is not None:
        remove_tree(folder)

"""Copy a hub's whole state from one store to another (``mcphub migrate``).

Documents of every collection are copied as stored (password and key hashes, creation
times, the JWT secret), in one transaction on the target, so logins and keys keep working;
the activity log follows, oldest first. The source may be in use: SQLite's WAL lets a
running hub keep writing while it is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.config.activities import ActivityLog, activity_log
from hub.config.store import COLLECTIONS, Store

PAGE = 500


def store_location(spec: str) -> tuple[str, str]:
    """``(backend, url)`` for a ``--from``/``--to`` value: ``sqlite:DIR`` (a data dir, or a
    ``.db`` file) or ``postgresql://…``."""
    if spec.startswith(("postgresql://", "postgres://")):
        return "postgresql", spec
    path = Path(spec.removeprefix("sqlite://").removeprefix("sqlite:"))
    if path.suffix != ".db":
        path = path / "mcphub.db"
    return "sqlite", f"sqlite:{path}"


async def copy_store(source: Store, target: Store) -> dict[str, int]:
    """Replace the target's documents with the source's; returns counts per collection
    (and ``activities``)."""
    snapshot: dict[str, dict[str, dict[str, Any]]] = {}
    for collection in COLLECTIONS:
        snapshot[collection] = dict(await source.items(collection))
    await target.replace_all(snapshot)
    counts = {collection: len(docs) for collection, docs in snapshot.items()}
    source_log, target_log = activity_log(source), activity_log(target)
    if source_log is not None and target_log is not None:
        counts["activities"] = await copy_activities(source_log, target_log)
    return counts


async def copy_activities(source: ActivityLog, target: ActivityLog) -> int:
    """Copy every activity record with all its fields, oldest first, in batches of ``PAGE``
    (one transaction each). Pages are read newest first by id while the source may still be
    written to: a new record shifts later pages down, so a record read twice (same id) is
    copied once (a record added while the copy runs may or may not be copied)."""
    by_id: dict[int, dict[str, Any]] = {}
    offset = 0
    while True:
        page, total = await source.list_activities(limit=PAGE, offset=offset)
        for row in page:
            by_id.setdefault(int(row["id"]), {k: v for k, v in row.items() if k != "id"})
        offset += len(page)
        if not page or offset >= total:
            break
    rows = [by_id[key] for key in sorted(by_id)]
    for start in range(0, len(rows), PAGE):
        await target.add_activities(rows[start : start + PAGE])
    return len(rows)

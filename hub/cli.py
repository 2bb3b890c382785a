"""``mcphub serve | import | export | plugins``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from hub import __version__

log = logging.getLogger("hub")


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def settings_path_from_env() -> Path | None:
    """``MCPHUB_SETTING_PATH``: a file, or a directory holding ``mcp_settings.json``."""
    path = _env_path("MCPHUB_SETTING_PATH")
    if path is not None and (path.is_dir() or not path.suffix):
        return path / "mcp_settings.json"
    return path


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same directory, fsync, rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _store_url_from_env() -> str:
    return os.environ.get("MCPHUB_STORE_URL") or os.environ.get("DB_URL") or ""


def store_for_url(url: str) -> str:
    """The backend a store URL names: ``postgresql://…`` (or ``postgres://``) is PostgreSQL,
    anything else the default SQLite store."""
    return "postgresql" if url.startswith(("postgresql://", "postgres://")) else "sqlite"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mcphub", description="An MCP hub.")
    parser.add_argument("--version", action="version", version=f"mcphub {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir",
            type=Path,
            default=_env_path("MCPHUB_DATA_DIR") or Path("data"),
            help="Where the database and generated secrets live (env MCPHUB_DATA_DIR).",
        )
        p.add_argument(
            "--store",
            default=os.environ.get("MCPHUB_STORE") or store_for_url(_store_url_from_env()),
            help="Storage backend name (env MCPHUB_STORE; postgresql when the URL is one).",
        )
        p.add_argument(
            "--store-url",
            default=_store_url_from_env(),
            help="Backend-specific location, e.g. a PostgreSQL DSN "
            "(env MCPHUB_STORE_URL, or MCPHUB's DB_URL).",
        )
        p.add_argument("--plugins-dir", type=Path, default=None, help="Load *.py plugins here.")

    serve = sub.add_parser("serve", help="Run the hub.")
    common(serve)
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    serve.add_argument(
        "--settings",
        type=Path,
        default=settings_path_from_env(),
        help="mcp_settings.json imported on first start (env MCPHUB_SETTING_PATH).",
    )
    serve.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))

    imp = sub.add_parser("import", help="Replace the hub's configuration with a settings file.")
    common(imp)
    imp.add_argument("file", type=Path)

    exp = sub.add_parser("export", help="Write the configuration as mcp_settings.json.")
    common(exp)
    exp.add_argument("file", type=Path, nargs="?", help="Output file; stdout when omitted.")

    mig = sub.add_parser(
        "migrate", help="Copy everything from one store to another (e.g. SQLite to PostgreSQL)."
    )
    mig.add_argument("--from", dest="source", required=True, help="sqlite:DIR or postgresql://…")
    mig.add_argument("--to", dest="target", required=True, help="postgresql://… or sqlite:DIR")
    mig.add_argument("--plugins-dir", type=Path, default=None)

    plugins = sub.add_parser("plugins", help="List loaded plugins.")
    plugins.add_argument("--plugins-dir", type=Path, default=None)
    return parser


def _options(args: argparse.Namespace, **extra: Any) -> Any:
    from hub.app import HubOptions

    store = args.store
    if store == "sqlite" and store_for_url(args.store_url) != "sqlite":
        store = store_for_url(args.store_url)  # --store-url postgresql://… alone is enough
    return HubOptions(
        data_dir=args.data_dir,
        store=store,
        store_url=args.store_url,
        plugins_dir=args.plugins_dir,
        admin_password=os.environ.get("ADMIN_PASSWORD") or None,
        jwt_secret=os.environ.get("JWT_SECRET") or None,
        base_path=os.environ.get("BASE_PATH", ""),
        **extra,
    )


async def _serve(args: argparse.Namespace) -> None:
    from hub.server import HubServer

    server = HubServer(_options(args, host=args.host, port=args.port, settings_path=args.settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"mcphub {__version__} listening on http://{server.address}", file=sys.stderr, flush=True)
    await stop.wait()
    log.info("Shutting down")
    await server.stop()


async def _with_hub(args: argparse.Namespace, action: Any) -> Any:
    from hub.app import Hub

    hub = Hub(_options(args))
    await hub.open()
    try:
        return await action(hub)
    finally:
        await hub.stop()


def _exists(path: str) -> bool:
    return Path(path).exists()


async def _migrate(args: argparse.Namespace) -> dict[str, int]:
    from hub.config.migrate import copy_store, store_location
    from hub.config.store import StoreError
    from hub.errors import StartupError
    from hub.plugins import Plugins

    storage = Plugins(args.plugins_dir).load().storage()
    stores = []
    try:
        for spec in (args.source, args.target):
            backend, url = store_location(spec)
            if spec is args.source and backend == "sqlite" and not _exists(url[7:]):
                raise StartupError(f"no SQLite database at {url[7:]}")
            if backend not in storage:
                raise StartupError(f"no storage backend {backend!r}; have {sorted(storage)}")
            store = storage[backend](url, Path("."))
            await store.open()
            stores.append(store)
        counts: dict[str, int] = await copy_store(stores[0], stores[1])
        return counts
    except StoreError as exc:
        raise StartupError(str(exc)) from exc
    finally:
        for store in stores:
            await store.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from hub.logs import setup_logging

        setup_logging(args.log_level)
        from hub.errors import StartupError

        try:
            asyncio.run(_serve(args))
        except StartupError as exc:
            print(f"mcphub: {exc}", file=sys.stderr)
            return 1
        return 0
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.command == "plugins":
        from hub.plugins import Plugins

        for info in Plugins(args.plugins_dir).load().info():
            print(f"{info.name}\t{info.version or '-'}\t{', '.join(info.hooks)}")
        return 0
    if args.command == "import":
        from hub.config.models import McpSettings

        settings = McpSettings.model_validate(json.loads(args.file.read_text()))

        async def do_import(hub: Any) -> None:
            await hub.config.import_settings(settings)

        asyncio.run(_with_hub(args, do_import))
        print(f"imported {args.file} ({len(settings.mcp_servers)} servers)", file=sys.stderr)
        return 0
    if args.command == "migrate":
        from hub.errors import StartupError

        try:
            counts = asyncio.run(_migrate(args))
        except StartupError as exc:
            print(f"mcphub: {exc}", file=sys.stderr)
            return 1
        summary = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        print(f"migrated {args.source} to {args.target}: {summary or 'nothing'}", file=sys.stderr)
        return 0
    if args.command == "export":

        async def do_export(hub: Any) -> Any:
            return hub.config.export_settings()

        text = json.dumps(asyncio.run(_with_hub(args, do_export)), indent=2) + "\n"
        if args.file:
            write_atomic(args.file, text)
        else:
            sys.stdout.write(text)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

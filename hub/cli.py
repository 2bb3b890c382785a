"""``mcphub serve | import | export | admin | plugins``: arguments and messages.

Every failure is one ``mcphub: …`` line on stderr and exit code 1 (``--debug`` shows the
traceback instead); what the commands do is in ``hub.commands``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from hub import __version__

log = logging.getLogger("hub")

Formatter = argparse.ArgumentDefaultsHelpFormatter


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def settings_path_from_env() -> Path | None:
    """``MCPHUB_SETTING_PATH``: a file, or a directory holding ``mcp_settings.json``."""
    path = _env_path("MCPHUB_SETTING_PATH")
    if path is not None and (path.is_dir() or not path.suffix):
        return path / "mcp_settings.json"
    return path


def _store_url_from_env() -> str:
    return os.environ.get("MCPHUB_STORE_URL") or os.environ.get("DB_URL") or ""


def store_for_url(url: str) -> str:
    """The backend a store URL names: ``postgresql://…`` (or ``postgres://``) is PostgreSQL,
    anything else the default SQLite store."""
    return "postgresql" if url.startswith(("postgresql://", "postgres://")) else "sqlite"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcphub",
        description="An MCP hub: many MCP servers served as one.",
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"mcphub {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="Show the traceback of an error, not one line."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, formatter_class=Formatter)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir",
            type=Path,
            default=_env_path("MCPHUB_DATA_DIR") or Path("data"),
            help="Where the database, backups and generated secrets live (env MCPHUB_DATA_DIR).",
        )
        p.add_argument(
            "--store",
            default=os.environ.get("MCPHUB_STORE") or store_for_url(_store_url_from_env()),
            help="Storage backend: sqlite, file to keep the settings file as the source of "
            "truth, or postgresql (env MCPHUB_STORE; postgresql when the store URL is one).",
        )
        p.add_argument(
            "--store-url",
            default=_store_url_from_env(),
            help="Backend-specific location, e.g. a PostgreSQL DSN "
            "(env MCPHUB_STORE_URL, or MCPHUB's DB_URL).",
        )
        p.add_argument(
            "--settings",
            type=Path,
            default=settings_path_from_env(),
            help="mcp_settings.json: imported on a first start (sqlite), or the live "
            "configuration itself with --store file (env MCPHUB_SETTING_PATH).",
        )
        p.add_argument("--plugins-dir", type=Path, default=None, help="Load *.py plugins here.")

    serve = command("serve", "Run the hub.")
    common(serve)
    serve.add_argument(
        "--host",
        default=os.environ.get("HOST", "127.0.0.1"),
        help="Address to listen on (env HOST).",
    )
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "3000")), help="Port (env PORT)."
    )
    serve.add_argument(
        "--log-level",
        default=os.environ.get("LOG_LEVEL", "INFO"),
        help="DEBUG, INFO, WARNING or ERROR (env LOG_LEVEL).",
    )

    imp = command(
        "import",
        "Replace the hub's configuration with a settings file (the current one is backed up "
        "to DATA_DIR/backups first). Refused while a hub runs on the data dir.",
    )
    common(imp)
    imp.add_argument("file", type=Path, help="The mcp_settings.json to import.")
    imp.add_argument(
        "--dry-run", action="store_true", help="Print the difference it would make; change nothing."
    )

    exp = command("export", "Write the configuration as mcp_settings.json.")
    common(exp)
    exp.add_argument("file", type=Path, nargs="?", help="Output file; stdout when omitted.")

    admin = command("admin", "Administer users (in the data dir, or through the running hub).")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    reset = admin_sub.add_parser(
        "reset-password",
        help="Give a user a new password.",
        description="Give a user a new password and end their logins: in the data dir when "
        "the hub is stopped, through its API when it runs there. A random password is "
        "generated and printed once, unless --password-stdin.",
        formatter_class=Formatter,
    )
    common(reset)
    reset.add_argument("user", nargs="?", default="admin", help="The user.")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        help="Read the new password from stdin (checked by the password policy).",
    )

    plugins = command("plugins", "List loaded plugins.")
    plugins.add_argument("--plugins-dir", type=Path, default=None, help="Load *.py plugins here.")

    mig = command(
        "migrate", "Copy everything from one store to another (e.g. SQLite to PostgreSQL)."
    )
    mig.add_argument("--from", dest="source", required=True, help="sqlite:DIR or postgresql://…")
    mig.add_argument("--to", dest="target", required=True, help="postgresql://… or sqlite:DIR")
    mig.add_argument("--plugins-dir", type=Path, default=None, help="Load *.py plugins here.")
    return parser


def _options(args: argparse.Namespace, **extra: Any) -> Any:
    from hub.app import HubOptions

    store = args.store
    if store == "sqlite" and store_for_url(args.store_url) != "sqlite":
        store = store_for_url(args.store_url)  # --store-url postgresql://… alone is enough
    store_url = args.store_url
    if store == "file" and not store_url:
        store_url = str(args.settings or Path("mcp_settings.json"))
    return HubOptions(
        data_dir=args.data_dir,
        store=store,
        store_url=store_url,
        plugins_dir=args.plugins_dir,
        settings_path=args.settings,
        admin_password=os.environ.get("ADMIN_PASSWORD") or None,
        jwt_secret=os.environ.get("JWT_SECRET") or None,
        base_path=os.environ.get("BASE_PATH", ""),
        **extra,
    )


def _require_data(args: argparse.Namespace) -> None:
    """Commands that read a hub's data refuse a data dir that does not exist (a typo),
    rather than creating it and answering with an empty configuration."""
    from hub.commands import CommandError

    if args.store == "sqlite" and not args.store_url and not args.data_dir.is_dir():
        raise CommandError(f"no data in {args.data_dir}: no such directory (see --data-dir)")
    if args.store == "file" and not Path(_options(args).store_url).is_file():
        raise CommandError(f"no settings file {_options(args).store_url} (see --settings)")


# --------------------------------------------------------------------- serve


async def _serve(args: argparse.Namespace) -> None:
    from hub.commands.collector import settle_for_serving
    from hub.commands.lock import DataDirLock
    from hub.server import HubServer

    options = _options(args, host=args.host, port=args.port)
    with DataDirLock(options.data_dir) as lock:
        lock.acquire("serve")
        server = HubServer(options)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await server.start()
        settle_for_serving()
        url = f"http://{server.address}"
        lock.update(url=url)
        _say_where(server.hub, url)
        await stop.wait()
        log.info("Shutting down")
        await server.stop()


def _say_where(hub: Any, url: str) -> None:
    base = url + hub.base_path
    if hub.generated_admin_password:
        login = "log in as 'admin' with the password printed above, then change it"
    elif hub.options.admin_password:
        login = "log in as 'admin' with ADMIN_PASSWORD (the first admin's password)"
    else:
        login = (
            "log in as 'admin' or another user (lost password: stop the hub, run "
            "`mcphub admin reset-password [USER]`)"
        )
    store = hub.store
    data = os.path.abspath(hub.options.data_dir)
    source = f", configuration in {store.source_file}" if store.source_file else ""
    print(
        f"mcphub {__version__} listening on {url}\n"
        f"  dashboard: {base}/\n"
        f"  {login}\n"
        f"  MCP endpoint: {base}/mcp (clients send Authorization: Bearer <key>; make keys "
        "in the dashboard or at /api/auth/keys)\n"
        f"  data: {data} (store: {hub.options.store}{source})",
        file=sys.stderr,
        flush=True,
    )


def _check_admin_password() -> None:
    password = os.environ.get("ADMIN_PASSWORD")
    if password:
        from hub.commands.admin import check_policy

        check_policy(password, "ADMIN_PASSWORD")


# --------------------------------------------------------------------- the others


async def _import(args: argparse.Namespace) -> int:
    from hub.commands.config_ops import import_settings, opened_hub, read_import_file
    from hub.commands.lock import DataDirLock

    settings = read_import_file(args.file)
    options = _options(args)
    with DataDirLock(options.data_dir) as lock:
        lock.acquire("import")
        async with opened_hub(options) as hub:
            outcome = await import_settings(
                hub,
                settings,
                args.file,
                dry_run=args.dry_run,
                backups=options.data_dir / "backups",
            )
    if args.dry_run:
        if outcome.diff:
            sys.stdout.write("\n".join(outcome.diff) + "\n")
        else:
            print(f"mcphub: importing {args.file} would change nothing", file=sys.stderr)
        return 0
    print(
        f"mcphub: imported {args.file} ({outcome.servers} servers); the previous configuration "
        f"is in {outcome.backup}",
        file=sys.stderr,
    )
    return 0


async def _export(args: argparse.Namespace) -> int:
    from hub.commands.config_ops import export_text, opened_hub, write_export

    _require_data(args)
    async with opened_hub(_options(args)) as hub:
        text = export_text(hub)
    if args.file:
        write_export(args.file, text)
    else:
        sys.stdout.write(text)
    return 0


async def _reset_password(args: argparse.Namespace) -> int:
    from hub.commands.admin import (
        check_policy,
        generated_password,
        reset_password,
        reset_through_hub,
    )
    from hub.commands.config_ops import opened_hub
    from hub.commands.lock import DataDirLock, LockHeld

    _require_data(args)
    generated = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        check_policy(password, "The new password")
    else:
        password = generated = generated_password()
    options = _options(args)
    with DataDirLock(options.data_dir) as lock:
        try:
            lock.acquire("admin reset-password")
            url = None
        except LockHeld as held:
            url = held.holder.get("url") if held.holder.get("command") == "serve" else None
            if not url:
                raise
        async with opened_hub(options) as hub:
            if url:
                await reset_through_hub(hub, url, args.user, password)
            else:
                await reset_password(hub, args.user, password)
    where = f" through the running hub at {url}" if url else ""
    if generated:
        # Straight to the console, once, as the first start's password.
        print(f"mcphub: new password for {args.user!r}{where}: {generated}", file=sys.stderr)
    else:
        print(f"mcphub: password of {args.user!r} changed{where}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from hub.logs import setup_logging

        _check_admin_password()
        setup_logging(args.log_level)
        asyncio.run(_serve(args))
        return 0
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="mcphub: %(message)s")
    if args.command == "plugins":
        from hub.plugins import Plugins

        for info in Plugins(args.plugins_dir).load().info():
            print(f"{info.name}\t{info.version or '-'}\t{', '.join(info.hooks)}")
        return 0
    if args.command == "import":
        return asyncio.run(_import(args))
    if args.command == "migrate":
        from hub.commands.migrate import migrate

        counts = asyncio.run(migrate(args.source, args.target, args.plugins_dir))
        summary = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        print(f"migrated {args.source} to {args.target}: {summary or 'nothing'}", file=sys.stderr)
        return 0
    if args.command == "export":
        return asyncio.run(_export(args))
    if args.command == "admin":
        return asyncio.run(_reset_password(args))
    return 2


def one_line(exc: BaseException) -> str:
    """The message ``mcphub`` prints for an error."""
    from hub.commands import CommandError
    from hub.config.settings_file import SettingsFileError
    from hub.errors import HubError, StartupError

    if isinstance(exc, HubError):
        text = exc.message
    elif isinstance(exc, CommandError | StartupError | SettingsFileError):
        text = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror}"
    else:
        text = f"unexpected error ({type(exc).__name__}: {exc}); --debug shows the traceback"
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"mcphub: {one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

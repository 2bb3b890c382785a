"""A stdio MCP server as a child process: explicit environment, logged stderr, no orphans.

The SDK's ``stdio_client`` inherits stderr, picks the environment itself and cannot tell us
the process group, and an ``npx``/``uvx`` style launcher's grandchild survives it. So the
hub spawns the child itself, in a new session (its pid is the group id), bridges stdout and
stdin to the SDK's message streams, and on close ends the whole group: stdin closed, a
short grace, SIGTERM to the group (even when the direct child is already gone), SIGKILL to
whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import subprocess
import threading
from collections.abc import AsyncIterator, Mapping

import anyio
import mcp.types as t
from mcp.shared.message import SessionMessage

from hub.plugin_api import Linked, Target, is_hub_secret, json_loads
from mcphub_stdio.direct import StdioLink

log = logging.getLogger(__name__)
child_log = logging.getLogger("hub.upstream.stderr")

INHERITED = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "LANG", "LANGUAGE",
        "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT",
        "APPDATA", "LOCALAPPDATA", "USERPROFILE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
        "http_proxy", "https_proxy", "no_proxy", "all_proxy",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS",
    }
)  # fmt: skip
"""Hub variables a child gets: enough to find programs, locales, temp dirs and the proxy."""
INHERITED_PREFIXES = ("LC_",)

LINE_LIMIT = 64 * 1024 * 1024
"""Longest stdout line (one JSON-RPC message) accepted from a child."""
EOF_GRACE = 1.0
"""Seconds a child gets to exit on its own after stdin closes."""
TERM_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL of the group."""
STDERR_LINE_MAX = 4000


def child_env(target: Target, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's whole environment: allow-listed hub variables, install mirrors, its env."""
    source = os.environ if environ is None else environ
    env = {
        k: v
        for k, v in source.items()
        if (k in INHERITED or k.startswith(INHERITED_PREFIXES))
        and not is_hub_secret(k)
        and not v.startswith("()")  # exported shell functions
    }
    install = target.system.install
    if install.python_index_url:
        env["UV_DEFAULT_INDEX"] = env["PIP_INDEX_URL"] = install.python_index_url
    if install.npm_registry:
        env["npm_config_registry"] = install.npm_registry
    configured = target.config.env or {}
    env.update({str(k): str(v) for k, v in target.expand(configured).items()})
    return env


class Child:
    """A spawned child: its pipes as asyncio streams and an event set when it has exited.

    ``exited`` tracks the process itself, not its pipes, which a grandchild may hold open
    long after the child is gone.
    """

    def __init__(self, popen: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.exited = asyncio.Event()
        self._loop = loop
        self._transports: list[asyncio.BaseTransport] = []
        self._pidfd = -1
        self.stdin: asyncio.StreamWriter
        self.stdout = asyncio.StreamReader(limit=LINE_LIMIT, loop=loop)
        self.stderr = asyncio.StreamReader(limit=LINE_LIMIT, loop=loop)

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    async def connect(self) -> None:
        loop, popen = self._loop, self.popen
        assert popen.stdin and popen.stdout and popen.stderr
        for reader, pipe in ((self.stdout, popen.stdout), (self.stderr, popen.stderr)):
            transport, _ = await loop.connect_read_pipe(
                functools.partial(asyncio.StreamReaderProtocol, reader, loop=loop), pipe
            )
            self._transports.append(transport)
        w_transport, w_protocol = await loop.connect_write_pipe(
            functools.partial(asyncio.streams.FlowControlMixin, loop=loop), popen.stdin
        )
        self._transports.append(w_transport)
        self.stdin = asyncio.StreamWriter(w_transport, w_protocol, None, loop)
        self._watch_exit()

    def _watch_exit(self) -> None:
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # not Linux >= 5.3: a thread waits instead
            threading.Thread(target=self._wait_in_thread, daemon=True).start()
            return
        self._loop.add_reader(self._pidfd, self._reap)
        self._reap()  # it may be gone already

    def _reap(self) -> None:
        if self.popen.poll() is not None and not self.exited.is_set():
            self._stop_watching()
            self.exited.set()

    def _wait_in_thread(self) -> None:
        self.popen.wait()
        with contextlib.suppress(RuntimeError):  # the loop closed first
            self._loop.call_soon_threadsafe(self.exited.set)

    def _stop_watching(self) -> None:
        if self._pidfd >= 0:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1

    def close(self) -> None:
        self._stop_watching()
        for transport in self._transports:
            transport.close()


async def spawn(argv: list[str], env: dict[str, str], cwd: str | None) -> Child:
    """Start the child in its own session, off the event loop.

    ``fork``/``exec`` blocks the calling thread until the new program is loaded (10 ms for
    a Python child on a small VM); asyncio's own ``subprocess_exec`` does it on the loop, so
    100 stdio servers starting at once would stall every other request for a second.
    """
    loop = asyncio.get_running_loop()
    try:
        popen = await asyncio.to_thread(
            subprocess.Popen,
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd or None,
            start_new_session=True,
        )
    except OSError as exc:
        raise OSError(f"cannot start {argv[0]!r}: {exc.strerror or exc}") from None
    child = Child(popen, loop)
    try:
        await child.connect()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        await asyncio.to_thread(popen.wait)
        child.close()
        raise
    return child


def _group_alive(pgid: int) -> bool:
    """Whether any member of the group still runs (zombies waiting for init do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return _has_running_member(pgid)


def _has_running_member(pgid: int) -> bool:
    # An orphaned grandchild is reaped by PID 1, which may take a second; a container's
    # init may never do it. /proc tells a zombie from a live process; elsewhere assume alive.
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] != b"Z":
            return True
    return False


async def end_group(proc: Child) -> None:
    """Close stdin, wait a little, then SIGTERM and finally SIGKILL the whole group."""
    pgid = proc.pid
    with contextlib.suppress(Exception):
        proc.stdin.close()
    with anyio.move_on_after(EOF_GRACE):
        await proc.exited.wait()
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    else:
        with anyio.move_on_after(TERM_GRACE):
            # A process group has no exit event to await, so probe it.
            while _group_alive(pgid):  # noqa: ASYNC110
                await anyio.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    with anyio.move_on_after(TERM_GRACE):
        await proc.exited.wait()


@contextlib.asynccontextmanager
async def open_stdio(
    target: Target, argv: list[str], env: dict[str, str], cwd: str | None
) -> AsyncIterator[Linked]:
    """Spawn the child and yield the SDK's ``(read, write)`` message streams and the direct
    link (``mcphub_stdio.direct``)."""
    with anyio.CancelScope(shield=True):  # a spawned child must always reach the finally
        proc = await spawn(argv, env, cwd)
    name = target.name
    log.info("Upstream %s started pid %d", name, proc.pid)
    read_send, read_recv = anyio.create_memory_object_stream[SessionMessage | Exception](16)
    write_send, write_recv = anyio.create_memory_object_stream[SessionMessage](16)
    closing = ended = False
    stdout_done = anyio.Event()
    link = StdioLink(proc.stdin)

    last_stderr = ""

    def exited() -> str:
        code = proc.returncode
        # A child that gave up usually said why on stderr (a missing module, a bad flag).
        said = f" (stderr: {last_stderr[:200]})" if last_stderr and code and code > 0 else ""
        return f"process exited with code {code}{said}"

    async def read_stdout() -> None:
        try:
            while line := await proc.stdout.readline():
                line = line.strip()
                if not line:
                    continue
                try:
                    raw = json_loads(line)
                    if await link.take(raw):
                        continue
                    message = t.jsonrpc_message_adapter.validate_python(raw, by_name=False)
                except ValueError:
                    child_log.warning(
                        "non-JSON-RPC line on stdout: %.200s",
                        line.decode(errors="replace"),
                        extra={"source": name},
                    )
                    continue
                await read_send.send(SessionMessage(message))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass
        except (ValueError, OSError) as exc:  # an over-long line, a broken pipe
            if not closing:
                target.lost(f"reading stdout failed: {exc}")
        finally:
            link.close()
            stdout_done.set()
            if not closing:
                # Name the cause: stdout ends a moment before the exit is reported.
                with anyio.CancelScope(shield=True), anyio.move_on_after(0.5):
                    await proc.exited.wait()
                target.lost(exited() if proc.exited.is_set() else "stdout closed")
            read_send.close()

    async def read_stderr() -> None:
        nonlocal last_stderr
        with contextlib.suppress(ValueError, OSError):
            while line := await proc.stderr.readline():
                text = line.decode(errors="replace").rstrip()
                if text:
                    last_stderr = text.strip()
                    child_log.info("%s", text[:STDERR_LINE_MAX], extra={"source": name})

    async def write_stdin() -> None:
        try:
            async for message in write_recv:
                data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                proc.stdin.write(data.encode() + b"\n")
                await proc.stdin.drain()
        except (OSError, anyio.ClosedResourceError, anyio.BrokenResourceError) as exc:
            if not closing:
                target.lost(f"writing to stdin failed: {exc}")
                read_send.close()

    async def watch_exit() -> None:
        await proc.exited.wait()
        if closing:
            return
        target.lost(exited())
        # Let the reader pass on what the child wrote last, unless a grandchild holds stdout.
        with anyio.move_on_after(0.5):
            await stdout_done.wait()
        read_send.close()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(read_stdout)
            tg.start_soon(read_stderr)
            tg.start_soon(write_stdin)
            tg.start_soon(watch_exit)
            try:
                yield Linked(read_recv, write_send, link)
            finally:
                closing = True
                with anyio.CancelScope(shield=True):
                    write_send.close()
                    await end_group(proc)
                    ended = True
                tg.cancel_scope.cancel()
    finally:
        closing = True
        link.close()
        if not ended:
            with anyio.CancelScope(shield=True):
                await end_group(proc)
        proc.close()
        for stream in (read_send, read_recv, write_send, write_recv):
            stream.close()
        log.info("Upstream %s pid %d ended (code %s)", name, proc.pid, proc.returncode)

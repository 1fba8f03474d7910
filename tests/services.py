"""Private PostgreSQL and Redis servers for tests that restart them.

The shared servers on the standard ports are never touched: each instance here has its own
port and data directory, and is stopped by the PID it was started with.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .support import wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class _Server:
    """A server of a test's own: ``restart`` keeps its port, ``close`` also removes its files."""

    dir: Path

    def start(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def restart(self, down_seconds: float = 1.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis(_Server):
    """A redis-server on a port of its own; ``restart`` keeps the port (and drops the data)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="keystroke-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        args = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.proc = subprocess.Popen(
            [*args, "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: _accepts(self.port), 20, what=f"redis on port {self.port}")
        return self

    def stop(self) -> None:
        """SIGTERM, as a service manager's restart does: Redis closes every client connection."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (Debian package postgresql)")
    return found[-1]


def _postgres_user() -> dict[str, str]:
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


class PrivatePostgres(_Server):
    """A PostgreSQL cluster in a temporary directory, run as the ``postgres`` user (initdb refuses
    root).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="keystroke-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(
            [_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"]
        )

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _as_postgres(self, args: list[str]) -> None:
        subprocess.run(args, check=True, capture_output=True, **_postgres_user())

    def start(self) -> PrivatePostgres:
        args = [
            _pg_bin("postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
        ]
        args += [
            "-c",
            f"unix_socket_directories={self.dir}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ]
        with open(self.log, "ab") as log:
            # Started directly as the postgres user, so the PID is the postmaster's own.
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, **_postgres_user())
        wait_for(lambda: _accepts(self.port), 30, what=f"PostgreSQL on port {self.port}")
        return self

    def stop(self) -> None:
        """A fast shutdown (SIGINT to the postmaster): clients are disconnected, as in a restart."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)
        self.proc = None

    def createdb(self, name: str) -> str:
        psql = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        self._as_postgres([*psql, "-c", f'CREATE DATABASE "{name}"'])
        return self.url(name)


class PrivateRabbitMQ(_Server):
    """A RabbitMQ node of its own (name, ports, data and no plugins), in a process group of its own.

    rabbitmq-server drops to the rabbitmq user, so its directory belongs to that user; the node
    is stopped by the PID it writes to its PID file.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="keystroke-rabbitmq-"))
        (self.dir / "plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        if os.geteuid() == 0:
            for path in (self.dir, self.dir / "plugins", self.dir / "rabbitmq.conf"):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> PrivateRabbitMQ:
        env = {
            **os.environ,
            "RABBITMQ_NODENAME": f"keystroke{self.port}@localhost",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
        }
        with open(self.dir / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                ["rabbitmq-server"],
                env=env,
                cwd=self.dir,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_for(lambda: _accepts(self.port), 60, what=f"RabbitMQ on port {self.port}")
        return self

    def stop(self) -> None:
        """SIGTERM to the node's own PID (from its PID file): the Erlang VM shuts down cleanly."""
        if self.proc is None:
            return
        pid_file = self.dir / "pid"
        if pid_file.exists() and pid_file.read_text().strip().isdigit():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except ProcessLookupError:
                pass
        elif self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        wait_for(lambda: not _accepts(self.port), 30, what=f"RabbitMQ on port {self.port} to stop")
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)
        self.proc = None

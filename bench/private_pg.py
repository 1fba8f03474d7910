"""A private PostgreSQL 15 cluster for compare.py: nothing else writes to it, so its WAL is ours."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

BIN = Path("/usr/lib/postgresql/15/bin")
# A pg_waldump line: its resource manager, its total length and the relation of its first block.
RECORD = re.compile(
    r"^rmgr: (\w+)\s+len \(rec/tot\):\s*\d+/\s*(\d+),"
    r"[^\n]*?(?:blkref #0: rel \d+/(\d+)/(\d+)[^\n]*)?$",
    re.MULTILINE,
)
# PostgreSQL refuses to run as root; under root the cluster belongs to this account instead.
SERVER_USER = "postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Wal:
    """What the cluster wrote between two WAL positions."""

    bytes: int
    commits: int  # commit records: one per transaction that wrote anything
    start: str = ""
    end: str = ""


class PrivateCluster:
    def __init__(self, root: Path) -> None:
        self.root, self.data, self.port = root, root / "data", free_port()
        self.log = root / "postgres.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = SERVER_USER if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(root, entry.pw_uid, entry.pw_gid)

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        initdb = [str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        done = subprocess.run(
            [*initdb, "--no-instructions", "-E", "UTF8", "--locale=C.UTF-8"],
            capture_output=True,
            text=True,
            user=self.user,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        # fsync, synchronous_commit and the rest stay at their defaults. WAL is kept long enough to
        # be read back by pg_waldump after a phase, which a checkpoint could otherwise recycle.
        settings = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "wal_keep_size": "4GB",
            "max_connections": "200",
        }
        args = [str(BIN / "postgres"), "-D", str(self.data)]
        for name, value in settings.items():
            args += ["-c", f"{name}={value}"]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, user=self.user, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"The private PostgreSQL exited at start:\n{self.tail()}")
            with contextlib.suppress(psycopg.OperationalError):
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            time.sleep(0.2)
        raise RuntimeError(f"The private PostgreSQL did not start within 60 s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # fast shutdown: ends the sessions still connected
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait()

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            # Django sets the session time zone on connect unless it is already UTC.
            conn.execute(f"ALTER DATABASE \"{name}\" SET timezone TO 'UTC'")

    def lsn(self) -> str:
        with self.admin() as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        return str(row[0])

    def wal_between(self, start: str, end: str) -> Wal:
        with self.admin() as conn:
            row = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)::bigint", [end, start]).fetchone()
        assert row is not None
        # Read-only transactions write no commit record, so these are the writing transactions.
        dump = subprocess.run(
            [str(BIN / "pg_waldump"), "-p", str(self.data / "pg_wal")]
            + ["-s", start, "-e", end, "-r", "Transaction"],
            capture_output=True,
            text=True,
            check=False,
        )
        if dump.returncode != 0:
            raise RuntimeError(f"pg_waldump {start}..{end} failed: {dump.stderr[-2000:]}")
        commits = len(re.findall(r"desc: COMMIT\b", dump.stdout))
        return Wal(int(row[0]), commits, start, end)

    def wal_by_relation(self, wal: Wal) -> Counter[str]:
        """The length of each record between the two positions (full-page images included; page
        headers and alignment left out), by the relation of its first block, or by its resource
        manager when it has none.
        """
        dump = subprocess.run(
            [str(BIN / "pg_waldump"), "-p", str(self.data / "pg_wal"), "-s", wal.start]
            + ["-e", wal.end],
            capture_output=True,
            text=True,
            check=True,
        )
        by_file: Counter[tuple[int, int]] = Counter()
        by_name: Counter[str] = Counter()
        for match in RECORD.finditer(dump.stdout):
            rmgr, size, database, filenode = match.groups()
            if filenode:
                by_file[int(database), int(filenode)] += int(size)
            else:
                by_name[f"({rmgr} records)"] += int(size)
        names = self.relation_names({database for database, _ in by_file})
        for (database, filenode), size in by_file.items():
            by_name[names.get((database, filenode), f"filenode {database}/{filenode}")] += size
        return by_name

    def relation_names(self, databases: set[int]) -> dict[tuple[int, int], str]:
        names: dict[tuple[int, int], str] = {}
        with self.admin() as admin:
            found = admin.execute(
                "SELECT oid::int, datname FROM pg_database WHERE oid = ANY(%s)", [list(databases)]
            ).fetchall()
        for oid, datname in found:
            with self.admin(datname) as conn:
                rows = conn.execute(
                    "SELECT pg_relation_filenode(oid)::int, relname FROM pg_class "
                    "WHERE pg_relation_filenode(oid) IS NOT NULL"
                ).fetchall()
            names.update({(oid, filenode): relname for filenode, relname in rows})
        return names


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    # A directory of its own under the temp root, which the server's account can reach.
    root = Path(tempfile.mkdtemp(prefix="keystroke-compare-pg-"))
    cluster = PrivateCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

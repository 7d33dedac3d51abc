"""A throwaway PostgreSQL server for the tests, started the way docs/destinations.md describes.

Debian's `postgresql` package provides `initdb` and `pg_ctl` (installed with apt-get when they
are missing). PostgreSQL refuses to run as root, so when the tests run as root the cluster
belongs to an unprivileged user (`nobody`) and lives in a temporary folder that user owns. It
listens on a free loopback port only, with its unix socket inside that folder, and asks for the
superuser's password (random, per server) on TCP, as a real server would (dlt requires one).

The cluster's default locale is en_US.UTF-8 (`SERVER_LOCALE`), as most servers are set up, not
C: a database created plainly gets that collation, and `create_database(name, "C")` makes one
with the C collation, byte order, as DuckDB compares text (docs/destinations.md). The locale is
generated with `localedef` when the system lacks it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the server's superuser, created by initdb
SUPERUSER = "postgres"
# who owns the cluster when the tests run as root
UNPRIVILEGED_USER = "nobody"
# the cluster's default locale, hence the collation of a database created without one
SERVER_LOCALE = "en_US.UTF-8"


def postgres_bin_dir() -> Path:
    """The folder holding `initdb` and `pg_ctl`, installing Debian's package if needed."""
    if found := _bin_dir():
        return found
    _apt_install("postgresql")
    found = _bin_dir()
    assert found, "apt-get installed postgresql, but no initdb was found"
    return found


def ensure_locale(name: str = SERVER_LOCALE) -> str:
    """`name` (e.g. en_US.UTF-8), generated with glibc's `localedef` when the system lacks it
    (Debian's `locales` package, installed with apt-get when missing, holds its sources)."""
    language, _, charset = name.partition(".")

    def known() -> bool:
        found = subprocess.run(["locale", "-a"], check=True, capture_output=True, text=True).stdout.split()
        return f"{language}.{charset.lower().replace('-', '')}" in found or name in found

    if known():
        return name
    if not Path("/usr/share/i18n/locales", language).exists():
        _apt_install("locales")
    subprocess.run(["localedef", "-i", language, "-f", charset, name], check=True, capture_output=True)
    assert known(), f"localedef made {name}, but `locale -a` does not list it"
    return name


def _apt_install(package: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, env=env, capture_output=True)


def _bin_dir() -> Path | None:
    # Debian keeps the server's programs out of PATH, one folder per major version
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    """A running server: its port and how to reach a database on it."""

    host: str
    port: int
    password: str

    def url(self, database: str) -> str:
        """dlt's connection string for `database` (the form of DESTINATION__POSTGRES__CREDENTIALS)."""
        return f"postgresql://{SUPERUSER}:{self.password}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> Any:
        import psycopg2

        connection = psycopg2.connect(
            host=self.host, port=self.port, user=SUPERUSER, password=self.password, dbname=database
        )
        connection.autocommit = True
        return connection

    def create_database(self, name: str, collation: str | None = None) -> str:
        """A new, empty database, with the server's default collation or `collation` (as
        docs/destinations.md creates a C-collation one); returns its connection string."""
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            if collation is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
            else:
                cursor.execute(
                    f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
                    f" LC_COLLATE '{collation}' LC_CTYPE '{collation}'"
                )
        return self.url(name)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """initdb + pg_ctl start in a temporary folder; stopped and removed at exit."""
    bin_dir = postgres_bin_dir()
    locale = ensure_locale()
    root = Path(tempfile.mkdtemp(prefix="pg_test_"))
    as_user: dict[str, Any] = {}
    if os.geteuid() == 0:
        owner = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    data, log, password_file = root / "data", root / "server.log", root / "password"
    port, password = free_port(), secrets.token_hex(16)
    password_file.write_text(password)
    if as_user:
        os.chown(password_file, as_user["user"], as_user["group"])

    def run(*command: str) -> None:
        subprocess.run(command, check=True, capture_output=True, cwd=root, **as_user)

    try:
        run(
            str(bin_dir / "initdb"),
            f"--pgdata={data}",
            f"--username={SUPERUSER}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={password_file}",
            "--encoding=UTF8",
            f"--locale={locale}",
        )
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
        run(str(bin_dir / "pg_ctl"), f"--pgdata={data}", f"--log={log}", "--wait", f"--options={options}", "start")
        try:
            yield PostgresServer("127.0.0.1", port, password)
        finally:
            run(str(bin_dir / "pg_ctl"), f"--pgdata={data}", "--mode=fast", "--wait", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)

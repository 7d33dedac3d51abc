"""The warehouse: where every entry point loads, and how it is opened, locked, checked and
published. `Warehouse.pipeline` is the one place a pipeline and its destination are built, so
that the command line, the Airflow DAG, the shards and `python -m transforms` load with the
same settings (`tests/pipelines/test_one_destination.py` pins it).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import dlt
import duckdb
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.destination.exceptions import DestinationException, UnknownDestinationModule
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.destinations.exceptions import DestinationConnectionError
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.helpers import retry_load
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential

from pipelines import duckdb_merge
from sources.instagram import InstagramConfigError, causes_of, check_shard_name, duckdb_is_busy
from transforms import ANALYTICS_DATASET
from transforms.raw_tables import RAW_DATASETS

log = logging.getLogger("pipelines.warehouse")

PIPELINE_NAME = "instagram"
# The APIs a run can read, each its own source, pipeline and raw dataset in the same warehouse
# (`[pipelines] api`, `--api`): v1 (`sources.instagram`) and the Graph API
# (`sources.instagram_graph`, which has no shards).
V1_API, GRAPH_API = "v1", "graph"
API_SETTING = "pipelines.api"
GRAPH_PIPELINE_NAME = "instagram_graph"
GRAPH_RAW_DATASET = RAW_DATASETS["graph_raw"].dataset  # the transforms read both raw datasets
# The names of the shards: `[sources.instagram] shards = ["north", "south"]`. Shard `north` is
# the pipeline `instagram_north`, and dlt looks its settings up in that pipeline's sections
# first: `[instagram_north.sources.instagram]` in config.toml and secrets.toml (its token).
SHARDS_SETTING = "sources.instagram.shards"
RAW_DATASET = RAW_DATASETS["raw"].dataset
DEFAULT_DUCKDB_FILE = "instagram.duckdb"
PROGRESS_LOG_SECONDS = 10.0
# DuckDB's settings for every connection a run opens (the load, the repair, the transforms).
# Without a limit DuckDB keeps up to 80 % of the machine's RAM before it spills to disk, and the
# scd2 merge of `follow_edges`, the repair and the graph models join and aggregate the whole
# history: a run's memory then grows with the warehouse (9.5 GB for the transforms of a
# 100,000-user crawl), beside whatever else the machine runs. With a limit, what does not fit
# spills to `<file>.tmp` beside the database (DuckDB's default `temp_directory`). The limit
# is `DUCKDB_MEMORY_SHARE` of the machine's memory (the container's, under a cgroup limit), at
# least `DUCKDB_MEMORY_FLOOR_MB`: a fixed 256 MB left most of a large machine unused, and the
# 10 M-edge transforms spilled gigabytes. Every model stays correct at the floor, only slower.
# A run's peak RSS is about the limit plus the process's own memory (bench/bench_transforms.py
# prints both). The threads are the CPUs the process may use (the cgroup's quota, where one
# is set); hash tables and sort runs are per thread, so the threads share the limit. The
# allocator returns freed memory to the system sooner than its default 128 MB threshold;
# insertion order is never relied on (every reader orders what it needs), and keeping it
# costs memory in large CREATE TABLE AS and INSERT ... SELECT.
# dlt's configuration overrides any of them: `[destination.duckdb.credentials.global_config]`
# in .dlt/config.toml (documented there), or DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG=
# '{"memory_limit": "2GB", "threads": 8}'.
DUCKDB_MEMORY_SHARE = 0.25
DUCKDB_MEMORY_FLOOR_MB = 256
CGROUP = Path("/sys/fs/cgroup")


def machine_memory_bytes() -> int:
    """The machine's physical memory, or its cgroup's limit when lower (v2 `memory.max`, v1
    `memory/memory.limit_in_bytes`)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in (CGROUP / "memory.max", CGROUP / "memory" / "memory.limit_in_bytes"):
        with contextlib.suppress(OSError, ValueError):  # absent, or "max": no limit
            memory = min(memory, int(limit.read_text()))
    return memory


def machine_cpus() -> int:
    """The CPUs this process may run on, fewer under a cgroup v2 quota (`cpu.max`)."""
    cpus = len(os.sched_getaffinity(0))
    with contextlib.suppress(OSError, ValueError):  # absent, or "max <period>": no quota
        quota, period = (CGROUP / "cpu.max").read_text().split()
        cpus = min(cpus, -(-int(quota) // int(period)))
    return max(1, cpus)


def default_memory_limit() -> str:
    """DuckDB's `memory_limit` when dlt's configuration sets none."""
    return f"{max(DUCKDB_MEMORY_FLOOR_MB, int(machine_memory_bytes() * DUCKDB_MEMORY_SHARE) >> 20)}MB"


DUCKDB_SETTINGS: dict[str, Any] = {
    "memory_limit": default_memory_limit(),
    "threads": machine_cpus(),
    "allocator_flush_threshold": "16MB",
    "preserve_insertion_order": False,
}
# The analysts' copy of the DuckDB file, published beside it after each run (docs/analysts.md).
READ_COPY_SUFFIX = "_read"
# The copy being written, renamed over the read copy once complete; one left by a kill is stale.
PUBLISHING_SUFFIX = ".publishing"

# dlt copies Arrow tables into PostgreSQL as CSV with FORCE_NULL on every nullable column, which
# turns every empty string into NULL: a full profile's empty bio would read as the NULL of a
# short profile, and empty captions and websites as unknown ones. INSERT statements keep them
# (the source's Arrow tables are written as such at normalize; the API's rate limit, not the
# load, bounds a run's speed).
POSTGRES_FILE_FORMATS = ["insert_values"]


class AlreadyRunning(Exception):
    """Another run holds the pipeline's lock."""


def pipeline_name(shard: str | None = None, api: str = V1_API) -> str:
    """The pipeline of `shard` (None: the unsharded pipeline, `instagram`), or of the Graph
    API's source (`instagram_graph`)."""
    if api == GRAPH_API:
        return GRAPH_PIPELINE_NAME
    return PIPELINE_NAME if shard is None else f"{PIPELINE_NAME}_{shard}"


def raw_dataset(api: str = V1_API) -> str:
    """The raw dataset the source of `api` loads into."""
    return GRAPH_RAW_DATASET if api == GRAPH_API else RAW_DATASET


def configured_api(chosen: str | None = None) -> str:
    """`chosen` (the `--api` flag), else `API_SETTING` in dlt's configuration, else v1."""
    api = chosen or dlt.config.get(API_SETTING, str) or V1_API
    if api not in (V1_API, GRAPH_API):
        raise InstagramConfigError(f"{API_SETTING} must be {V1_API!r} or {GRAPH_API!r}, got {api!r}")
    return api


def configured_shards() -> list[str]:
    """The shard names in dlt's configuration (`SHARDS_SETTING`; none: the run is not sharded)."""
    shards = dlt.config.get(SHARDS_SETTING, list) or []
    for shard in shards:
        check_shard_name(shard)
        if pipeline_name(shard) == GRAPH_PIPELINE_NAME:
            raise InstagramConfigError(f"{SHARDS_SETTING}: the shard name {shard!r} names the Graph API's pipeline")
    if len(set(shards)) != len(shards):
        raise InstagramConfigError(f"{SHARDS_SETTING} names a shard twice: {shards}")
    return list(shards)


def duckdb_settings() -> dict[str, Any]:
    """`DUCKDB_SETTINGS`, with what dlt's configuration sets for the DuckDB destination's
    `global_config` on top (explicit credentials would otherwise hide it)."""
    configured = dlt.config.get("destination.duckdb.credentials.global_config", dict) or {}
    return {**DUCKDB_SETTINGS, **configured}


# dlt runs up to 20 load jobs at once, each holding its table's rows in DuckDB. Two (the
# machine's cores) load the 2,000-user demo in 5.3 s at 295 MB peak; 20: 5.1 s at 330 MB; one:
# 6.3 s at 274 MB. At 200,000 media, 20 jobs took 130 MB more than one.
LOAD_JOBS = 2


def configured_duckdb_file(explicit: str | None = None) -> Path:
    """The DuckDB file: `explicit` (a `--duckdb` flag), else dlt's configuration
    (`destination.duckdb.credentials`, or its `database` where the credentials are a table, as
    they are in a config file that sets their `global_config`), else `DEFAULT_DUCKDB_FILE` in
    the working directory."""
    configured = explicit or os.environ.get("DESTINATION__DUCKDB__CREDENTIALS")
    if configured is None:
        with contextlib.suppress(KeyError, ConfigurationException):
            configured = dlt.config["destination.duckdb.credentials"]
    if isinstance(configured, Mapping):
        configured = configured.get("database")
    return Path(configured or DEFAULT_DUCKDB_FILE).resolve()


def duckdb_destination(path: Path) -> Any:
    """dlt's DuckDB destination on `path`, with `duckdb_settings()` on each connection, a merge
    that stays within their memory limit (`pipelines/duckdb_merge.py`) and `LOAD_JOBS` load
    jobs at a time."""
    return duckdb_merge.duckdb(
        DuckDbCredentials(str(path), global_config=duckdb_settings()), max_parallel_load_jobs=LOAD_JOBS
    )


def postgres_destination(credentials: str | None = None) -> Any:
    """dlt's PostgreSQL destination (`credentials`, else dlt's configuration, as dlt documents
    it: `destination.postgres.credentials`), loading by INSERT (`POSTGRES_FILE_FORMATS`), with
    no unique index on `_dlt_id`, as on DuckDB: a load killed after a job's INSERT committed
    retries that job, and the index made the retry fail on the state row for ever."""
    # no file format selector: dlt's would offer parquet (through ADBC) when its driver is installed
    return dlt.destinations.postgres(
        credentials=credentials,
        create_indexes=False,
        supported_loader_file_formats=POSTGRES_FILE_FORMATS,
        loader_file_format_selector=None,
    )


def warehouse_lock(database: Path) -> Path:
    """The lock beside a DuckDB file that the runs loading into it take: an unsharded run at
    once (or it exits), a shard's run waiting its turn."""
    return database.with_suffix(".duckdb.lock")


@contextlib.contextmanager
def run_lock(path: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold an exclusive lock for the whole run; the OS frees it when the process ends, however
    it ends. The lock file names the holder's pid. Without `wait`, a lock held by another run
    raises `AlreadyRunning`; with it, the run waits for its turn.

    Shards of one DuckDB file take turns for their whole runs, not only for their loads: a run
    reads the warehouse while it extracts (its refresh schedule, and who has a full profile,
    so that a short profile never overwrites a full one), and what another shard loads during
    that extraction would be unknown to it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held open for the whole run
    except OSError as error:
        raise InstagramConfigError(f"cannot write the lock file {path}: {error.strerror}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            if not wait:
                raise AlreadyRunning(f"another run (pid {holder}) holds {path}") from None
            log.info("another run (pid %s) holds %s: waiting for it to finish", holder, path.name)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def default_read_copy(database: Path) -> Path:
    """Where the analysts' copy of `database` is published: `<stem>_read.duckdb` beside it."""
    return database.with_name(f"{database.stem}{READ_COPY_SUFFIX}{database.suffix}")


def publish_read_copy(database: Path, read_copy: Path) -> None:
    """Publish a consistent copy of `database` at `read_copy` for analysts to open read-only.

    Call it only when the run's loads and transforms have finished and while the run lock is
    held (no other writer). A checkpoint folds the write-ahead log into the file, so the file
    alone is the whole database; it is copied to a temporary file beside `read_copy`, flushed to
    disk, and renamed over it. The rename is atomic: a reader opening `read_copy` finds the
    previous copy or the new one, never a part of one, and a reader with the previous copy open
    keeps reading it (its open file outlives the rename) until it reconnects. A kill before the
    rename leaves the previous copy in place and a temporary file that the next publish removes.
    """
    temporary = read_copy.with_name(read_copy.name + PUBLISHING_SUFFIX)
    temporary.unlink(missing_ok=True)
    with duckdb.connect(str(database), config=duckdb_settings()) as connection:
        connection.execute("CHECKPOINT")
    shutil.copyfile(database, temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, read_copy)
    directory = os.open(read_copy.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
    log.info("published the analysts' read copy %s", read_copy)


def drop_analytics_views(pipeline: dlt.Pipeline) -> list[str]:
    """Drop the views of `instagram_analytics` (the staging models, which read the raw tables);
    the next transforms create them again. Call it before dlt drops raw tables (a full
    refresh): a database server that tracks dependencies (PostgreSQL) refuses to drop a table
    that a view reads. Returns the views dropped."""
    with pipeline.sql_client() as client:
        casefold = client.capabilities.casefold_identifier
        views = [
            name
            for (name,) in client.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'VIEW'",
                casefold(ANALYTICS_DATASET),
            )
            or []
        ]
        escape = client.capabilities.escape_identifier
        for name in views:
            # CASCADE: some read others; one dropped with an earlier one is gone already (IF EXISTS)
            client.execute_sql(f"DROP VIEW IF EXISTS {escape(casefold(ANALYTICS_DATASET))}.{escape(name)} CASCADE")
    return views


# A DuckDB database file holds this at offset 8 (its header).
DUCKDB_MAGIC = (8, b"DUCK")
# What DuckDB says of a file that is damaged (truncated, overwritten), not held by another process.
DUCKDB_DAMAGE_MESSAGES = (
    "Could not read enough bytes",
    "not a valid DuckDB database",
    "Corrupt database file",
    "database file is corrupt",
    "Failed to read database header",
)


class DamagedDuckDBFile(InstagramConfigError):
    """The DuckDB file is not a database, or a damaged one: no wait can help (exit 2)."""


def duckdb_error_is_damage(error: BaseException) -> bool:
    """Whether `error` (or one of its causes) is DuckDB saying its file is damaged, which no
    wait cures, rather than held by another process."""
    return any(phrase in str(cause) for cause in causes_of(error) for phrase in DUCKDB_DAMAGE_MESSAGES)


def check_duckdb_file(path: Path, *, must_exist: bool = False) -> None:
    """Raise `InstagramConfigError` (`DamagedDuckDBFile` for a file that is not a database or a
    damaged one) for a path that cannot be a usable DuckDB database, at once and before any
    wait: a folder, a file without DuckDB's header, or one that DuckDB, opening it read-only,
    finds damaged (cut by a full disk or a partial copy: "Could not read enough bytes"). A file
    another process holds passes (the run waits for it). The file's size is no test: a sound
    file can be shorter than its header's block count. With `must_exist`, a missing file is an
    error too (a reader must never create the warehouse it was asked to read)."""
    if path.is_dir():
        raise InstagramConfigError(f"{path} is a folder, not a DuckDB file: point --duckdb at a file")
    if not path.exists():
        if must_exist:
            raise InstagramConfigError(f"{path} does not exist: point --duckdb at the warehouse's DuckDB file")
        return
    offset, magic = DUCKDB_MAGIC
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            found = handle.read(len(magic))
    except OSError as error:
        raise InstagramConfigError(f"cannot read {path}: {error.strerror}") from None
    if found != magic:
        raise DamagedDuckDBFile(
            f"{path} is not a DuckDB database (empty, truncated or another kind of file): move it"
            " away to extract everything again into a new file, or point --duckdb at the right one"
        )
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.Error as error:
        if duckdb_error_is_damage(error):
            raise DamagedDuckDBFile(
                f"{path} is a damaged DuckDB database ({error}); restore it from a backup or the analysts'"
                " read copy, or move it away to extract everything again"
            ) from None
        # held by another process (a lock conflict), or opened by this one: the caller waits


def destination_is_busy(error: BaseException) -> bool:
    """The destination could not be opened (a DuckDB file held by another process, a database
    that is down) when dlt synced state before extracting or loaded after it: worth retrying.
    Schema, data and configuration errors are not, nor a file that is not a database."""
    if not retry_load(("sync", "load"))(error) and not isinstance(error, PipelineStepFailed):
        return False
    if duckdb_error_is_damage(error):
        return False
    if duckdb_is_busy(error):
        return True
    return any(isinstance(cause, DestinationConnectionError) for cause in causes_of(error))


T = TypeVar("T")


def retrying_while_busy(call: Callable[[], T], load_wait: float, is_busy: Callable[[BaseException], bool]) -> T:
    """`call()`, retried while `is_busy` says its error is a busy destination, for at most
    `load_wait` seconds from when it was first found busy."""
    busy_since: float | None = None

    def waited_long_enough(_: RetryCallState) -> bool:
        nonlocal busy_since
        now = time.monotonic()
        busy_since = now if busy_since is None else busy_since
        return now - busy_since >= load_wait

    def log_retry(retry_state: RetryCallState) -> None:
        log.warning(
            "destination busy (is another process holding it?); retrying in %.1f s, for at most %.0f s in all",
            retry_state.upcoming_sleep,
            load_wait,
        )

    retrying = Retrying(
        retry=retry_if_exception(is_busy),
        stop=waited_long_enough,
        wait=wait_exponential(multiplier=0.5, max=10),
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(call)


@dataclass(frozen=True)
class Warehouse:
    """Where the pipelines load: a dlt destination by name and, for DuckDB, its file. Every
    entry point builds its pipeline with `pipeline`, and so its destination with `destination`:
    DuckDB with `duckdb_settings()`, the spilling merge and `LOAD_JOBS` jobs; PostgreSQL loading
    by INSERT; any other dlt destination by name, with dlt's defaults."""

    destination_name: str = "duckdb"
    duckdb_file: Path | None = None  # the DuckDB file (absolute), on DuckDB only

    @classmethod
    def configured(cls, destination_name: str = "duckdb", duckdb_file: str | None = None) -> Warehouse:
        """The warehouse of `destination_name`; on DuckDB, the file `duckdb_file` (a `--duckdb`
        flag), else the one in dlt's configuration (`configured_duckdb_file`)."""
        if destination_name == "duckdb":
            return cls("duckdb", configured_duckdb_file(duckdb_file))
        return cls(destination_name)

    def destination(self) -> Any:
        if self.duckdb_file is not None:
            return duckdb_destination(self.duckdb_file)
        if self.destination_name == "postgres":
            return postgres_destination()
        return self.destination_name

    def pipeline(
        self, shard: str | None = None, pipelines_dir: str | None = None, *, progress: bool = True, api: str = V1_API
    ) -> dlt.Pipeline:
        """The pipeline of `shard` (None: the unsharded `instagram`), or of the Graph API's
        source (`api`), into its raw dataset; with
        `progress`, rows and jobs per step are logged through our logging (and so through its
        secret filter). Build it before the source, so that dlt reads a shard's settings from
        its pipeline's sections."""
        try:
            return dlt.pipeline(
                pipeline_name=pipeline_name(shard, api),
                destination=self.destination(),
                dataset_name=raw_dataset(api),
                pipelines_dir=pipelines_dir,
                progress=dlt.progress.log(
                    log_period=PROGRESS_LOG_SECONDS,
                    logger=logging.getLogger("pipelines.progress"),
                    dump_system_stats=False,
                )
                if progress
                else None,
            )
        except (UnknownDestinationModule, DestinationException) as error:
            raise InstagramConfigError(f"unknown or unusable destination {self.destination_name!r}: {error}") from None

    def lock_file(self, shard: str | None = None, pipelines_dir: str | None = None, api: str = V1_API) -> Path:
        """The run lock of `shard`'s pipeline (None: the unsharded one; with `api`, the Graph
        API's, which takes turns with the others like a shard): beside the DuckDB file,
        which one writer may hold; on a database server (PostgreSQL), which takes concurrent
        writers, in dlt's pipelines folder, so that two runs on one host never share a
        pipeline's local state and load packages. Runs on several hosts against one server need
        one scheduler (docs/destinations.md)."""
        name = pipeline_name(shard, api)
        if self.duckdb_file is not None:
            if name == PIPELINE_NAME:
                return warehouse_lock(self.duckdb_file)
            return self.duckdb_file.with_suffix(f".duckdb.{name}.lock")
        return Path(pipelines_dir or get_dlt_pipelines_dir()) / f"{name}.lock"

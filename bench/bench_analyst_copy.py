"""Benchmark: what it costs per run to let analysts read while the pipeline loads.

Builds the demo warehouse with a real run (`python -m pipelines.run --demo --no-publish`, the
emulator on loopback), and a bigger one from it (every raw table doubled `--doublings` times,
the analytics tables as they are: copy costs follow the bytes). For each, against the plain run:

1. `publish_read_copy` (the chosen mechanism): checkpoint, file copy to a temporary file,
   fsync, atomic rename: seconds and bytes added per run;
2. the same copy through DuckDB (`ATTACH` + `COPY FROM DATABASE` into a new file): seconds and
   bytes (a compact copy, no free blocks);
3. DuckLake with a DuckDB catalog (`COPY FROM DATABASE` into a lake: Parquet files + catalog),
   the whole warehouse and the analytics schema alone (what each run's transforms rewrite), in
   a Python whose duckdb matches the `duckdb-extension-ducklake` package (`--ducklake-python`;
   skipped without it: the newest extension package, 1.5.5, does not load into duckdb 1.5.6);
4. whether a writer can write while an analyst holds a read-only session, for the DuckLake
   catalog (the read copy needs no such check: the writer never opens it).

    .venv/bin/python -m bench.bench_analyst_copy [--doublings 5] [--ducklake-python /tmp/dlvenv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.warehouse import DUCKDB_SETTINGS, publish_read_copy

REPO_ROOT = Path(__file__).resolve().parents[1]

# Run in the DuckLake Python: copy the warehouse (or one schema of it) into a new lake, then
# check whether a second process can write while a first holds the lake read-only.
DUCKLAKE_SCRIPT = r"""
import json, pathlib, subprocess, sys, time
import duckdb, duckdb_extension_ducklake

warehouse, lake_dir, schema = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
extension = next(pathlib.Path(duckdb_extension_ducklake.__file__).parent.rglob("*.duckdb_extension"))


def lake(read_only=False):
    con = duckdb.connect(config={"allow_unsigned_extensions": True})
    con.execute(f"LOAD '{extension}'")
    mode = ", READ_ONLY" if read_only else ""
    con.execute(f"ATTACH 'ducklake:{lake_dir}/catalog.ducklake' AS lake (DATA_PATH '{lake_dir}/data'{mode})")
    return con


started = time.monotonic()
con = lake()
con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
schemas = [schema] if schema != "all" else [s for (s,) in con.execute(
    "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = 'wh' AND schema_name LIKE 'instagram%'"
).fetchall()]
for name in schemas:
    con.execute(f"CREATE SCHEMA lake.{name}")
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh' AND table_schema = ?", [name]
    ).fetchall():
        con.execute(f'CREATE TABLE lake.{name}."{table}" AS SELECT * FROM wh.{name}."{table}"')
con.close()
seconds = time.monotonic() - started
size = sum(p.stat().st_size for p in lake_dir.rglob("*") if p.is_file())
files = sum(1 for p in lake_dir.rglob("*.parquet"))

reader = subprocess.Popen([sys.executable, "-c", sys.argv[4], str(extension), str(lake_dir)], stdout=subprocess.PIPE, text=True)
reader.stdout.readline()  # the reader has the lake open
try:
    writer = lake()
    writer.execute("CREATE TABLE lake.main.written_while_read AS SELECT 1 AS x")
    concurrent = "a writer wrote while a reader held the lake"
except duckdb.Error as error:
    concurrent = f"a writer could not open the lake while a reader held it: {str(error).splitlines()[0][:120]}"
finally:
    reader.kill()
print(json.dumps({"seconds": seconds, "bytes": size, "parquet_files": files, "concurrent": concurrent}))
"""

DUCKLAKE_READER = r"""
import sys, time, duckdb
con = duckdb.connect(config={"allow_unsigned_extensions": True})
con.execute(f"LOAD '{sys.argv[1]}'")
con.execute(f"ATTACH 'ducklake:{sys.argv[2]}/catalog.ducklake' AS lake (DATA_PATH '{sys.argv[2]}/data', READ_ONLY)")
print("open", flush=True)
time.sleep(600)
"""


def demo_run(folder: Path) -> float:
    """A demo run into `folder/instagram.duckdb`, without publishing; its wall time."""
    shutil.copytree(REPO_ROOT / ".dlt", folder / ".dlt")
    env = {**os.environ, "DLT_DATA_DIR": str(folder / "dlt"), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DESTINATION__DUCKDB__CREDENTIALS", None)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pipelines.run", "--demo", "--no-publish"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def bigger_warehouse(source: Path, target: Path, doublings: int) -> None:
    shutil.copyfile(source, target)
    with duckdb.connect(str(target), config=DUCKDB_SETTINGS) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'instagram_raw'"
        ).fetchall()
        for (table,) in tables:
            for _ in range(doublings):
                con.execute(f'INSERT INTO instagram_raw."{table}" SELECT * FROM instagram_raw."{table}"')
        con.execute("CHECKPOINT")


def timed_publish(database: Path, work: Path) -> tuple[float, int]:
    read_copy = work / "read.duckdb"
    started = time.monotonic()
    publish_read_copy(database, read_copy)
    seconds = time.monotonic() - started
    size = read_copy.stat().st_size
    read_copy.unlink()
    return seconds, size


def timed_copy_from_database(database: Path, work: Path) -> tuple[float, int]:
    copy = work / "compact.duckdb"
    started = time.monotonic()
    with duckdb.connect(config=DUCKDB_SETTINGS) as con:
        con.execute(f"ATTACH '{database}' AS source (READ_ONLY)")
        con.execute(f"ATTACH '{copy}' AS target")
        con.execute("COPY FROM DATABASE source TO target")
    seconds = time.monotonic() - started
    size = copy.stat().st_size
    copy.unlink()
    return seconds, size


def timed_ducklake(python: str, database: Path, work: Path, schema: str) -> dict:
    lake = work / f"lake_{schema}"
    lake.mkdir()
    result = subprocess.run(
        [python, "-c", DUCKLAKE_SCRIPT, str(database), str(lake), schema, DUCKLAKE_READER],
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(lake)
    return json.loads(result.stdout.strip().splitlines()[-1])


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doublings", type=int, default=5, help="the bigger warehouse: raw tables x 2^N")
    parser.add_argument("--ducklake-python", help="a Python with duckdb and duckdb-extension-ducklake of one version")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_analyst_") as temp:
        work = Path(temp)
        (work / "demo").mkdir()
        run_seconds = demo_run(work / "demo")
        demo = work / "demo" / "instagram.duckdb"
        bigger = work / "bigger.duckdb"
        bigger_warehouse(demo, bigger, args.doublings)
        print(f"plain demo run (extract, load, transforms): {run_seconds:.1f} s")
        for name, database in (("demo", demo), (f"bigger (raw x {2**args.doublings})", bigger)):
            print(f"\n{name}: {database.name} {mb(database.stat().st_size)}")
            seconds, size = timed_publish(database, work)
            print(f"  read copy, file copy + rename (chosen):  {seconds:6.2f} s  +{mb(size)}")
            seconds, size = timed_copy_from_database(database, work)
            print(f"  read copy, COPY FROM DATABASE:           {seconds:6.2f} s  +{mb(size)}")
            if not args.ducklake_python:
                print("  DuckLake: skipped (no --ducklake-python)")
                continue
            for schema in ("all", "instagram_analytics"):
                lake = timed_ducklake(args.ducklake_python, database, work, schema)
                print(
                    f"  DuckLake, {schema:<19} into the lake:  {lake['seconds']:6.2f} s  {mb(lake['bytes'])}"
                    f" in {lake['parquet_files']} Parquet files"
                )
            print(f"  DuckLake (DuckDB catalog): {lake['concurrent']}")


if __name__ == "__main__":
    main()

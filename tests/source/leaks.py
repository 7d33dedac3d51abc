"""Where a secret could hide after a run, as readable text: every file under a folder, with
the compressed forms opened (gzip load package files, parquet, dlt's compressed state), and
every row of every table of a DuckDB file (or, through a dlt pipeline's SQL client, of a
server's database: `warehouse_rows`).

Reading the bytes is not enough: DuckDB compresses strings (FSST) once a column holds a few
thousand of them, and dlt gzips its load files, so a leaked token there is invisible to a
plain byte search.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import dlt
import duckdb
import pyarrow.parquet as pq
from dlt.common.versioned_state import decompress_state

_BASE64 = re.compile(r"[A-Za-z0-9+/]{64,}={0,2}")


def readable_texts(root: Path) -> dict[str, str]:
    """Place → text for everything under `root` (a `.duckdb` file also gives `<path>#rows`)."""
    texts: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        elif path.suffix == ".parquet":
            data = repr(pq.read_table(path).to_pylist()).encode()
        text = data.decode("latin-1")
        texts[str(path)] = text + _decoded_states(text)
        if path.suffix == ".duckdb":
            rows = database_rows(path)
            texts[f"{path}#rows"] = rows + _decoded_states(rows)
    return texts


def database_rows(database: Path) -> str:
    """Every row of every table in the DuckDB file, as text."""
    out = []
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        for schema, table in tables:
            out.append(repr(connection.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()))
    return "\n".join(out)


def warehouse_rows(pipeline: dlt.Pipeline) -> str:
    """Every row of every table in every schema of the pipeline's warehouse (the system
    catalogs of a PostgreSQL server left out), as text, with compressed states decoded."""
    out = []
    with pipeline.sql_client() as client:
        tables = client.execute_sql(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('information_schema', 'pg_catalog')"
        )
        for schema, table in tables:
            out.append(repr(client.execute_sql(f'SELECT * FROM "{schema}"."{table}"')))
    rows = "\n".join(out)
    return rows + _decoded_states(rows)


def places_holding(value: str, texts: dict[str, str]) -> list[str]:
    """The places whose text holds `value` (as is or URL-quoted)."""
    forms = {value, value.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D")}
    return [place for place, text in texts.items() if any(form in text for form in forms)]


def _decoded_states(text: str) -> str:
    """dlt's compressed pipeline states (base64 of zlib JSON) found in `text`, decoded."""
    decoded = []
    for blob in _BASE64.findall(text):
        try:
            decoded.append(repr(decompress_state(blob)))
        except Exception:  # noqa: BLE001 - not a state: base64 text of something else
            continue
    return "\n".join(decoded)

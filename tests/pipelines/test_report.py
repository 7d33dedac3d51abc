"""The HTML report (`python -m pipelines.report`, `pipelines.run --report`): what it says about
empty and partial warehouses, and that the figures it shows are the analytics tables' own, for a
demo warehouse extracted from the emulator. The real-browser checks are in tests/report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from pipelines import report
from pipelines.run import EXIT_CONFIG_ERROR
from tests.pipelines.conftest import REPO_ROOT, pipeline_env, run_cli, source_settings
from tests.transforms.conftest import Warehouse, at

EXTERNAL_REFERENCE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=", re.IGNORECASE)


class Tables(HTMLParser):
    """The report's tables by id: rows of {column: (raw value, text)}, from each cell's
    `data-column` and `data-value`."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, str]]] = {}
        self.current: str | None = None
        self.column: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self.current = attributes["id"]
            self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append({})
        elif tag == "td":
            self.column = attributes["data-column"]
            self.tables[self.current][-1][self.column] = (attributes["data-value"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif tag == "td":
            self.column = None

    def handle_data(self, data: str) -> None:
        if self.column:
            value, text = self.tables[self.current][-1][self.column]
            self.tables[self.current][-1][self.column] = (value, text + data)


def tables_of(document: str) -> dict[str, list[dict[str, str]]]:
    parser = Tables()
    parser.feed(document)
    # the header row has no cells
    return {name: [row for row in rows if row] for name, rows in parser.tables.items()}


def figure_of(document: str, div_id: str) -> dict:
    """The Plotly figure the page draws into `div_id`."""
    match = re.search(f'<script type="application/json" data-figure="{div_id}">(.*?)</script>', document)
    assert match, f"no figure drawn into {div_id}"
    return json.loads(match.group(1))


def report_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.report", *args],
        cwd=cwd,
        env={**pipeline_env(cwd), "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_self_contained(document: str) -> None:
    assert not EXTERNAL_REFERENCE.search(document), "the report references a file or URL outside itself"
    assert "Traceback" not in document


def test_a_missing_or_foreign_file_is_a_clear_error(tmp_path):
    missing = report_cli("--duckdb", str(tmp_path / "nowhere.duckdb"), cwd=tmp_path)
    assert missing.returncode == report.EXIT_BAD_INPUT
    assert "nowhere.duckdb is not a file" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "notes.duckdb").write_text("not a database")
    foreign = report_cli("--duckdb", str(tmp_path / "notes.duckdb"), cwd=tmp_path)
    assert foreign.returncode == report.EXIT_BAD_INPUT
    assert "is not a DuckDB database" in foreign.stderr and "Traceback" not in foreign.stderr
    assert not list(tmp_path.glob("*.html"))


def test_a_warehouse_without_analytics_says_so_in_every_section(tmp_path):
    database = tmp_path / "raw_only.duckdb"
    duckdb.connect(str(database)).close()
    result = report_cli("--duckdb", str(database), cwd=tmp_path)
    assert result.returncode == report.EXIT_WRITTEN, result.stderr
    document = (tmp_path / "raw_only_report.html").read_text()
    assert_self_contained(document)
    sections = document.split("<section ")[1:]
    assert len(sections) == 5  # accounts, network, samples, competitors, freshness
    for section in sections:
        assert "no instagram_analytics dataset" in section
    assert 'data-figure="' not in document, "a chart drawn without data"


def test_a_graph_without_media_or_likes_explains_each_missing_part(tmp_path, monkeypatch):
    warehouse = Warehouse(tmp_path / "instagram.duckdb", pipelines_dir=tmp_path / "dlt")
    edges = [("a", "b"), ("b", "a"), ("c", "a"), ("d", "a"), ("a", "c"), ("e", "d")]
    warehouse.write_follow_edges(edges, at(0), lists=("follows", "followed_by"))
    warehouse.transform()
    monkeypatch.setattr(report, "GRAPH_SAMPLE_NODES", 3)
    document = report.write_report(warehouse.path).read_text()
    assert_self_contained(document)
    top = warehouse.query(
        "SELECT user_id FROM instagram_analytics.user_graph_metrics ORDER BY pagerank DESC, user_id LIMIT 3"
    )
    nodes = figure_of(document, "graph")["data"][1]
    assert [text.split(" (id ")[1].split(")")[0] for text in nodes["text"]] == [user for (user,) in top]
    assert "a sample: the 3 users of highest PageRank (of 5)" in document
    assert "instagram_analytics.media_engagement is empty: no media was read yet" in document
    assert "no user has follower counts observed 7 days apart yet" in document
    assert "every edge seen so far was there at the first read of its lists" in document
    # one state is shown as figures, not as charts of one point
    assert "the only state observed so far" in document and 'data-figure="graph-summary-chart"' not in document
    assert 'data-figure="nodes" data-value="5"' in document and 'data-figure="edges" data-value="6"' in document
    assert "the source has no configured account in its refresh schedule yet" in document
    assert "build the report with `python -m pipelines.run --report`" in document


def test_the_demo_report_shows_the_tables_figures(demo):
    """`pipelines.run --demo` writes the report beside the warehouse; its figures are the tables'."""
    database = demo / "instagram.duckdb"
    path = report.report_path_for(database)
    assert f"Report: {path}" in (demo / "stdout.txt").read_text()
    document = path.read_text()
    assert_self_contained(document)
    shown = tables_of(document)
    with duckdb.connect(str(database), read_only=True) as con:

        def rows(sql: str, *params: str) -> list[tuple]:
            return con.execute(sql.replace("{a}", "instagram_analytics"), list(params)).fetchall()

        def column(table: str, name: str) -> list[str]:
            return [row[name][0] for row in shown[table]]

        top = rows(
            f"SELECT user_id FROM {{a}}.user_graph_metrics ORDER BY pagerank DESC, user_id LIMIT {report.TOP_ROWS}"
        )
        assert column("top-pagerank", "user") == [user for (user,) in top]
        assert column("top-pagerank", "rank") == [str(rank) for rank in range(1, len(top) + 1)]
        nodes, edges = rows("SELECT nodes, edges FROM {a}.graph_summary ORDER BY as_of DESC LIMIT 1")[0]
        assert f"Showing all {nodes:,} users and {edges:,} current follow edges" in document
        graph = figure_of(document, "graph")["data"]
        assert len(graph[1]["x"]) == nodes and len(graph[0]["x"]) == 3 * edges
        # the most engaged media of the sample: one per author
        media = rows(
            "SELECT media_id FROM (SELECT *, row_number() OVER (PARTITION BY owner_id ORDER BY engagement DESC,"
            " media_id) AS nth FROM {a}.media_engagement) WHERE nth = 1"
            f" ORDER BY engagement DESC, media_id LIMIT {report.TOP_ROWS}"
        )
        assert column("top-media", "media") == [media_id for (media_id,) in media]
        # tags with enough media, each with its companion of highest lift
        tags = rows(
            f"SELECT tag, media FROM {{a}}.tag_engagement WHERE media >= {report.MIN_RANKED}"
            f" ORDER BY total_engagement / media DESC, media DESC, tag LIMIT {report.TOP_ROWS}"
        )
        assert [(row["tag"][0], int(row["media"][0])) for row in shown["tags"]] == tags
        for row in shown["tags"]:
            best = rows(
                f"SELECT lift FROM {{a}}.tag_cooccurrence WHERE tag = ? AND media_together >= {report.MIN_TOGETHER}"
                " ORDER BY lift DESC LIMIT 1",
                row["tag"][0],
            )
            assert row["lift"][0] == (str(best[0][0]) if best else "")
        # each configured account: its posts per month add up to its media, its ghosts are counted
        accounts = rows("SELECT user_id FROM {a}.accounts ORDER BY account_order")
        assert accounts
        for (user,) in accounts:
            posts, ghosts = rows(
                "SELECT (SELECT count(*) FROM {a}.media_engagement WHERE owner_id = $1 AND created_at IS NOT NULL),"
                " (SELECT count(*) FROM {a}.ghost_followers WHERE owner_id = $1)",
                user,
            )[0]
            if posts:
                assert sum(figure_of(document, f"account-{user}-posts")["data"][1]["y"]) == posts
            assert len(shown.get(f"account-{user}-ghosts", [])) == min(ghosts, report.TOP_ROWS)
        newest_edge = rows("SELECT max(last_confirmed_at) FROM {a}.follow_edges")[0][0]
    freshness = {row["part"][1]: row["last_observed"][1] for row in shown["freshness"]}
    assert freshness["follow graph: newest confirmation of an edge"] == report.formatted(newest_edge, "time")
    # the run said what was outstanding: the demo finishes its work, so nothing is
    assert "Nothing was due and waiting for budget" in document


@pytest.mark.parametrize(
    "flags, message",
    [
        (("--destination", "postgres"), "--report reads a DuckDB warehouse"),
        (("--no-transforms",), "which --no-transforms does not build"),
    ],
)
def test_a_report_that_cannot_be_written_is_refused_before_any_work(tmp_path, emulator, flags, message):
    """Asking for the report where it cannot be written fails at start-up, not after the load."""
    env = pipeline_env(tmp_path, **source_settings(emulator))
    result = run_cli(tmp_path, env, "--report", *flags)
    assert result.returncode == EXIT_CONFIG_ERROR, result.stderr[-3000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert emulator.stats.total == 0

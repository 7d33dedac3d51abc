"""The report over a warehouse the Graph API source alone fed: the account's article carries
the Graph API's blocks, labelled, with the figures of the marts in DuckDB; the sections of v1's
data say they are v1's."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from emulator import Emulator
from pipelines import report
from tests.pipelines.test_report import assert_self_contained, figure_of, tables_of
from transforms import ANALYTICS_DATASET, run_transforms

from .conftest import GraphLoader, Truth


@pytest.fixture(scope="module")
def document(graph_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    model = graph_emulator.graph.model
    rival = next(
        i for i in range(1, 300) if model.is_professional(i) and i != model.owner and len(model.media_of(i)) > 1
    )
    loader = GraphLoader(tmp_path_factory.mktemp("graph_report"))
    run_transforms(loader.run(graph_emulator, competitors=[model.user(rival)["username"]]))
    return report.write_report(loader.database).read_text(), loader.database


def marts(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"USE {ANALYTICS_DATASET}")
        return con.execute(sql).fetchall()


def test_the_accounts_article_shows_the_graph_apis_figures(
    document: tuple[str, Path], graph_emulator: Emulator
) -> None:
    html, database = document
    assert_self_contained(html)
    account = Truth(graph_emulator).account_id
    anchor = f"account-{account}"
    tables = tables_of(html)
    reach = [(row["media"][0], int(row["reach"][0])) for row in tables[f"{anchor}-reach-posts"]]
    expected = marts(
        database,
        f"SELECT media_id, reach FROM media_insights WHERE owner_id = '{account}' AND reach IS NOT NULL"
        f" AND format <> 'story' ORDER BY reach DESC, media_id LIMIT {report.TOP_ROWS}",
    )
    assert reach == expected and reach
    formats = {row["format"][0]: int(row["posts"][0]) for row in tables[f"{anchor}-formats"]}
    assert formats == dict(marts(database, f"SELECT format, posts FROM format_mix WHERE owner_id = '{account}'"))
    shares = [row["share_of_posts"] for row in tables[f"{anchor}-formats"]]
    assert all(text.endswith("%") for _, text in shares)  # percentages, as a reader reads them
    # the account has fewer than the 100 followers the API's audience needs: the report says so
    assert f"{anchor}-audience" not in tables and "100 followers or more" in html
    days = figure_of(html, f"{anchor}-reach")["data"][0]["y"]
    assert days == [
        r
        for (r,) in marts(
            database, f"SELECT reach FROM account_insights_daily WHERE user_id = '{account}' ORDER BY day"
        )
    ]


def test_each_section_names_the_api_its_data_came_from(document: tuple[str, Path]) -> None:
    html, _ = document
    labels = dict(re.findall(r"<section id='(\w+)'><h2>[^<]*<span class='badge source'>([^<]*)</span>", html))
    assert labels == {
        "accounts": "Graph API",
        "network": "v1 API",
        "samples": "v1 API",
        "competitors": "Graph API",
        "freshness": "Graph API",
    }
    competitors = tables_of(html)["competitors"]
    assert [row["username"][0] for row in competitors if row["is_own_account"][0] == "False"]

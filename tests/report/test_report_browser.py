"""The demo's report in a real headless Chromium (Debian's package, from file://): no console
error, no request outside the file, the graph and every chart drawn (non-blank), hovering a
node names its user, and the figures on the page are the tables'. `scripts/test-report` runs
it in .venv-report; without playwright (the main .venv) it skips."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytest.importorskip("playwright", reason="needs the report-test extra: scripts/test-report")

from pipelines import report  # noqa: E402
from tests.pipelines.conftest import pipeline_env, run_cli  # noqa: E402
from tests.report.browser import distinct_colours, open_report  # noqa: E402


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's warehouse (`pipelines.run --demo` writes the report beside it)."""
    folder = tmp_path_factory.mktemp("demo")
    env = pipeline_env(folder)
    result = run_cli(folder, env, "--demo", "--demo-users", "300")
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(env["DESTINATION__DUCKDB__CREDENTIALS"])


def test_the_report_renders_offline_and_shows_the_tables(demo):
    with open_report(report.report_path_for(demo), height=1000) as opened:
        page = opened.page
        charts = page.eval_on_selector_all("script[data-figure]", "elements => elements.map(e => e.dataset.figure)")
        assert {"graph", "graph-summary-chart", "rate-chart", "cadence-chart", "heatmap-chart"} <= set(charts)
        for chart in charts:
            element = page.locator(f"#{chart}")
            element.scroll_into_view_if_needed()
            # a drawn chart has axes, labels and marks: many colours; a blank one has one or two
            assert distinct_colours(element.screenshot()) > 20, f"{chart} looks blank"
        # the WebGL canvas of the graph holds the marks
        assert page.locator("#graph canvas").count() >= 1
        # hovering the node of highest PageRank names it
        page.locator("#graph").scroll_into_view_if_needed()
        x, y = page.evaluate(
            "() => { const gd = document.getElementById('graph'), box = gd.getBoundingClientRect();"
            " const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;"
            " return [box.left + xa._offset + xa.l2p(gd.data[1].x[0]), box.top + ya._offset + ya.l2p(gd.data[1].y[0])]; }"
        )
        page.mouse.move(x, y)
        hover = page.locator("#graph .hovertext").text_content()
        shown_top = page.locator("#top-pagerank tbody tr").first.locator("td[data-column=user_id]").inner_text()
        nodes_shown = page.evaluate("document.getElementById('graph').data[1].x.length")
        cells = page.eval_on_selector_all(
            "#top-pagerank tbody tr",
            "rows => rows.map(r => [r.querySelector('[data-column=user_id]').textContent,"
            " Number(r.querySelector('[data-column=pagerank]').textContent)])",
        )
        summary = page.eval_on_selector_all(
            "#graph-summary tbody td", "cells => Object.fromEntries(cells.map(c => [c.dataset.column, c.textContent]))"
        )
    assert opened.console_errors == []
    assert opened.outside_requests == []
    with duckdb.connect(str(demo), read_only=True) as con:
        top = con.execute(
            "SELECT user_id, pagerank FROM instagram_analytics.user_graph_metrics"
            f" ORDER BY pagerank DESC, user_id LIMIT {report.TOP_ROWS}"
        ).fetchall()
        nodes, edges = con.execute(
            "SELECT nodes, edges FROM instagram_analytics.graph_summary ORDER BY as_of DESC LIMIT 1"
        ).fetchone()
    assert f"(id {top[0][0]})" in hover and shown_top == top[0][0]
    assert [(user, pytest.approx(rank, rel=1e-5)) for user, rank in top] == [tuple(c) for c in cells]
    assert nodes_shown == nodes
    assert (int(summary["nodes"]), int(summary["edges"])) == (nodes, edges)

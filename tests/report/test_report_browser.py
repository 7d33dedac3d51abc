"""The demo's report in a real headless Chromium (Debian's package, from file://), checked as a
reader sees it: no console error, no request outside the file, every chart drawn (non-blank)
on a value axis that starts at zero, the configured accounts first (the world's token user
leading), people by handle in every table of people, percentages as percentages, and every
figure equal to DuckDB's. `scripts/test-report` runs it in .venv-report; without playwright
(the main .venv) it skips."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("playwright", reason="needs the report-test extra: scripts/test-report")

from emulator import World, WorldConfig  # noqa: E402
from pipelines import report  # noqa: E402
from tests.pipelines.conftest import pipeline_env, run_cli  # noqa: E402
from tests.report.browser import distinct_colours, open_report  # noqa: E402

DEMO_USERS = 300
DEMO_SEED = 42
PERCENT = re.compile(r"^\d+\.\d{1,2}%$")
# every table's cells: [table id, column, kind, value, text] (the kind from its column's header)
CELLS = """() => Array.from(document.querySelectorAll('table')).flatMap(t => {
  const kinds = Array.from(t.querySelectorAll('thead th')).map(th => th.dataset.kind);
  return Array.from(t.querySelectorAll('tbody tr')).flatMap(tr => Array.from(tr.querySelectorAll('td')).map(
    (td, i) => [t.id, td.dataset.column, kinds[i], td.dataset.value, td.textContent.trim()]));
})"""
# every drawn chart's linear value axes: [chart id, axis name, range start, range end]
AXES = """() => Array.from(document.querySelectorAll('script[data-figure]')).flatMap(s => {
  const layout = document.getElementById(s.dataset.figure)._fullLayout;
  return Object.keys(layout).filter(k => /^yaxis\\d*$/.test(k) && layout[k].visible && layout[k].type !== 'category')
    .map(k => [s.dataset.figure, k, layout[k].range[0], layout[k].range[1]]);
})"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's warehouse (`pipelines.run --demo` writes the report beside it)."""
    folder = tmp_path_factory.mktemp("demo")
    env = pipeline_env(folder)
    result = run_cli(folder, env, "--demo", "--demo-users", str(DEMO_USERS), "--seed", str(DEMO_SEED))
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(env["DESTINATION__DUCKDB__CREDENTIALS"])


def test_the_report_renders_offline_and_shows_the_tables(demo):
    with open_report(report.report_path_for(demo), height=1000) as opened:
        page = opened.page
        charts = page.eval_on_selector_all("script[data-figure]", "elements => elements.map(e => e.dataset.figure)")
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
        nodes_shown = page.evaluate("document.getElementById('graph').data[1].x.length")
        sections = page.eval_on_selector_all("body > section", "sections => sections.map(s => s.id)")
        articles = page.eval_on_selector_all("#accounts article", "articles => articles.map(a => a.dataset.user)")
        # the headline figures each account shows for the default period, and for 7 days once chosen
        shown_figures = page.eval_on_selector_all(
            "#accounts article .period:not(.hidden) [data-figure]",
            "elements => elements.map(e => [e.closest('article').dataset.user, e.dataset.figure, e.dataset.value,"
            " e.textContent.trim()])",
        )
        page.locator("input[name=period][value='7']").check()
        periods_shown = page.eval_on_selector_all(
            "#accounts article .period:not(.hidden)", "sets => sets.map(s => s.dataset.period)"
        )
        graph_figures = page.eval_on_selector_all(
            ".graph-figures [data-figure]", "elements => elements.map(e => [e.dataset.figure, e.textContent.trim()])"
        )
        cells = page.evaluate(CELLS)
        axes = page.evaluate(AXES)
        with page.expect_download() as download:
            page.locator("button.csv[data-table='top-pagerank']").click()
        csv_lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert opened.console_errors == []
    assert opened.outside_requests == []

    with duckdb.connect(str(demo), read_only=True) as con:

        def rows(sql: str) -> list[tuple]:
            return con.execute(sql.replace("{a}", "instagram_analytics")).fetchall()

        accounts = rows("SELECT user_id, is_token_user, not_following_back FROM {a}.accounts ORDER BY account_order")
        periods = {
            (user, days): (followers, change, posts, rate, best)
            for user, days, followers, change, posts, rate, best in rows(
                "SELECT user_id, period_days, followers, follower_change, posts,"
                " mean_engagement_rate_by_followers, best_media_id FROM {a}.account_periods"
            )
        }
        handles = dict(rows("SELECT user_id, username FROM {a}.user_profiles"))
        top = rows(
            f"SELECT user_id FROM {{a}}.user_graph_metrics ORDER BY pagerank DESC, user_id LIMIT {report.TOP_ROWS}"
        )
        nodes, edges, reciprocity, states = rows(
            "SELECT nodes, edges, reciprocity, count(*) OVER () FROM {a}.graph_summary ORDER BY as_of DESC LIMIT 1"
        )[0]
        captions = dict(rows("SELECT media_id, caption FROM {a}.media_engagement"))

    # the accounts come first, the world's token user leading; one article each, in order
    world = World(WorldConfig(seed=DEMO_SEED, users=DEMO_USERS))
    assert sections[0] == "accounts"
    assert accounts[0][:2] == (str(world.default_user_id), True)
    assert articles == [user for user, *_ in accounts] and len(articles) > 1
    # headline figures: DuckDB's, for the default period; the period control switches every set
    assert periods_shown == ["7"] * len(accounts)
    figures = {(user, key): (value, text) for user, key, value, text in shown_figures}
    for user, *_ in accounts:
        followers, change, posts, rate, best = periods[(user, report.DEFAULT_PERIOD)]
        assert figures[(user, "followers")] == (str(followers), f"{followers:,}")
        assert figures[(user, "posts")] == (str(posts), f"{posts:,}")
        assert figures[(user, "follower_change")][0] == str(change)
        value, text = figures[(user, "engagement_rate")]
        assert (value, text) == ((str(rate), report.formatted(rate, "percent")) if rate is not None else ("", "—"))
        assert figures[(user, "best_media_id")][0] == (best or "")
    # people by handle, linked, in every table of people; each the handle of the id behind it
    people = [cell for cell in cells if cell[2] == "user"]
    assert {cell[0] for cell in people} >= {"top-pagerank", f"account-{accounts[0][0]}-fans"}
    for table_id, column, _, user_id, text in people:
        assert text == f"@{handles[user_id]}", (table_id, column, user_id, text)
    assert [cell[3] for cell in people if cell[0] == "top-pagerank"] == [user for (user,) in top]
    # percentages as percentages, each DuckDB's rate
    percents = [cell for cell in cells if cell[2] == "percent" and cell[3]]
    assert percents
    for table_id, column, _, value, text in percents:
        assert PERCENT.match(text), (table_id, column, text)
        assert text == report.formatted(float(value), "percent")
    # media as a tile and its caption
    media = [cell for cell in cells if cell[2] == "media"]
    assert media and all(
        media_id in captions and (captions[media_id] or "(no caption)") in text for *_, media_id, text in media
    )
    # who does not follow back: each account's count, by handle
    for user, _, count in accounts:
        listed = [c for c in cells if c[0] == f"account-{user}-not-back" and c[2] == "user"]
        assert len(listed) == min(count or 0, report.TOP_ROWS)
        assert all(text == f"@{handles[value]}" for _, _, _, value, text in listed)
    # the graph's figures (one state in the demo: figures, not a chart) and its drawn sample
    assert states == 1 and "graph-summary-chart" not in charts
    shown_graph = dict(graph_figures)
    assert shown_graph["nodes"] == f"{nodes:,}" and shown_graph["edges"] == f"{edges:,}"
    assert shown_graph["reciprocity"] == report.formatted(reciprocity, "percent")
    assert nodes_shown == nodes
    assert f"@{handles[top[0][0]]} (id {top[0][0]})" in hover
    # every value axis starts at zero: no chart zooms into a small change
    assert axes and all(start <= 0 < end for _, _, start, end in axes), axes
    # the CSV export: the table as shown, with the ids of its people
    assert csv_lines[0] == '"rank","account","account id","followers in the graph","community"'
    assert csv_lines[1].startswith(f'"1","@{handles[top[0][0]]}","{top[0][0]}",')
    assert len(csv_lines) == 1 + len(top)

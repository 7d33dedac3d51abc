"""`python -m pipelines.report`: one self-contained HTML report of the warehouse for analysts.

It reads `instagram_analytics` only (read-only, so it never waits for or blocks a writer beyond
its own read) and writes one HTML file that opens offline: Plotly's JavaScript and the page's
style are inlined, nothing is fetched. Sections: the network (a WebGL picture of the follow
graph and its summary over time), who matters and who changed, engagement, and freshness. A
table that is empty or missing gives a note saying what is missing and why, never an empty chart.

The network view draws at most `GRAPH_SAMPLE_NODES` users: the top by PageRank, and the current
edges among them, at most `GRAPH_SAMPLE_EDGES` (those between the highest-ranked pairs). Both are
chosen in SQL, so a 100,000-user warehouse renders as fast as a small one. Positions are computed
here, not in the browser: each community gets a disc sized by its sampled members, discs laid out
on a sunflower spiral (largest first), members on a spiral inside their disc by PageRank (highest
at the centre). It shows communities and who leads them, not the edges' geometry.

Exit codes, as `python -m pipelines.run` (README.md): 0 written; 1 the DuckDB file is held by
another process (retry after the run) or could not be read; 2 bad input (no such file: it never
creates the warehouse it was asked to read; a folder, not a DuckDB database or a damaged one, an
output that cannot be written); 130 / 143 interrupted by SIGINT / SIGTERM (no report written). It
never exits 3, 4, 5 or 6: it reads no API.
"""

from __future__ import annotations

import argparse
import html
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import plotly.io
import plotly.offline
from plotly.subplots import make_subplots

from pipelines.signals import StopSignals
from pipelines.warehouse import (
    ANALYTICS_DATASET,
    DEFAULT_DUCKDB_FILE,
    check_duckdb_file,
    duckdb_error_is_damage,
    duckdb_settings,
)
from sources.instagram import InstagramConfigError, ScheduleStatus, duckdb_is_busy

EXIT_WRITTEN = 0
EXIT_DATABASE_BUSY = 1
EXIT_BAD_INPUT = 2

REPORT_SUFFIX = "_report.html"
GRAPH_SAMPLE_NODES = 2000
GRAPH_SAMPLE_EDGES = 20000
TOP_ROWS = 15
# Plotly's default qualitative palette cycles; communities beyond it reuse colours.
PALETTE = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880", "#ff97ff", "#fecb52")
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_TRANSFORMS = (
    "the warehouse has no instagram_analytics dataset: the transforms have not run on it yet"
    " (python -m pipelines.run builds it after each load, python -m transforms on its own)"
)


class ReportInputError(Exception):
    """The DuckDB file cannot be read as a warehouse."""


def report_path_for(database: Path) -> Path:
    """The report's default place: beside the DuckDB file, `<stem>_report.html`."""
    return database.with_name(database.stem + REPORT_SUFFIX)


class Warehouse:
    """Read-only queries on the analytics dataset of one DuckDB file."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [ANALYTICS_DATASET]
            ).fetchall()
        }

    def has(self, table: str) -> bool:
        return table in self.tables

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql.replace("{a}", ANALYTICS_DATASET), list(params))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def value(self, sql: str, *params: Any) -> Any:
        return self.con.execute(sql.replace("{a}", ANALYTICS_DATASET), list(params)).fetchone()[0]

    def count(self, table: str) -> int:
        return self.value(f"SELECT count(*) FROM {{a}}.{table}") if self.has(table) else 0

    def missing(self, table: str, why_empty: str) -> str | None:
        """Why `table` has nothing to show (None when it has rows)."""
        if not self.tables:
            return NO_TRANSFORMS
        if not self.has(table):
            return f"instagram_analytics.{table} does not exist: the transforms that build it have not run"
        if not self.count(table):
            return f"instagram_analytics.{table} is empty: {why_empty}"
        return None


@dataclass
class Page:
    """The report as it is built: sections of HTML, and Plotly figures to draw into them."""

    sections: list[str] = field(default_factory=list)
    figures: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def figure(self, div_id: str, figure: Any) -> str:
        self.figures.append((div_id, figure.to_plotly_json()))
        return f'<div class="chart" id="{div_id}"></div>'


def note(text: str) -> str:
    return f'<p class="missing">Nothing to show: {html.escape(text)}.</p>'


def cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return str(value)


def table(table_id: str, rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """An HTML table; each cell names its column in `data-column` (the tests read figures back)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td data-column="{c}">{html.escape(cell(row[c]))}</td>' for c in columns) + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def block(title: str, body: str) -> str:
    return f"<div class='block'><h3>{html.escape(title)}</h3>{body}</div>"


def leaderboard(
    wh: Warehouse, title: str, table_id: str, source: str, why_empty: str, sql: str, why_no_rows: str = ""
) -> str:
    """A block with the top `TOP_ROWS` rows of `sql` (reading `source`), or why `source` has
    none, or `why_no_rows` when `source` has rows but `sql` selects none of them."""
    why = wh.missing(source, why_empty)
    if why:
        return block(title, note(why))
    rows = wh.rows(sql, TOP_ROWS)
    return block(title, table(table_id, rows, tuple(rows[0])) if rows else note(why_no_rows))


def community_layout(nodes: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Positions of `nodes` (ordered by PageRank, highest first): see the module's docstring."""
    members: dict[Any, list[int]] = {}
    for index, node in enumerate(nodes):
        members.setdefault(node["community_id"], []).append(index)
    positions: list[tuple[float, float]] = [(0.0, 0.0)] * len(nodes)
    placed_area = 0.0
    for order, indices in enumerate(sorted(members.values(), key=len, reverse=True)):
        radius = math.sqrt(len(indices))
        # the disc's centre on a spiral whose area grows with the discs placed so far
        distance = 0.0 if order == 0 else math.sqrt(placed_area) * 1.6 + radius
        angle = order * GOLDEN_ANGLE
        cx, cy = distance * math.cos(angle), distance * math.sin(angle)
        placed_area += len(indices)
        for rank, index in enumerate(indices):
            r = math.sqrt(rank + 0.5)
            positions[index] = (cx + r * math.cos(rank * GOLDEN_ANGLE), cy + r * math.sin(rank * GOLDEN_ANGLE))
    return positions


def network_section(wh: Warehouse, page: Page) -> str:
    parts = []
    why = wh.missing("user_graph_metrics", "no follow list was read yet (the crawl has not started or found nobody)")
    if why:
        parts.append(block("The follow graph", note(why)))
    else:
        total = wh.count("user_graph_metrics")
        nodes = wh.rows(
            "SELECT user_id, username, pagerank, community_id, followers, following FROM {a}.user_graph_metrics"
            " ORDER BY pagerank DESC, user_id LIMIT ?",
            GRAPH_SAMPLE_NODES,
        )
        edges = wh.rows(
            "WITH sample AS (SELECT user_id, pagerank FROM {a}.user_graph_metrics ORDER BY pagerank DESC, user_id"
            " LIMIT ?) SELECT e.follower_id, e.followed_id FROM {a}.follow_edges AS e"
            " JOIN sample AS f ON f.user_id = e.follower_id JOIN sample AS t ON t.user_id = e.followed_id"
            " ORDER BY f.pagerank + t.pagerank DESC, e.follower_id, e.followed_id LIMIT ?",
            GRAPH_SAMPLE_NODES,
            GRAPH_SAMPLE_EDGES,
        )
        positions = community_layout(nodes)
        where = {node["user_id"]: position for node, position in zip(nodes, positions)}
        edge_x: list[float | None] = []
        edge_y: list[float | None] = []
        for edge in edges:
            (x0, y0), (x1, y1) = where[edge["follower_id"]], where[edge["followed_id"]]
            edge_x += [x0, x1, None]
            edge_y += [y0, y1, None]
        top = max(node["pagerank"] for node in nodes) or 1.0
        colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(dict.fromkeys(n["community_id"] for n in nodes))}
        figure = go.Figure(
            [
                go.Scattergl(
                    x=edge_x,
                    y=edge_y,
                    mode="lines",
                    line={"width": 0.5, "color": "rgba(120,120,120,0.35)"},
                    hoverinfo="skip",
                ),
                go.Scattergl(
                    x=[p[0] for p in positions],
                    y=[p[1] for p in positions],
                    mode="markers",
                    marker={
                        "size": [4 + 20 * math.sqrt(n["pagerank"] / top) for n in nodes],
                        "color": [colours[n["community_id"]] for n in nodes],
                        "line": {"width": 0},
                    },
                    text=[
                        f"{n['username'] or n['user_id']} (id {n['user_id']})<br>PageRank {n['pagerank']:.5f}"
                        f"<br>community {n['community_id']}<br>{n['followers']} followers, {n['following']} following"
                        for n in nodes
                    ],
                    hoverinfo="text",
                ),
            ]
        )
        figure.update_layout(
            showlegend=False,
            height=640,
            margin={"l": 0, "r": 0, "t": 0, "b": 0},
            xaxis={"visible": False},
            yaxis={"visible": False, "scaleanchor": "x"},
            plot_bgcolor="white",
        )
        sampled = (
            f"all {total:,} users and {len(edges):,} current follow edges"
            if total <= GRAPH_SAMPLE_NODES and len(edges) < GRAPH_SAMPLE_EDGES
            else f"a sample: the {len(nodes):,} users of highest PageRank (of {total:,}) and {len(edges):,} of the"
            f" follow edges among them (at most {GRAPH_SAMPLE_EDGES:,}, between the highest-ranked pairs)"
        )
        parts.append(
            block(
                "The follow graph",
                f'<p id="graph-sample">Showing {sampled}. Colour: community; size: PageRank; hover for the user.'
                " Communities are grouped in discs, the highest PageRank at each disc's centre.</p>"
                + page.figure("graph", figure),
            )
        )
    why = wh.missing("graph_summary", "no follow list was read yet")
    if why:
        parts.append(block("The graph over time", note(why)))
    else:
        rows = wh.rows("SELECT * FROM {a}.graph_summary ORDER BY as_of")
        when = [row["as_of"] for row in rows]
        figure = make_subplots(
            rows=3, cols=1, shared_xaxes=True, subplot_titles=("components", "reciprocity", "modularity")
        )
        for index, measure in enumerate(("components", "reciprocity", "modularity"), start=1):
            figure.add_trace(
                go.Scatter(x=when, y=[row[measure] for row in rows], mode="lines+markers", name=measure), index, 1
            )
        figure.update_layout(height=640, showlegend=False, margin={"t": 30})
        if len(rows) == 1:  # Plotly would stretch one instant into an axis of milliseconds
            figure.update_xaxes(type="date", range=[when[0] - timedelta(days=1), when[0] + timedelta(days=1)])
        single = "<p>One observed graph state so far: the lines grow with later runs.</p>" if len(rows) == 1 else ""
        latest = rows[-1]
        summary = table(
            "graph-summary", [latest], ("as_of", "nodes", "edges", "components", "reciprocity", "modularity")
        )
        parts.append(block("The graph over time", single + summary + page.figure("graph-summary-chart", figure)))
    return "<div class='pair'>" + "".join(parts) + "</div>"


def who_section(wh: Warehouse) -> str:
    parts = [
        leaderboard(
            wh,
            "Top users by PageRank",
            "top-pagerank",
            "user_graph_metrics",
            "no follow list was read yet",
            "SELECT user_id, username, pagerank, followers, community_id FROM {a}.user_graph_metrics"
            " ORDER BY pagerank DESC, user_id LIMIT ?",
        )
    ]
    for days in (7, 30):
        column = f"follower_growth_{days}d"
        parts.append(
            leaderboard(
                wh,
                f"Follower growth over {days} days",
                f"growth-{days}d",
                "user_graph_metrics",
                "no follow list was read yet",
                f"SELECT user_id, username, followers_reported, {column} FROM {{a}}.user_graph_metrics"
                f" WHERE {column} IS NOT NULL ORDER BY {column} DESC, user_id LIMIT ?",
                f"no user has follower counts observed {days} days apart yet (growth needs two snapshots)",
            )
        )
    parts.append(
        leaderboard(
            wh,
            "Recent follows and unfollows",
            "follow-events",
            "follow_events",
            "no follow list was read yet",
            "SELECT observed_at, event_type, follower_id, followed_id FROM {a}.follow_events"
            " WHERE event_type <> 'initial' ORDER BY observed_at DESC, follower_id, followed_id LIMIT ?",
            "every edge seen so far was there at the first read of its lists: changes show from the next reads on",
        )
    )
    why = wh.missing("mutual_follows", "no seed's follows list was read yet") and wh.missing(
        "non_followers_back", "no seed's follows and followers lists were both read yet"
    )
    if why:
        parts.append(block("Mutual follows and who does not follow back, per seed", note(why)))
    else:
        # every crawled user is a seed (its lists were read): the seeds with most non-followers back
        rows = wh.rows(
            "WITH mutual AS (SELECT seed_user_id, count(*) AS mutual_follows FROM {a}.mutual_follows GROUP BY 1),"
            " back AS (SELECT seed_user_id, count(*) AS not_following_back,"
            " string_agg(user_id, ', ' ORDER BY following_since DESC, user_id) AS not_following_back_ids"
            " FROM {a}.non_followers_back GROUP BY 1)"
            " SELECT seed_user_id, coalesce(mutual_follows, 0) AS mutual_follows,"
            " coalesce(not_following_back, 0) AS not_following_back, not_following_back_ids"
            " FROM mutual FULL JOIN back USING (seed_user_id)"
            " ORDER BY not_following_back DESC, mutual_follows DESC, seed_user_id LIMIT ?",
            TOP_ROWS,
        )
        seeds = wh.value(
            "SELECT count(*) FROM (SELECT seed_user_id FROM {a}.mutual_follows UNION SELECT seed_user_id FROM {a}.non_followers_back)"
        )
        for row in rows:
            ids = (row["not_following_back_ids"] or "").split(", ")
            row["not_following_back_ids"] = ", ".join(ids[:5]) + (f" … ({len(ids) - 5} more)" if len(ids) > 5 else "")
        parts.append(
            block(
                "Mutual follows and who does not follow back, per seed",
                f"<p>The {len(rows)} of {seeds:,} seeds (users whose follow lists were read) with most users they"
                " follow who do not follow back; newest follows first.</p>" + table("per-seed", rows, tuple(rows[0])),
            )
        )
    return "".join(parts)


def engagement_section(wh: Warehouse, page: Page) -> str:
    parts = []
    why = wh.missing("media_engagement", "no media was read yet")
    if why:
        return block("Engagement", note(why))
    rows = wh.rows(
        "SELECT date_trunc('week', created_at) AS week, avg(engagement_rate_by_followers) AS rate, count(*) AS posts"
        " FROM {a}.media_engagement WHERE created_at IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    rated = [row for row in rows if row["rate"] is not None]
    if rated:
        figure = go.Figure(go.Scatter(x=[r["week"] for r in rated], y=[r["rate"] for r in rated], mode="lines+markers"))
        figure.update_layout(
            height=320, margin={"t": 10}, yaxis_title="mean engagement / followers", xaxis_title="week posted"
        )
        parts.append(block("Engagement rate by followers, by week posted", page.figure("rate-chart", figure)))
    else:
        parts.append(
            block("Engagement rate by followers", note("no media owner's follower count was observed (user_counts)"))
        )
    if rows:
        figure = go.Figure(go.Bar(x=[r["week"] for r in rows], y=[r["posts"] for r in rows]))
        figure.update_layout(height=320, margin={"t": 10}, yaxis_title="media posted", xaxis_title="week")
        parts.append(block("Posting cadence", page.figure("cadence-chart", figure)))
        cells = wh.rows(
            "SELECT isodow(created_at) AS weekday, hour(created_at) AS hour, avg(engagement) AS engagement"
            " FROM {a}.media_engagement WHERE created_at IS NOT NULL GROUP BY 1, 2"
        )
        grid: list[list[float | None]] = [[None] * 24 for _ in WEEKDAYS]
        for c in cells:
            grid[c["weekday"] - 1][c["hour"]] = c["engagement"]
        figure = go.Figure(
            go.Heatmap(z=grid, x=list(range(24)), y=list(WEEKDAYS), colorscale="Viridis", hoverongaps=False)
        )
        figure.update_layout(height=320, margin={"t": 10}, xaxis_title="hour posted (UTC)", yaxis_autorange="reversed")
        parts.append(
            block(
                "When media earns engagement (mean likes + comments, by weekday and hour posted)",
                page.figure("heatmap-chart", figure),
            )
        )
    else:
        parts.append(block("Posting cadence", note("no media has a creation time")))
    top = wh.rows(
        "SELECT media_id, owner_id, created_at, likes, comments, engagement, engagement_rate_by_followers"
        " FROM {a}.media_engagement ORDER BY engagement DESC NULLS LAST, media_id LIMIT ?",
        TOP_ROWS,
    )
    parts.append(block("Top media by engagement", table("top-media", top, tuple(top[0]))))
    likes_why = "no likes or comments were read yet (they are read when a media is first seen, within the rate budget)"
    parts += [
        leaderboard(
            wh,
            "Tags by engagement, with the tag they travel with",
            "tags",
            "tag_engagement",
            "no loaded media carries a tag",
            "SELECT tag, media, total_engagement, median_engagement_per_media, top_cooccurring_tag,"
            " top_cooccurring_tag_media FROM {a}.tag_engagement ORDER BY total_engagement DESC, tag LIMIT ?",
        ),
        leaderboard(
            wh,
            "Locations by engagement",
            "locations",
            "location_engagement",
            "no loaded media has a location",
            "SELECT location_id, location_name, media, total_engagement, top_cooccurring_tag FROM {a}.location_engagement"
            " ORDER BY total_engagement DESC, location_id LIMIT ?",
        ),
        leaderboard(
            wh,
            "Top fans (most likes + comments given to one owner)",
            "top-fans",
            "top_fans",
            likes_why,
            "SELECT owner_id, actor_id, interactions, likes_given, comments_given, actor_follows_owner FROM {a}.top_fans"
            " ORDER BY interactions DESC, owner_id, actor_id LIMIT ?",
        ),
        leaderboard(
            wh,
            "Ghost followers (followers who never liked or commented)",
            "ghosts",
            "ghost_followers",
            likes_why + ", or no owner with loaded likes has followers in the graph",
            "SELECT owner_id, count(*) AS ghost_followers FROM {a}.ghost_followers GROUP BY owner_id"
            " ORDER BY ghost_followers DESC, owner_id LIMIT ?",
        ),
    ]
    return "".join(parts)


# What each part of the report was last observed as, from the analytics tables' own timestamps.
FRESHNESS = (
    ("follow graph: newest confirmation of an edge", "follow_edges", "max(last_confirmed_at)"),
    ("follow graph: latest change observed", "graph_summary", "max(as_of)"),
    ("media counters: newest read", "media_engagement", "max(counters_observed_at)"),
    ("media counters: oldest read", "media_engagement", "min(counters_observed_at)"),
    ("owner follower counts: newest snapshot used", "media_engagement", "max(owner_followers_observed_at)"),
    ("daily engagement: latest day", "daily_engagement", "max(day)"),
)


def freshness_section(wh: Warehouse, outstanding: ScheduleStatus | None) -> str:
    if not wh.tables:
        return block("Last observed", note(NO_TRANSFORMS))
    rows = [
        {"part": part, "last_observed": wh.value(f"SELECT {expr} FROM {{a}}.{name}") if wh.has(name) else None}
        for part, name, expr in FRESHNESS
    ]
    parts = [block("Last observed (UTC)", table("freshness", rows, ("part", "last_observed")))]
    if outstanding is None:
        body = note(
            "what was outstanding is known to the run, not to instagram_analytics (the refresh schedule is raw"
            " data): build the report with `python -m pipelines.run --report` to include it"
        )
    elif not outstanding.due:
        body = "<p id='outstanding-none'>Nothing was due and waiting for budget at the end of the last run.</p>"
    else:
        rows = [
            {"kind": kind, "due": reads.due, "oldest_read_hours": reads.oldest_read_hours}
            for kind, reads in sorted(outstanding.due.items())
        ]
        body = table("outstanding", rows, ("kind", "due", "oldest_read_hours"))
    if outstanding and outstanding.next_due_at:
        body += f"<p>Next work falls due at {html.escape(outstanding.next_due_at)} (server time).</p>"
    parts.append(block("Outstanding at the last run", body))
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 2rem 3rem; color: #222; max-width: 1400px; }
h1 { margin-top: 1.5rem; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; margin-top: 2.5rem; }
.pair { display: grid; grid-template-columns: 3fr 2fr; gap: 1.5rem; }
.block { margin-bottom: 1.5rem; } .chart { width: 100%; min-height: 320px; }
table { border-collapse: collapse; font-size: .85rem; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #eee; text-align: left; }
.missing { color: #8a5a00; background: #fff6e0; padding: .6rem 1rem; border-left: 4px solid #f0b400; }
"""


DRAW = """
document.querySelectorAll("script[data-figure]").forEach(function (element) {
  var figure = JSON.parse(element.textContent);
  Plotly.newPlot(element.dataset.figure, figure.data, figure.layout, {displaylogo: false, responsive: true});
});
"""


def script_json(value: Any) -> str:
    """`value` as JSON safe inside a script element (no `</` can close it)."""
    return plotly.io.json.to_json_plotly(value).replace("</", "<\\/")


def build_html(wh: Warehouse, database: Path, outstanding: ScheduleStatus | None) -> str:
    page = Page()
    sections = (
        ("The network", network_section(wh, page)),
        ("Who matters and who changed", who_section(wh)),
        ("Engagement", engagement_section(wh, page)),
        ("Freshness", freshness_section(wh, outstanding)),
    )
    body = "".join(f"<section><h2>{title}</h2>{content}</section>" for title, content in sections)
    # each figure as a JSON data element (`</` escaped so that no string can close it), drawn by
    # one script once Plotly (inlined in the head) has loaded
    data = "".join(
        f'<script type="application/json" data-figure="{div_id}">{script_json(figure)}</script>'
        for div_id, figure in page.figures
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Instagram warehouse report</title>"
        f"<style>{STYLE}</style><script>{plotly.offline.get_plotlyjs()}</script></head><body>"
        f"<h1>Instagram warehouse report</h1><p>From <code>{html.escape(database.name)}</code>,"
        f" dataset <code>{ANALYTICS_DATASET}</code>; generated {generated}.</p>{body}"
        f"{data}<script>{DRAW}</script></body></html>"
    )


def write_report(database: Path, output: Path | None = None, outstanding: ScheduleStatus | None = None) -> Path:
    """Write the report of `database` to `output` (default: beside it); returns the path.
    `outstanding`: the run's schedule status, when a run builds the report."""
    database = database.resolve()
    if not database.is_file():
        raise ReportInputError(f"{database} is not a file: point --duckdb at the warehouse's DuckDB file")
    try:
        check_duckdb_file(database, must_exist=True)
    except InstagramConfigError as error:
        raise ReportInputError(str(error)) from None
    output = (output or report_path_for(database)).resolve()
    settings = {key: value for key, value in duckdb_settings().items() if key != "preserve_insertion_order"}
    try:
        con = duckdb.connect(str(database), read_only=True, config=settings)
    except duckdb.IOException as error:
        if duckdb_is_busy(error):
            raise
        raise ReportInputError(f"{database} is not a DuckDB database: {error}") from None
    try:
        with con:
            document = build_html(Warehouse(con), database, outstanding)
    except duckdb.Error as error:
        if duckdb_error_is_damage(error):
            raise ReportInputError(f"{database} is a damaged DuckDB database: {error}") from None
        raise
    temporary = output.with_name(output.name + ".tmp")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(document, encoding="utf-8")
        temporary.replace(output)
    except OSError as error:
        raise ReportInputError(f"cannot write the report {output}: {error.strerror or error}") from None
    return output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duckdb",
        metavar="PATH",
        default=DEFAULT_DUCKDB_FILE,
        help=f"the warehouse (default: ./{DEFAULT_DUCKDB_FILE})",
    )
    parser.add_argument(
        "--output", metavar="PATH", help="where to write the HTML (default: <duckdb stem>_report.html beside it)"
    )
    args = parser.parse_args(argv)
    signals = StopSignals()  # a report half written is no use: stop at once
    signals.install()
    try:
        path = write_report(Path(args.duckdb), Path(args.output) if args.output else None)
    except KeyboardInterrupt:
        print("interrupted: no report written", file=sys.stderr)
        return signals.exit_code()
    except ReportInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except duckdb.Error as error:
        if duckdb_is_busy(error):
            print(
                f"error: the DuckDB file is held by another process ({error}); try again after the run",
                file=sys.stderr,
            )
        else:
            print(f"error: the DuckDB file could not be read: {error}", file=sys.stderr)
        return EXIT_DATABASE_BUSY
    print(f"Report written: {path}")
    return EXIT_WRITTEN


if __name__ == "__main__":
    sys.exit(main())

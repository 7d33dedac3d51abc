"""`python -m pipelines.report`: one self-contained HTML report of the warehouse for analysts.

It reads `instagram_analytics` only (read-only, so it never waits for or blocks a writer beyond
its own read) and writes one HTML file that opens offline: Plotly's JavaScript and the page's
style are inlined, nothing is fetched. Sections (docs/report.md says what each answers): the
configured accounts, the token's own first (headline figures per period, followers, who does
not follow back, posts and their engagement, fans), the network, the tag, location and feed
samples, and freshness. People show by handle, rates as percentages, value axes start at zero.
A table that is empty or missing gives a note saying what is missing and why, never an empty
chart.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import plotly.io
import plotly.offline
from plotly.subplots import make_subplots

from pipelines.report_blocks import (
    NO_TRANSFORMS,
    TOP_ROWS,
    Column,
    Names,
    Page,
    Warehouse,
    block,
    escape,
    figures,
    formatted,
    leaderboard,
    note,
    table,
    thumbnail,
    two_panels,
    week_hours_heatmap,
)
from pipelines.report_insights import GRAPH_API, account_insights, competitors_section
from pipelines.signals import StopSignals
from pipelines.warehouse import (
    ANALYTICS_DATASET,
    DEFAULT_DUCKDB_FILE,
    check_duckdb_file,
    duckdb_error_is_damage,
    duckdb_settings,
)
from sources.instagram import InstagramConfigError, ScheduleStatus, duckdb_is_busy
from transforms.raw_tables import RAW_DATASETS

V1_API = "v1 API"
EXIT_WRITTEN = 0
EXIT_DATABASE_BUSY = 1
EXIT_BAD_INPUT = 2

REPORT_SUFFIX = "_report.html"
GRAPH_SAMPLE_NODES = 2000
GRAPH_SAMPLE_EDGES = 20000
# Plotly's default qualitative palette cycles; communities beyond it reuse colours.
PALETTE = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880", "#ff97ff", "#fecb52")
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


class ReportInputError(Exception):
    """The DuckDB file cannot be read as a warehouse."""


def report_path_for(database: Path) -> Path:
    """The report's default place: beside the DuckDB file, `<stem>_report.html`."""
    return database.with_name(database.stem + REPORT_SUFFIX)


PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
ACCOUNT_BEST_POSTS = 6
MEDIA_COLUMNS = "media_id, media_type, caption, link, image_url"


def account_handle(account: dict[str, Any]) -> str:
    return f"@{account['username']}" if account["username"] else f"id {account['user_id']}"


def account_figures(wh: Warehouse, account: dict[str, Any]) -> str:
    """The account's headline figures, one set per period (the period control shows one)."""
    periods = wh.rows("SELECT * FROM {a}.account_periods WHERE user_id = ? ORDER BY period_days", account["user_id"])
    sets = []
    for period in periods:
        days = period["period_days"]
        change = period["follower_change"]
        since = period["followers_at_start_observed_at"]
        if change is None:
            growth = "—"
        elif since is not None and since > period["period_start"]:
            growth = f"{change:+,} since the first read, {formatted(since)}"
        else:
            growth = f"{change:+,} in {days} days"
        best = period["best_media_id"]
        if best:
            media = wh.rows(f"SELECT {MEDIA_COLUMNS}, engagement FROM {{a}}.media_engagement WHERE media_id = ?", best)[
                0
            ]
            best_shown = thumbnail(media) + f" <span class='sub'>{media['engagement']:,} likes + comments</span>"
        else:
            best_shown = "no post in the period"
        items = [
            ("followers", "Followers", formatted(period["followers"]), period["followers"]),
            ("follower_change", "Net follower change", escape(growth), change),
            (
                "new_followers",
                "Follows / unfollows of it observed",
                f"+{period['new_followers']:,} / −{period['lost_followers']:,}",
                f"{period['new_followers']}/{period['lost_followers']}",
            ),
            ("posts", "Posts", formatted(period["posts"]), period["posts"]),
            (
                "engagement_rate",
                "Mean engagement per follower, per post",
                formatted(period["mean_engagement_rate_by_followers"], "percent"),
                period["mean_engagement_rate_by_followers"],
            ),
            ("best_media_id", "Best post", best_shown, best or ""),
        ]
        hidden = "" if days == DEFAULT_PERIOD else " hidden"
        sets.append(f'<div class="period{hidden}" data-period="{days}">{figures(items)}</div>')
    end = periods[0]["period_end"] if periods else None
    return f"<p class='sub'>Periods end at the newest profile read, {formatted(end, 'time')} UTC.</p>" + "".join(sets)


def account_followers(wh: Warehouse, page: Page, account: dict[str, Any], anchor: str) -> str:
    days = wh.rows(
        "SELECT day, followers, new_followers, lost_followers FROM {a}.account_daily WHERE user_id = ? ORDER BY day",
        account["user_id"],
    )
    counted = [d for d in days if d["followers"] is not None]
    if len(counted) < 2:
        when = formatted(counted[0]["day"]) if counted else "never"
        return block(
            "Followers over time",
            f"<p>One follower count read so far ({formatted(account['followers'])} on {when}): the curve appears"
            " from the next run that finds a change.</p>",
        )
    moved = [d for d in days if d["new_followers"] or d["lost_followers"]]
    figure = two_panels(
        [go.Scatter(x=[d["day"] for d in counted], y=[d["followers"] for d in counted], mode="lines+markers")],
        [
            go.Bar(x=[d["day"] for d in moved], y=[d["new_followers"] for d in moved], name="follows"),
            go.Bar(x=[d["day"] for d in moved], y=[-d["lost_followers"] for d in moved], name="unfollows"),
        ],
        "followers",
        "follows − unfollows",
    )
    figure.update_layout(yaxis2={"rangemode": "normal"})  # unfollows go below zero
    return block(
        "Followers over time, and the follows and unfollows of it observed",
        page.figure(f"{anchor}-followers", figure),
    )


def account_posts(wh: Warehouse, page: Page, names: Names, account: dict[str, Any], anchor: str) -> str:
    handle = account_handle(account)
    posts = wh.rows(
        f"SELECT {MEDIA_COLUMNS}, created_at, likes, comments, engagement, engagement_rate_by_followers"
        " FROM {a}.media_engagement WHERE owner_id = ? ORDER BY created_at NULLS LAST, media_id",
        account["user_id"],
    )
    if not posts:
        return block(
            "Posts and their engagement",
            note(f"no media of {handle} was loaded yet (a configured account's recent media are read each run)"),
        )
    months = wh.rows(
        "SELECT date_trunc('month', created_at) AS month, count(*) AS posts FROM {a}.media_engagement"
        " WHERE owner_id = ? AND created_at IS NOT NULL GROUP BY 1 ORDER BY 1",
        account["user_id"],
    )
    rated = [p for p in posts if p["created_at"] is not None and p["engagement_rate_by_followers"] is not None]
    parts = []
    if months:
        figure = two_panels(
            [
                go.Scatter(
                    x=[p["created_at"] for p in rated],
                    y=[p["engagement_rate_by_followers"] for p in rated],
                    mode="markers",
                    text=[(p["caption"] or "")[:60] for p in rated],
                    hovertemplate="%{x|%Y-%m-%d}: %{y:.1%}<br>%{text}<extra></extra>",
                )
            ],
            [go.Bar(x=[m["month"] for m in months], y=[m["posts"] for m in months])],
            "engagement per follower",
            "posts per month",
        )
        figure.update_layout(
            yaxis={"tickformat": ".1%"}, yaxis2={"dtick": max(1, math.ceil(max(m["posts"] for m in months) / 3))}
        )
        parts.append(
            block(
                f"Posts of {handle}: engagement per follower of each (likes + comments ÷ followers when posted),"
                " and posts per month",
                page.figure(f"{anchor}-posts", figure),
                wide=True,
            )
        )
    best = sorted(posts, key=lambda p: (-p["engagement"], p["media_id"]))[:ACCOUNT_BEST_POSTS]
    parts.append(
        block(
            f"Best posts of {handle} (of {len(posts):,} loaded)",
            table(
                f"{anchor}-best",
                best,
                (
                    Column("media", "post", "media"),
                    Column("media_type", "type"),
                    Column("created_at", "posted", "date"),
                    Column("likes", "likes", "int"),
                    Column("comments", "comments", "int"),
                    Column("engagement_rate_by_followers", "engagement per follower", "percent"),
                ),
                names,
            ),
            wide=True,
        )
    )
    return "".join(parts)


def account_not_back(wh: Warehouse, names: Names, account: dict[str, Any], anchor: str) -> str:
    if account["not_following_back"] is None:
        back = note("its followers list was not read yet, so who does not follow back is unknown")
    else:
        rows = wh.rows(
            "SELECT user_id AS account_id, following_since FROM {a}.non_followers_back WHERE seed_user_id = ?"
            " ORDER BY following_since DESC, user_id LIMIT ?",
            account["user_id"],
            TOP_ROWS,
        )
        intro = (
            f"<p><b data-figure='not_following_back'>{account['not_following_back']:,}</b> of the accounts it follows"
            f" do not follow back ({account['mutual_follows']:,} do); newest follows first.</p>"
        )
        columns = (Column("account", "account", "user"), Column("following_since", "followed since", "date"))
        back = intro + (table(f"{anchor}-not-back", rows, columns, names) if rows else "")
    return block("Who does not follow back", back)


def account_fans(wh: Warehouse, names: Names, account: dict[str, Any], anchor: str) -> str:
    user = account["user_id"]
    fans = wh.rows(
        "SELECT actor_id AS fan_id, likes_given, comments_given, actor_follows_owner FROM {a}.top_fans"
        " WHERE owner_id = ? ORDER BY fan_rank LIMIT ?",
        user,
        TOP_ROWS,
    )
    fan_columns = (
        Column("fan", "fan", "user"),
        Column("likes_given", "likes", "int"),
        Column("comments_given", "comments", "int"),
        Column("actor_follows_owner", "follows it"),
    )
    ghosts = (
        wh.value("SELECT count(*) FROM {a}.ghost_followers WHERE owner_id = ?", user)
        if wh.has("ghost_followers")
        else 0
    )
    ghost_rows = (
        wh.rows(
            "SELECT follower_id AS ghost_id, following_since FROM {a}.ghost_followers WHERE owner_id = ?"
            " ORDER BY following_since DESC NULLS LAST, follower_id LIMIT ?",
            user,
            TOP_ROWS,
        )
        if ghosts
        else []
    )
    return block(
        "Top fans (most likes + comments on its loaded media)",
        table(f"{anchor}-fans", fans, fan_columns, names)
        if fans
        else note("no like or comment of its media was read yet"),
    ) + block(
        "Ghost followers (never liked or commented on its loaded media)",
        f"<p>{ghosts:,} current followers; newest first.</p>"
        + table(
            f"{anchor}-ghosts",
            ghost_rows,
            (Column("ghost", "follower", "user"), Column("following_since", "following since", "date")),
            names,
        )
        if ghosts
        else note("no follower without engagement, or no like or comment of its media read yet"),
    )


def accounts_section(wh: Warehouse, page: Page, names: Names) -> tuple[str, list[tuple[str, str]]]:
    """One article per configured account, the token's own first; also (anchor, label) each."""
    why = wh.missing(
        "accounts",
        "the source has no configured account in its refresh schedule yet (user_ids: the crawl's seeds)",
    )
    if why:
        return note(why), []
    accounts = wh.rows("SELECT * FROM {a}.accounts ORDER BY account_order")
    articles, contents = [], []
    for account in accounts:
        anchor = f"account-{account['user_id']}"
        handle = account_handle(account)
        title = (
            f"<a href='{escape(account['profile_url'])}'>{escape(handle)}</a>"
            if account["profile_url"]
            else escape(handle)
        )
        badge = " <span class='badge'>the token's own account</span>" if account["is_token_user"] else ""
        name = f" <span class='sub'>{escape(account['full_name'])}</span>" if account["full_name"] else ""
        articles.append(
            f"<article class='account' id='{anchor}' data-user='{escape(account['user_id'])}'>"
            f"<h3 class='account-title'>{title}{name}{badge}</h3>"
            + account_figures(wh, account)
            + "<div class='pair'>"
            + account_followers(wh, page, account, anchor)
            + account_not_back(wh, names, account, anchor)
            + account_posts(wh, page, names, account, anchor)
            + account_fans(wh, names, account, anchor)
            + account_insights(wh, page, names, account, anchor)
            + "</div></article>"
        )
        contents.append((anchor, handle))
    return "".join(articles), contents


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


def network_section(wh: Warehouse, page: Page, names: Names) -> str:
    parts = []
    why = wh.missing("user_graph_metrics", "no follow list was read yet (the crawl has not started or found nobody)")
    if why:
        return block("The follow graph", note(why))
    total = wh.count("user_graph_metrics")
    nodes = wh.rows(
        "SELECT user_id, username, pagerank, community_id, community_name, followers, following"
        " FROM {a}.user_graph_metrics LEFT JOIN {a}.communities USING (community_id)"
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
                    f"{'@' + n['username'] if n['username'] else 'no profile read'} (id {n['user_id']})"
                    f"<br>PageRank rank {rank:,}<br>{n['community_name']}"
                    f"<br>{n['followers']:,} followers, {n['following']:,} following"
                    for rank, n in enumerate(nodes, start=1)
                ],
                hoverinfo="text",
            ),
        ]
    )
    figure.update_layout(
        showlegend=False,
        height=560,
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
            f'<p id="graph-sample">Showing {sampled}: the accounts and everyone the crawl reached from them.'
            " Colour: community; size: PageRank; hover for the user. Communities are grouped in discs, the"
            " highest PageRank at each disc's centre.</p>" + page.figure("graph", figure),
            wide=True,
        )
    )
    parts.append(graph_over_time(wh, page))
    parts.append(
        leaderboard(
            wh,
            names,
            "Who matters: the top users by PageRank",
            "top-pagerank",
            "user_graph_metrics",
            "no follow list was read yet",
            "SELECT row_number() OVER (ORDER BY pagerank DESC, user_id) AS rank, user_id AS user_id, followers,"
            " community_name FROM {a}.user_graph_metrics LEFT JOIN {a}.communities USING (community_id)"
            " ORDER BY pagerank DESC, user_id LIMIT ?",
            (
                Column("rank", "rank", "int"),
                Column("user", "account", "user"),
                Column("followers", "followers in the graph", "int"),
                Column("community_name", "community"),
            ),
        )
    )
    parts.append(
        leaderboard(
            wh,
            names,
            "Communities, named after their member of highest PageRank",
            "communities",
            "communities",
            "no follow list was read yet",
            "SELECT community_name, members, members / sum(members) OVER () AS share FROM {a}.communities"
            " ORDER BY members DESC, community_id LIMIT ?",
            (
                Column("community_name", "community"),
                Column("members", "members", "int"),
                Column("share", "share of the graph", "percent"),
            ),
        )
    )
    for days in (7, 30):
        column = f"follower_growth_{days}d"
        parts.append(
            leaderboard(
                wh,
                names,
                f"Fastest growing over {days} days",
                f"growth-{days}d",
                "user_graph_metrics",
                "no follow list was read yet",
                f"SELECT user_id AS user_id, followers_reported, {column} AS growth FROM {{a}}.user_graph_metrics"
                f" WHERE {column} IS NOT NULL ORDER BY {column} DESC, user_id LIMIT ?",
                (
                    Column("user", "account", "user"),
                    Column("followers_reported", "followers", "int"),
                    Column("growth", f"growth over {days} days", "int"),
                ),
                f"no user has follower counts observed {days} days apart yet (growth needs two reads of a profile)",
            )
        )
    parts.append(
        leaderboard(
            wh,
            names,
            "Recent follows and unfollows",
            "follow-events",
            "follow_events",
            "no follow list was read yet",
            "SELECT observed_at, CASE event_type WHEN 'follow' THEN 'followed' ELSE 'unfollowed' END AS event,"
            " follower_id, followed_id FROM {a}.follow_events"
            " WHERE event_type <> 'initial' ORDER BY observed_at DESC, follower_id, followed_id LIMIT ?",
            (
                Column("observed_at", "observed", "time"),
                Column("follower", "who", "user"),
                Column("event", "did"),
                Column("followed", "whom", "user"),
            ),
            "every edge seen so far was there at the first read of its lists: changes show from the next reads on",
        )
    )
    return "<div class='pair'>" + "".join(parts) + "</div>"


def graph_over_time(wh: Warehouse, page: Page) -> str:
    """The graph's summary; over time once there are two states, on axes that start at zero
    (reciprocity and modularity on their whole 0-1 range), so that a small change looks small."""
    why = wh.missing("graph_summary", "no follow list was read yet")
    if why:
        return block("The graph over time", note(why))
    rows = wh.rows("SELECT * FROM {a}.graph_summary ORDER BY as_of")
    latest = rows[-1]
    summary = figures(
        [
            ("nodes", "Users", formatted(latest["nodes"]), latest["nodes"]),
            ("edges", "Follow edges", formatted(latest["edges"]), latest["edges"]),
            ("components", "Components", formatted(latest["components"]), latest["components"]),
            ("reciprocity", "Reciprocity", formatted(latest["reciprocity"], "percent"), latest["reciprocity"]),
            ("modularity", "Modularity", f"{latest['modularity']:.2f}", latest["modularity"]),
        ],
        "graph-figures",
    )
    if len(rows) == 1:
        return block(
            "The graph now",
            f"<p>As of {formatted(latest['as_of'], 'time')} UTC, the only state observed so far: the changes show"
            " from the next run that sees a follow or unfollow.</p>" + summary,
        )
    when = [row["as_of"] for row in rows]
    figure = make_subplots(
        rows=3, cols=1, shared_xaxes=True, subplot_titles=("components", "reciprocity", "modularity")
    )
    for index, measure in enumerate(("components", "reciprocity", "modularity"), start=1):
        figure.add_trace(go.Scatter(x=when, y=[row[measure] for row in rows], mode="lines+markers"), index, 1)
    figure.update_layout(height=520, showlegend=False, margin={"t": 30, "l": 60, "r": 10, "b": 30})
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    figure.update_yaxes(range=[0, 1], tickformat=".0%", row=2, col=1)
    figure.update_yaxes(range=[min(0.0, *(row["modularity"] for row in rows)), 1], row=3, col=1)
    return block(
        "The graph over time",
        f"<p>Latest state, {formatted(latest['as_of'], 'time')} UTC:</p>"
        + summary
        + page.figure("graph-summary-chart", figure),
    )


MIN_RANKED = 10  # media behind a tag or location before it is ranked
MIN_CELL = 5  # media behind a heatmap cell before it is coloured
MIN_TOGETHER = 3  # media two tags share before their lift is shown


def samples_section(wh: Warehouse, page: Page, names: Names) -> str:
    """What the tag, location and feed samples say: every media loaded, most of them from feeds
    that return only recent media of anyone, so they describe the topics, not the accounts."""
    why = wh.missing("media_engagement", "no media was read yet")
    if why:
        return block("Media samples", note(why))
    media = wh.count("media_engagement")
    intro = (
        f"<p class='sub'>A sample: the {media:,} media loaded, most of them from the tag, location and feed lists"
        " (which return recent media of anyone), not a census. Tags and locations with fewer than"
        f" {MIN_RANKED} media are not ranked.</p>"
    )
    parts = [
        leaderboard(
            wh,
            names,
            "Tags by mean engagement per media, with the tag they travel with",
            "tags",
            "tag_engagement",
            "no loaded media carries a tag",
            "WITH companion AS (SELECT tag, arg_max(cooccurring_tag, lift) AS companion, max(lift) AS lift"
            f" FROM {{a}}.tag_cooccurrence WHERE media_together >= {MIN_TOGETHER} GROUP BY tag)"
            " SELECT t.tag, t.media, t.total_engagement / t.media AS mean_engagement, t.median_engagement_per_media,"
            " c.companion, c.lift FROM {a}.tag_engagement AS t LEFT JOIN companion AS c USING (tag)"
            f" WHERE t.media >= {MIN_RANKED} ORDER BY mean_engagement DESC, t.media DESC, t.tag LIMIT ?",
            (
                Column("tag", "tag"),
                Column("media", "media (sample size)", "int"),
                Column("mean_engagement", "mean likes + comments", "float"),
                Column("median_engagement_per_media", "median", "float"),
                Column("companion", "travels most with (by lift)"),
                Column("lift", "lift", "ratio"),
            ),
            f"no tag is carried by {MIN_RANKED} or more loaded media yet",
            f"<p class='sub'>Lift: how many times more often the two tags meet than chance would have them"
            f" (at least {MIN_TOGETHER} media together).</p>",
        ),
        leaderboard(
            wh,
            names,
            "Locations by mean engagement per media",
            "locations",
            "location_engagement",
            "no loaded media has a location",
            "SELECT location_name, media, distinct_authors, total_engagement / media AS mean_engagement,"
            f" median_engagement_per_media FROM {{a}}.location_engagement WHERE media >= {MIN_RANKED}"
            " ORDER BY mean_engagement DESC, media DESC, location_id LIMIT ?",
            (
                Column("location_name", "location"),
                Column("media", "media (sample size)", "int"),
                Column("distinct_authors", "authors", "int"),
                Column("mean_engagement", "mean likes + comments", "float"),
                Column("median_engagement_per_media", "median", "float"),
            ),
            f"no location has {MIN_RANKED} or more loaded media yet",
        ),
        leaderboard(
            wh,
            names,
            "Most engaged media of the sample, one per author",
            "top-media",
            "media_engagement",
            "no media was read yet",
            f"SELECT {MEDIA_COLUMNS}, owner_id, created_at, likes, comments, engagement_rate_by_followers FROM"
            " (SELECT *, row_number() OVER (PARTITION BY owner_id ORDER BY engagement DESC, media_id) AS nth"
            " FROM {a}.media_engagement) WHERE nth = 1 ORDER BY engagement DESC NULLS LAST, media_id LIMIT ?",
            (
                Column("media", "media", "media"),
                Column("owner", "author", "user"),
                Column("created_at", "posted", "date"),
                Column("likes", "likes", "int"),
                Column("comments", "comments", "int"),
                Column("engagement_rate_by_followers", "engagement per follower", "percent"),
            ),
            wide=True,
        ),
    ]
    cells = wh.rows(
        "SELECT isodow(created_at) AS weekday, hour(created_at) AS hour, count(*) AS media,"
        " median(engagement) AS engagement FROM {a}.media_engagement WHERE created_at IS NOT NULL GROUP BY 1, 2"
    )
    figure, ranked = week_hours_heatmap(
        cells,
        "engagement",
        "media",
        MIN_CELL,
        "Viridis",
        "%{y} %{x}:00 UTC: median %{z} likes + comments of %{text} media<extra></extra>",
    )
    if ranked:
        figure.update_layout(xaxis_title="hour posted (UTC)")
        heat = (
            f"<p class='sub'>Colour: median likes + comments of the media posted in that hour; the number: how many"
            f" media. Cells with fewer than {MIN_CELL} media are left blank ({ranked} of 168 ranked).</p>"
            + page.figure("heatmap-chart", figure)
        )
    else:
        heat = note(f"no weekday and hour has {MIN_CELL} or more media yet")
    parts.append(block("When the sampled media earn engagement, by weekday and hour posted", heat, wide=True))
    return intro + "<div class='pair'>" + "".join(parts) + "</div>"


# What each part of the report was last observed as, from the analytics tables' own timestamps.
FRESHNESS = (
    ("follow graph: newest confirmation of an edge", "follow_edges", "max(last_confirmed_at)"),
    ("follow graph: latest change observed", "graph_summary", "max(as_of)"),
    ("accounts' profile counters: newest change read", "accounts", "max(counts_observed_at)"),
    ("media counters: newest read", "media_engagement", "max(counters_observed_at)"),
    ("media counters: oldest read", "media_engagement", "min(counters_observed_at)"),
    ("daily engagement: latest day", "daily_engagement", "max(day)"),
)


def freshness_section(wh: Warehouse, names: Names, outstanding: ScheduleStatus | None) -> str:
    if not wh.tables:
        return block("Last observed", note(NO_TRANSFORMS))
    rows = [
        {"part": part, "last_observed": wh.value(f"SELECT {expr} FROM {{a}}.{name}") if wh.has(name) else None}
        for part, name, expr in FRESHNESS
    ]
    columns = (Column("part", "part"), Column("last_observed", "last observed (UTC)", "time"))
    parts = [block("Last observed", table("freshness", rows, columns, names))]
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
        columns = (
            Column("kind", "what"),
            Column("due", "reads due", "int"),
            Column("oldest_read_hours", "oldest read, hours ago", "float"),
        )
        body = table("outstanding", rows, columns, names)
    if outstanding and outstanding.next_due_at:
        body += f"<p>Next work falls due at {html.escape(outstanding.next_due_at)} (server time).</p>"
    parts.append(block("Outstanding at the last run", body))
    return "<div class='pair'>" + "".join(parts) + "</div>"


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 2rem 3rem; color: #222; max-width: 1400px; }
h1 { margin: 1.5rem 0 .3rem; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; margin-top: 2.5rem; }
nav.contents { position: sticky; top: 0; z-index: 10; background: #fff; padding: .5rem 0; border-bottom: 1px solid #eee; }
nav.contents a { margin-right: 1rem; } nav.contents label { margin-left: .6rem; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 0 2rem; align-items: start; }
.block { margin-bottom: 1.5rem; min-width: 0; } .block.wide { grid-column: 1 / -1; } .chart { width: 100%; }
.account { border: 1px solid #e4e4e4; border-radius: 8px; padding: .5rem 1.2rem 1rem; margin-bottom: 2rem; }
.account-title { font-size: 1.4rem; margin: .6rem 0; } .badge { font-size: .75rem; background: #e8f0fe; color: #1a56c4; padding: .15rem .5rem; border-radius: 1rem; vertical-align: middle; }
.figures { display: flex; flex-wrap: wrap; gap: .8rem; margin: .5rem 0 1rem; }
.figure { border: 1px solid #eee; border-radius: 6px; padding: .5rem .8rem; min-width: 9rem; background: #fafafa; }
.figure .label { font-size: .8rem; color: #666; } .figure .value { font-size: 1.3rem; font-weight: 600; }
.figure .value .caption, .figure .value .sub { font-size: .8rem; font-weight: normal; }
.period.hidden { display: none; }
.sub { color: #666; font-size: .85rem; }
.table { overflow-x: auto; position: relative; } button.csv { float: right; font-size: .75rem; margin-bottom: .2rem; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; } td, th { padding: .25rem .6rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: middle; }
th { background: #f5f5f5; font-weight: 600; } td[data-column] { white-space: nowrap; }
a.user { text-decoration: none; color: #1a56c4; } .user.unknown { color: #888; }
.media { display: inline-flex; align-items: center; gap: .5rem; white-space: normal; max-width: 28rem; }
.tile { display: inline-flex; width: 44px; height: 44px; border-radius: 4px; align-items: center; justify-content: center; color: #fff; font-size: 1.1rem; flex: none; }
.missing { color: #8a5a00; background: #fff6e0; padding: .6rem 1rem; border-left: 4px solid #f0b400; }
"""


DRAW = """
document.querySelectorAll("script[data-figure]").forEach(function (element) {
  var figure = JSON.parse(element.textContent);
  Plotly.newPlot(element.dataset.figure, figure.data, figure.layout, {displaylogo: false, responsive: true});
});
// the period control: show each account's figures for the chosen period
document.querySelectorAll("input[name=period]").forEach(function (input) {
  input.addEventListener("change", function () {
    document.querySelectorAll(".period").forEach(function (set) {
      set.classList.toggle("hidden", set.dataset.period !== input.value);
    });
  });
});
// CSV export of a table, as shown; people and media also by id
document.querySelectorAll("button.csv").forEach(function (button) {
  button.addEventListener("click", function () {
    var table = document.getElementById(button.dataset.table);
    var quote = function (text) { return '"' + String(text).replace(/"/g, '""').trim() + '"'; };
    var kinds = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.dataset.kind; });
    var head = [];
    table.querySelectorAll("thead th").forEach(function (th) {
      head.push(quote(th.textContent));
      if (th.dataset.kind === "user" || th.dataset.kind === "media") head.push(quote(th.textContent + " id"));
    });
    var lines = [head.join(",")];
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var cells = [];
      tr.querySelectorAll("td").forEach(function (td, index) {
        cells.push(quote(td.textContent));
        if (kinds[index] === "user" || kinds[index] === "media") cells.push(quote(td.dataset.value));
      });
      lines.push(cells.join(","));
    });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([lines.join("\\n") + "\\n"], {type: "text/csv"}));
    link.download = button.dataset.table + ".csv";
    link.click();
  });
});
"""


def script_json(value: Any) -> str:
    """`value` as JSON safe inside a script element (no `</` can close it)."""
    return plotly.io.json.to_json_plotly(value).replace("</", "<\\/")


def loaded_apis(wh: Warehouse) -> list[str]:
    """The APIs whose raw dataset the warehouse holds, as the section labels name them."""
    labels = {RAW_DATASETS["raw"].dataset: V1_API, RAW_DATASETS["graph_raw"].dataset: GRAPH_API}
    found = {
        schema
        for (schema,) in wh.con.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_schema IN (SELECT unnest(?))",
            [list(labels)],
        ).fetchall()
    }
    return [label for dataset, label in labels.items() if dataset in found]


def source_label(source: str) -> str:
    """Which API a section's data came from."""
    return f" <span class='badge source'>{html.escape(source)}</span>" if source else ""


def build_html(wh: Warehouse, database: Path, outstanding: ScheduleStatus | None) -> str:
    page = Page()
    names = Names(wh)
    accounts, account_links = accounts_section(wh, page, names)
    apis = loaded_apis(wh)
    sections = (
        ("accounts", "Your accounts", accounts, " + ".join(apis)),
        ("network", "The network", network_section(wh, page, names), V1_API),
        ("samples", "Tags, locations and feeds (samples)", samples_section(wh, page, names), V1_API),
        ("competitors", "Competitors and conversations", competitors_section(wh, page, names), GRAPH_API),
        ("freshness", "Freshness", freshness_section(wh, names, outstanding), " + ".join(apis)),
    )
    body = "".join(
        f"<section id='{anchor}'><h2>{title}{source_label(source)}</h2>{content}</section>"
        for anchor, title, content, source in sections
    )
    links = "".join(f"<a href='#{anchor}'>{html.escape(title)}</a>" for anchor, title, _, _ in sections)
    links += "".join(f"<a href='#{anchor}' class='sub'>{html.escape(label)}</a>" for anchor, label in account_links)
    periods = "".join(
        f"<label><input type='radio' name='period' value='{days}'{' checked' if days == DEFAULT_PERIOD else ''}>"
        f" {days} days</label>"
        for days in PERIODS
    )
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
        f"<h1>Instagram warehouse report</h1><p class='sub'>From <code>{html.escape(database.name)}</code>,"
        f" dataset <code>{ANALYTICS_DATASET}</code>; generated {generated}.</p>"
        f"<nav class='contents'>{links}<span class='sub'> · period:</span>{periods}</nav>{body}"
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

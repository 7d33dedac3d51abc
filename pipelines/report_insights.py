"""The report's Graph API parts (docs/report.md): what only the Graph API gives, for each
configured account it read (reach and views per day, posts by reach, the format mix, stories,
the audience, when followers are online), then the competitors it discovered and who talks to
whom in the comments. Every block says the Graph API in its title; an account the Graph API
source never read gets none of them, and a warehouse without its marts shows nothing here."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from pipelines.report_blocks import (
    TOP_ROWS,
    WEEKDAYS,
    Column,
    Names,
    Page,
    Warehouse,
    block,
    leaderboard,
    note,
    table,
    two_panels,
    week_hours_heatmap,
)

GRAPH_API = "Graph API"
AUDIENCE_SEGMENTS = 5  # per breakdown
MIN_DAYS_ONLINE = 2  # days of `online_followers` behind an hour before it is ranked
# media_insights' columns a best-posts table shows beside the post itself (media_engagement's)
POST_COLUMNS = (
    "insights.media_id, insights.format, insights.created_at, insights.reach, insights.views, insights.saved,"
    " insights.shares, insights.engagement_rate_by_reach, coalesce(media.media_type, insights.media_type)"
    " AS media_type, media.caption, media.link, media.image_url"
)


def graph_title(title: str) -> str:
    return f"{title} · {GRAPH_API}"


def has_graph_data(wh: Warehouse, user_id: str) -> bool:
    """Whether the Graph API source read anything of the account's insights."""
    return any(
        wh.has(table) and wh.value(f"SELECT count(*) FROM {{a}}.{table} WHERE {column} = ?", user_id)
        for table, column in (("media_insights", "owner_id"), ("account_insights_daily", "user_id"))
    )


def account_insights(wh: Warehouse, page: Page, names: Names, account: dict[str, Any], anchor: str) -> str:
    """The Graph API's blocks of one account's article; none when it read nothing of it."""
    user = account["user_id"]
    if not has_graph_data(wh, user):
        return ""
    return (
        daily_reach(wh, page, user, anchor)
        + posts_by_reach(wh, names, user, anchor)
        + format_mix(wh, names, user, anchor)
        + stories(wh, names, user, anchor)
        + audience(wh, names, user, anchor)
        + online_followers(wh, page, user, anchor)
    )


def daily_reach(wh: Warehouse, page: Page, user: str, anchor: str) -> str:
    title = graph_title("Reach and views per day, and new followers")
    days = wh.rows(
        "SELECT day, reach, views, new_followers FROM {a}.account_insights_daily WHERE user_id = ? ORDER BY day", user
    )
    if not days:
        return block(title, note("the account's daily insights were not read yet (once a day, the last two days)"))
    x = [d["day"] for d in days]
    figure = two_panels(
        [
            go.Scatter(x=x, y=[d["reach"] for d in days], mode="lines+markers", name="reach"),
            go.Scatter(x=x, y=[d["views"] for d in days], mode="lines+markers", name="views"),
        ],
        [go.Bar(x=x, y=[d["new_followers"] for d in days], name="new followers")],
        "accounts reached / views",
        "new followers",
    )
    figure.update_layout(showlegend=True, legend={"orientation": "h", "y": 1.08})
    return block(title, page.figure(f"{anchor}-reach", figure), wide=True)


def posts_by_reach(wh: Warehouse, names: Names, user: str, anchor: str) -> str:
    return leaderboard(
        wh,
        names,
        graph_title("Posts that reached most"),
        f"{anchor}-reach-posts",
        "media_insights",
        "no media insights were read yet",
        f"SELECT {POST_COLUMNS} FROM {{a}}.media_insights AS insights"
        " LEFT JOIN {a}.media_engagement AS media USING (media_id)"
        " WHERE insights.owner_id = ? AND insights.reach IS NOT NULL AND insights.format <> 'story'"
        " ORDER BY insights.reach DESC, insights.media_id LIMIT ?",
        (
            Column("media", "post", "media"),
            Column("format", "format"),
            Column("created_at", "posted", "date"),
            Column("reach", "accounts reached", "int"),
            Column("views", "views", "int"),
            Column("saved", "saves", "int"),
            Column("shares", "shares", "int"),
            Column("engagement_rate_by_reach", "engagement per account reached", "percent"),
        ),
        "none of its media has insights yet (the API gives none for a media seen by too few accounts)",
        wide=True,
        params=(user,),
    )


def format_mix(wh: Warehouse, names: Names, user: str, anchor: str) -> str:
    return leaderboard(
        wh,
        names,
        graph_title("Format mix"),
        f"{anchor}-formats",
        "format_mix",
        "no media or story was read yet",
        "SELECT format, posts, share_of_posts, posts_with_insights, mean_reach, mean_engagement_rate_by_reach"
        " FROM {a}.format_mix WHERE owner_id = ? ORDER BY posts DESC, format LIMIT ?",
        (
            Column("format", "format"),
            Column("posts", "posts", "int"),
            Column("share_of_posts", "share of posts", "percent"),
            Column("posts_with_insights", "with insights", "int"),
            Column("mean_reach", "mean accounts reached", "float"),
            Column("mean_engagement_rate_by_reach", "mean engagement per account reached", "percent"),
        ),
        "no media or story of this account was read",
        intro="<p class='sub'>Stories count from the first run on (the API lists a story for 24 hours only).</p>",
        params=(user,),
    )


def stories(wh: Warehouse, names: Names, user: str, anchor: str) -> str:
    return leaderboard(
        wh,
        names,
        graph_title("Latest stories"),
        f"{anchor}-stories",
        "story_performance",
        "no story was seen live yet (a run must come at least once a day to see each)",
        "SELECT story_id, media_type, created_at, reach, views, replies, navigation, hours_after_posting"
        " FROM {a}.story_performance WHERE owner_id = ? ORDER BY created_at DESC, story_id LIMIT ?",
        (
            Column("created_at", "posted", "time"),
            Column("media_type", "type"),
            Column("reach", "accounts reached", "int"),
            Column("views", "views", "int"),
            Column("replies", "replies", "int"),
            Column("navigation", "taps and swipes", "int"),
            Column("hours_after_posting", "insights read after (hours)", "float"),
        ),
        "none of its stories was seen live",
        params=(user,),
    )


def audience(wh: Warehouse, names: Names, user: str, anchor: str) -> str:
    title = graph_title("Audience: followers by country, city, age and gender")
    why = wh.missing("audience", "the audience was not read yet (once a day, for accounts with 100 followers or more)")
    if why:
        return block(title, note(why))
    rows = wh.rows(
        "SELECT breakdown, segment, followers, share_of_followers FROM {a}.audience"
        " WHERE user_id = ? AND segment_rank <= ? ORDER BY breakdown, segment_rank",
        user,
        AUDIENCE_SEGMENTS,
    )
    if not rows:
        return block(title, note("the API gave no audience for this account (it needs 100 followers or more)"))
    columns = (
        Column("breakdown", "by"),
        Column("segment", "segment"),
        Column("followers", "followers", "int"),
        Column("share_of_followers", "share", "percent"),
    )
    intro = f"<p class='sub'>The {AUDIENCE_SEGMENTS} largest segments of each breakdown.</p>"
    return block(title, intro + table(f"{anchor}-audience", rows, columns, names))


def online_followers(wh: Warehouse, page: Page, user: str, anchor: str) -> str:
    """A day × hour heatmap of the mean followers online; an hour observed on fewer than
    MIN_DAYS_ONLINE days is left blank, and the best hours are named in words."""
    title = graph_title("When followers are online (UTC)")
    why = wh.missing("best_posting_times", "online followers were not read yet (once a day)")
    if why:
        return block(title, note(why))
    slots = wh.rows(
        "SELECT day_of_week AS weekday, hour_utc AS hour, mean_online_followers, days_observed"
        " FROM {a}.best_posting_times WHERE user_id = ?",
        user,
    )
    if not slots:
        return block(title, note("the API gave no online followers for this account (it needs 100 followers or more)"))
    figure, _ = week_hours_heatmap(
        slots,
        "mean_online_followers",
        "days_observed",
        MIN_DAYS_ONLINE,
        "Blues",
        "%{y} %{x}:00 UTC: %{z:.0f} followers online, mean of %{text} days<extra></extra>",
    )
    best = sorted(
        (s for s in slots if s["days_observed"] >= MIN_DAYS_ONLINE),
        key=lambda s: (-s["mean_online_followers"], s["weekday"], s["hour"]),
    )[:3]
    observed = max(s["days_observed"] for s in slots)
    if best:
        hours = ", ".join(f"{WEEKDAYS[s['weekday'] - 1]} {s['hour']:02d}:00" for s in best)
        words = f"<p>Most followers online: <b data-figure='best_hours'>{hours}</b> UTC"
    else:
        words = f"<p>No hour was observed on {MIN_DAYS_ONLINE} days yet, so none is ranked"
    words += f" (over up to {observed} days of reads; a blank hour has fewer than {MIN_DAYS_ONLINE}).</p>"
    return block(title, words + page.figure(f"{anchor}-online", figure), wide=True)


def competitors_section(wh: Warehouse, page: Page, names: Names) -> str:
    """The competitors beside the user's own accounts, over time; then who talks to whom."""
    why = wh.missing("competitor_benchmark", "no competitor was configured ([sources.instagram_graph] competitors)")
    parts = []
    if why:
        parts.append(block(graph_title("Competitors"), note(why)))
    else:
        latest = wh.rows(
            "SELECT account_id, username, is_own_account, followers, follower_change, posts_per_week,"
            " mean_likes_comments, engagement_rate_by_followers FROM {a}.competitor_benchmark"
            " QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY observed_at DESC) = 1"
            " ORDER BY is_own_account DESC, followers DESC, account_id LIMIT ?",
            TOP_ROWS,
        )
        columns = (
            Column("username", "account"),
            Column("is_own_account", "yours"),
            Column("followers", "followers", "int"),
            Column("follower_change", "change since the day before", "int"),
            Column("posts_per_week", "posts a week", "float"),
            Column("mean_likes_comments", "likes + comments per post", "float"),
            Column("engagement_rate_by_followers", "engagement per follower", "percent"),
        )
        parts.append(block(graph_title("Competitors, latest snapshot"), table("competitors", latest, columns, names)))
        history = wh.rows(
            "SELECT username, day, followers FROM {a}.competitor_benchmark ORDER BY username, day",
        )
        accounts = sorted({row["username"] for row in history if row["username"]})
        if len({row["day"] for row in history}) > 1:
            figure = go.Figure(
                [
                    go.Scatter(
                        x=[r["day"] for r in history if r["username"] == name],
                        y=[r["followers"] for r in history if r["username"] == name],
                        mode="lines+markers",
                        name=f"@{name}",
                    )
                    for name in accounts
                ]
            )
            figure.update_layout(height=320, margin={"t": 10, "l": 60, "r": 10, "b": 40}, yaxis={"rangemode": "tozero"})
            parts.append(block(graph_title("Followers over time"), page.figure("competitors-followers", figure)))
        else:
            parts.append(
                block(
                    graph_title("Followers over time"), note("one day of snapshots so far: the curves start tomorrow")
                )
            )
    parts.append(
        leaderboard(
            wh,
            names,
            graph_title("Who talks to whom in the comments"),
            "conversations",
            "conversation_edges",
            "no comment was read yet",
            "SELECT from_user_id AS author_id, to_user_id AS addressee_id, comments, replies, is_reciprocated, last_at"
            " FROM {a}.conversation_edges ORDER BY messages DESC, from_user_id, to_user_id LIMIT ?",
            (
                Column("author", "who", "user"),
                Column("addressee", "to whom", "user"),
                Column("comments", "comments on their posts", "int"),
                Column("replies", "replies to their comments", "int"),
                Column("is_reciprocated", "answered back"),
                Column("last_at", "last", "date"),
            ),
        )
    )
    return "<div class='pair'>" + "".join(parts) + "</div>"

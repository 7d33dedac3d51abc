"""The building blocks of the report (`pipelines/report.py`) and of its Graph API sections
(`pipelines/report_insights.py`): read-only queries on the analytics dataset, the page and its
Plotly figures, tables whose cells keep their raw values (the tests and the CSV export read
them), headline figures, and values as a reader sees them (handles, percentages, UTC times)."""

from __future__ import annotations

import html
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import plotly.graph_objects as go

from pipelines.warehouse import ANALYTICS_DATASET

TOP_ROWS = 15
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # ISO days 1 to 7
NO_TRANSFORMS = (
    "the warehouse has no instagram_analytics dataset: the transforms have not run on it yet"
    " (python -m pipelines.run builds it after each load, python -m transforms on its own)"
)


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

    figures: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def figure(self, div_id: str, figure: Any) -> str:
        self.figures.append((div_id, figure.to_plotly_json()))
        return f'<div class="chart" id="{div_id}"></div>'


@dataclass(frozen=True)
class Column:
    """A column of a report table: `key` in the query's rows, its title, and how to show it.
    kinds: text, int, float, percent, ratio (×), date, time, user (the row's `<key>_id`, shown
    as its handle), media (the row's MEDIA_COLUMNS: a tile and its caption)."""

    key: str
    title: str
    kind: str = "text"


def note(text: str) -> str:
    return f'<p class="missing">Nothing to show: {html.escape(text)}.</p>'


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def formatted(value: Any, kind: str = "text") -> str:
    """`value` as a reader sees it: thousands separated, rates as percentages, times in UTC."""
    if value is None:
        return "—"
    if kind == "percent":
        return f"{value:.1%}" if value >= 0.001 or value == 0 else f"{value:.2%}"
    if kind == "ratio":
        return f"{value:.1f}×"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M" if kind == "time" else "%Y-%m-%d")
    return str(value)


class Names:
    """Handles of users, looked up in `user_profiles` (a user never read shows its id)."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self.known: dict[str, tuple[str | None, str | None]] = {}

    def load(self, ids: set[str]) -> None:
        wanted = sorted(ids - self.known.keys())
        if wanted and self.wh.has("user_profiles"):
            for row in self.wh.rows(
                "SELECT user_id, username, profile_url FROM {a}.user_profiles WHERE user_id IN (SELECT unnest(?))",
                wanted,
            ):
                self.known[row["user_id"]] = (row["username"], row["profile_url"])
        self.known.update({user: (None, None) for user in wanted if user not in self.known})

    def link(self, user_id: str) -> str:
        username, url = self.known.get(user_id, (None, None))
        if username is None:
            return f'<span class="user unknown">id {escape(user_id)}</span>'
        return f'<a class="user" href="{escape(url)}">@{escape(username)}</a>'


def thumbnail(row: dict[str, Any]) -> str:
    """A media as a tile and its caption. The tile is drawn here, not fetched: the page loads
    nothing from outside (and Instagram's image URLs expire); it links to the image."""
    media_type = row.get("media_type") or "image"
    glyph = {"video": "▶", "carousel": "❐"}.get(media_type, "")
    hue = zlib.crc32(row["media_id"].encode()) % 360  # a colour of its own, the same in every report
    caption = row.get("caption") or "(no caption)"
    tile = f'<span class="tile" style="background:hsl({hue},45%,62%)" title="{escape(media_type)}">{glyph}</span>'
    if row.get("image_url"):
        tile = f'<a href="{escape(row["image_url"])}">{tile}</a>'
    link = f' <a href="{escape(row["link"])}">open</a>' if row.get("link") else ""
    return f'<span class="media">{tile}<span class="caption">{escape(caption)}{link}</span></span>'


def table(table_id: str, rows: list[dict[str, Any]], columns: Sequence[Column], names: Names) -> str:
    """An HTML table with a CSV button. Each cell names its column in `data-column` and holds its
    raw value in `data-value` (the tests and the CSV export read them)."""
    names.load({row[f"{c.key}_id"] for row in rows for c in columns if c.kind == "user" and row[f"{c.key}_id"]})
    head = "".join(f'<th data-kind="{c.kind}">{escape(c.title)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            if c.kind == "user":
                value = row[f"{c.key}_id"]
                shown = names.link(value) if value else "—"
            elif c.kind == "media":
                value = row["media_id"]
                shown = thumbnail(row)
            else:
                value = row[c.key]
                shown = escape(formatted(value, c.kind))
            raw = "" if value is None else value.isoformat() if isinstance(value, datetime) else value
            cells.append(f'<td data-column="{c.key}" data-value="{escape(raw)}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="table"><button class="csv" data-table="{table_id}">CSV</button>'
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )


def block(title: str, body: str, wide: bool = False) -> str:
    return f"<div class='block{' wide' if wide else ''}'><h3>{html.escape(title)}</h3>{body}</div>"


def leaderboard(
    wh: Warehouse,
    names: Names,
    title: str,
    table_id: str,
    source: str,
    why_empty: str,
    sql: str,
    columns: Sequence[Column],
    why_no_rows: str = "",
    intro: str = "",
    wide: bool = False,
    params: Sequence[Any] = (),
) -> str:
    """A block with the top `TOP_ROWS` rows of `sql` (reading `source`; its parameters `params`,
    then the limit), or why `source` has none, or `why_no_rows` when `source` has rows but `sql`
    selects none of them."""
    why = wh.missing(source, why_empty)
    if why:
        return block(title, note(why))
    rows = wh.rows(sql, *params, TOP_ROWS)
    return block(title, intro + table(table_id, rows, columns, names) if rows else note(why_no_rows), wide)


def two_panels(upper: Sequence[Any], lower: Sequence[Any], upper_title: str, lower_title: str) -> Any:
    """One chart of two panels over the same time axis, the upper one taller: one figure, not
    two, as each figure costs the browser a drawing of its own. Both value axes start at zero."""
    figure = go.Figure([*upper, *(trace.update(yaxis="y2") for trace in lower)])
    figure.update_layout(
        height=380,
        margin={"t": 10, "l": 60, "r": 10, "b": 40},
        showlegend=False,
        xaxis={"anchor": "y2"},
        yaxis={"domain": [0.45, 1], "title": upper_title, "rangemode": "tozero"},
        yaxis2={"domain": [0, 0.33], "title": lower_title, "rangemode": "tozero"},
    )
    return figure


def figures(items: Sequence[tuple[str, str, str, str]], extra_class: str = "") -> str:
    """Headline figures: (key, label, shown value, raw value) each; `data-figure` names the key."""
    cards = "".join(
        f'<div class="figure"><div class="label">{escape(label)}</div>'
        f'<div class="value" data-figure="{key}" data-value="{escape("" if raw is None else raw)}">{shown}</div></div>'
        for key, label, shown, raw in items
    )
    return f'<div class="figures {extra_class}">{cards}</div>'


def week_hours_heatmap(
    cells: Sequence[dict[str, Any]], value: str, sample: str, minimum: int, colorscale: str, hovertemplate: str
) -> tuple[Any, int]:
    """A weekday (ISO 1-7, `weekday`) × hour (UTC, `hour`) heatmap of `value`, each cell showing
    its sample size (`sample`); a cell with fewer than `minimum` is left blank (an honest map
    colours no cell on one or two observations). Returns the figure and how many cells are coloured."""
    grid: list[list[float | None]] = [[None] * 24 for _ in WEEKDAYS]
    counts: list[list[int]] = [[0] * 24 for _ in WEEKDAYS]
    for cell in cells:
        counts[cell["weekday"] - 1][cell["hour"]] = cell[sample]
        if cell[sample] >= minimum:
            grid[cell["weekday"] - 1][cell["hour"]] = cell[value]
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            x=list(range(24)),
            y=list(WEEKDAYS),
            text=counts,
            texttemplate="%{text}",
            colorscale=colorscale,
            hoverongaps=False,
            hovertemplate=hovertemplate,
        )
    )
    figure.update_layout(height=320, margin={"t": 10, "l": 50, "r": 10, "b": 40})
    figure.update_yaxes(autorange="reversed")
    return figure, sum(cell is not None for row in grid for cell in row)

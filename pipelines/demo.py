"""The demo: a seeded emulator world served on loopback through both APIs (v1, and the Graph
API: the world's default user is the token's professional account), and each source configured
to match it.

The world depends only on the seed and size, never on the date, so two demo runs load identical
data and a demo killed part-way finishes the same tables when run again.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import Emulator, World, WorldConfig

DEMO_TAGS = 3
DEMO_LOCATIONS = 3
DEMO_CONTACTS = 2
DEMO_CRAWL_DEPTH = 2
DEMO_CRAWL_MAX_USERS = 300


def source_config_for(world: World) -> dict[str, Any]:
    """Source settings (arguments of `instagram(...)`) naming entities that exist in `world`."""
    tags = sorted(world.tag_names(), key=lambda name: -world.tag(name)["media_count"])[:DEMO_TAGS]
    locations = sorted(world.location_ids(), key=lambda lid: -len(world.location_media(lid)))
    city = world.location(locations[0])
    me = world.default_user_id
    contacts = world.follows(me)[:DEMO_CONTACTS] + world.followed_by(me)[:DEMO_CONTACTS]
    return {
        "tags": tags,
        "location_ids": locations[:DEMO_LOCATIONS],
        "geography_ids": sorted(world.geography_ids())[:1],
        # self and a few of its contacts, so relationships have something to say
        "user_ids": ["self", *contacts],
        "user_search_queries": [world.user(me)["username"][:3]],
        "tag_search_queries": tags[:1],
        "location_search_points": [[city["latitude"], city["longitude"], 750]],
        "media_search_points": [[city["latitude"], city["longitude"], 1000]],
        "crawl_depth": DEMO_CRAWL_DEPTH,
        "crawl_max_users": DEMO_CRAWL_MAX_USERS,
    }


@dataclass(frozen=True)
class DemoSettings:
    """The settings of each source that read the demo's world: arguments of `instagram(...)`
    and of `instagram_graph(...)`."""

    v1: dict[str, Any]
    graph: dict[str, Any]


@contextlib.contextmanager
def emulators_for_demo(args: argparse.Namespace) -> Iterator[DemoSettings]:
    """Serve a seeded world through the v1 API (follow lists of any user, so the crawl finds a
    real graph) and through the Graph API, and give the settings that read it. Settings the
    user configured in the environment (`SOURCES__INSTAGRAM__...`) win over the demo's v1
    choices; the emulators' URLs and tokens always apply (the tokens as arguments in memory,
    never in argv or a log)."""
    world = World(WorldConfig(seed=args.seed, users=args.demo_users))
    with Emulator(world, follows_any_user=True) as v1, Emulator(world, api="graph") as graph:
        settings = {
            key: value
            for key, value in source_config_for(world).items()
            if f"SOURCES__INSTAGRAM__{key.upper()}" not in os.environ
        }
        yield DemoSettings(
            {**settings, "base_url": v1.base_url, "access_token": v1.access_token},
            {"base_url": graph.base_url, "access_token": graph.access_token},
        )


def print_next_steps(database: Path | str, read_copy: Path | None) -> None:
    """What to query next; `database` is the DuckDB file, or the name of another destination;
    `read_copy` the analysts' copy the run published, if any."""
    if isinstance(database, Path):
        # the duckdb Python package is installed with the project; its command line is not
        readable = read_copy or database
        how_to_open = f"""The warehouse is ready: {database}

Open {"the read copy the run published, " if read_copy else ""}{readable.name}, read-only from Python:
  .venv/bin/python -c "import duckdb; print(duckdb.connect('{readable.name}', read_only=True).sql('SHOW ALL TABLES'))"
"""
    else:
        how_to_open = f"The warehouse is ready in the configured {database} database (e.g. psql).\n"
    keep_open = (
        f"Keep a session on {read_copy.name} as long as you like: later runs publish a new copy and\n"
        "never wait for it (docs/analysts.md).\n"
        if read_copy
        else ""
    )
    print(
        f"""
{how_to_open}{keep_open}
Queries worth trying:
  -- who matters in the network
  SELECT user_id, followers, pagerank, community_id
  FROM instagram_analytics.user_graph_metrics ORDER BY pagerank DESC LIMIT 10;
  -- what earns engagement
  SELECT media_id, likes, comments, engagement_rate_by_followers
  FROM instagram_analytics.media_engagement ORDER BY engagement_rate_by_followers DESC LIMIT 10;
  -- follows and unfollows over time
  SELECT * FROM instagram_analytics.follow_events ORDER BY observed_at DESC LIMIT 20;
  -- the network as a whole
  SELECT * FROM instagram_analytics.graph_summary;
  -- what only the Graph API tells (the token's own account): the media reaching most accounts
  SELECT media_id, max(value) AS reach FROM instagram_graph_raw.media_insights
  WHERE metric = 'reach' GROUP BY media_id ORDER BY reach DESC LIMIT 10;

Docs: docs/tables.md describes every table and column."""
    )

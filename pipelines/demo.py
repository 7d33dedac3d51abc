"""The demo: a seeded emulator world served on loopback, and a source configured to match it.

The world depends only on the seed and size, never on the date, so two demo runs load identical
data and a demo killed part-way finishes the same tables when run again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from emulator import Emulator, World, WorldConfig

DEMO_TAGS = 3
DEMO_LOCATIONS = 3
DEMO_CONTACTS = 2
DEMO_CRAWL_DEPTH = 2
DEMO_CRAWL_MAX_USERS = 300


def source_config_for(world: World) -> dict[str, str]:
    """dlt configuration (as environment variables) naming entities that exist in `world`."""
    tags = sorted(world.tag_names(), key=lambda name: -world.tag(name)["media_count"])[:DEMO_TAGS]
    locations = sorted(world.location_ids(), key=lambda lid: -len(world.location_media(lid)))
    city = world.location(locations[0])
    me = world.default_user_id
    contacts = world.follows(me)[:DEMO_CONTACTS] + world.followed_by(me)[:DEMO_CONTACTS]
    return {
        "TAGS": json.dumps(tags),
        "LOCATION_IDS": json.dumps(locations[:DEMO_LOCATIONS]),
        "GEOGRAPHY_IDS": json.dumps(sorted(world.geography_ids())[:1]),
        # self and a few of its contacts, so relationships have something to say
        "USER_IDS": json.dumps(["self", *contacts]),
        "USER_SEARCH_QUERIES": json.dumps([world.user(me)["username"][:3]]),
        "TAG_SEARCH_QUERIES": json.dumps(tags[:1]),
        "LOCATION_SEARCH_POINTS": json.dumps([[city["latitude"], city["longitude"], 750]]),
        "MEDIA_SEARCH_POINTS": json.dumps([[city["latitude"], city["longitude"], 1000]]),
        "CRAWL_DEPTH": str(DEMO_CRAWL_DEPTH),
        "CRAWL_MAX_USERS": str(DEMO_CRAWL_MAX_USERS),
    }


@contextlib.contextmanager
def emulator_for_demo(args: argparse.Namespace) -> Iterator[Emulator]:
    """Serve a seeded world (follow lists of any user, so the crawl finds a real graph)."""
    world = World(WorldConfig(seed=args.seed, users=args.demo_users))
    with Emulator(world, follows_any_user=True) as emulator:
        for key, value in source_config_for(world).items():
            # flags and variables the user set win over the demo's choices
            os.environ.setdefault(f"SOURCES__INSTAGRAM__{key}", value)
        # the token reaches the source through dlt's secret lookup, never through argv or logs
        os.environ["SOURCES__INSTAGRAM__BASE_URL"] = emulator.base_url
        os.environ["SOURCES__INSTAGRAM__ACCESS_TOKEN"] = emulator.access_token
        yield emulator


def print_next_steps(database: Path) -> None:
    print(
        f"""
The warehouse is ready: {database}

Open it with the DuckDB command line (`duckdb {database.name}`) or from Python:
  .venv/bin/python -c "import duckdb; print(duckdb.connect('{database.name}', read_only=True).sql('SHOW ALL TABLES'))"

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

Docs: docs/tables.md describes every table and column."""
    )

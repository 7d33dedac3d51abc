"""Configured entities the server refused as unknown: a typo in the configuration, or an
entity deleted since (read by the runner after the load)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import dlt

logger = logging.getLogger("sources.instagram")


def refused_entities(pipeline: dlt.Pipeline, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Of `wanted` (configured entities as (kind, id): tag, location, user), those the server
    refused as unknown (an `extraction_errors` refusal other than a private user's) and that no
    read has loaded since, as (kind, id, the server's message): a typo in the configuration, or
    an entity deleted since."""
    wanted = set(wanted)
    wanted |= {("list", f"{kind}:{entity_id}") for kind, entity_id in wanted}
    if not wanted:
        return []
    refused: list[tuple[str, str, str]] = []
    named: set[tuple[str, str]] = set()  # a list's refusal and its entity's name one entity
    try:
        with pipeline.sql_client() as client:
            errors = client.make_qualified_table_name("extraction_errors")
            ids = sorted({entity_id for _, entity_id in wanted})
            rows = client.execute_sql(
                f"SELECT entity_kind, entity_id, max(observed_at), min(message) FROM {errors}"
                " WHERE gave_up IS NULL AND failed_runs IS NULL AND error_type <> 'APINotAllowedError'"
                f" AND entity_id IN ({', '.join(['%s'] * len(ids))}) GROUP BY entity_kind, entity_id",
                *ids,
            )
            for kind, entity_id, refused_at, message in rows or []:
                if (kind, entity_id) not in wanted:
                    continue
                kind, entity_id = entity_id.split(":", 1) if kind == "list" else (kind, entity_id)
                read_since = None
                if kind in ("tag", "user"):
                    table = client.make_qualified_table_name("tags" if kind == "tag" else "users")
                    key = "name" if kind == "tag" else "id"
                    read_since = client.execute_sql(
                        f"SELECT max(observed_at) FROM {table} WHERE {key} = %s AND observed_at > %s",
                        entity_id,
                        refused_at,
                    )[0][0]
                if read_since is None and (kind, entity_id) not in named:
                    named.add((kind, entity_id))
                    refused.append((kind, entity_id, message))
    except Exception as error:  # noqa: BLE001 - no error table yet (nothing refused): nothing missing
        logger.debug("no configured entity checked: %s", error)
        return []
    return sorted(refused)

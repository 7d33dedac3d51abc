"""Per-entity failures are recorded and skipped; a bad token fails fast; no secret leaks."""

from __future__ import annotations

import logging
from pathlib import Path

import dlt
import pytest

from emulator import Emulator, FaultPlan, World
from sources.instagram.helpers import client as client_module
from sources.instagram.helpers.client import sign
from tests.warehouses import DESTINATIONS, Warehouses

from .conftest import Loader, only
from .leaks import places_holding, readable_texts, warehouse_rows


def test_unknown_and_private_entities_are_recorded_and_skipped(
    world: World, emulator: Emulator, loader: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    private = next(u for u in world.user_ids() if world.is_private(u) and u not in world.follows(world.default_user_id))
    tag = sorted(world.tag_names(), key=lambda t: -len(world.tag_media(t)))[0]
    with caplog.at_level(logging.INFO, logger="sources.instagram"):
        loader.run(
            emulator,
            user_ids=["self", private, "12345"],
            tags=["no_such_tag_anywhere", tag],
            location_ids=["999999999"],
            media_ids=["1_1"],
            **only("user_profiles", "user_media", "tag_media", "location_media", "media_details"),
        )
    errors = set(loader.rows("SELECT entity_kind, entity_id, error_type FROM extraction_errors"))
    assert {
        ("user", private, "APINotAllowedError"),
        ("list", f"user:{private}", "APINotAllowedError"),
        ("user", "12345", "APINotFoundError"),
        ("tag", "no_such_tag_anywhere", "APINotFoundError"),
        ("location", "999999999", "APINotFoundError"),
    } <= errors
    assert any(kind == "media" and entity == "1_1" for kind, entity, _ in errors)
    # the run went on: the readable entities are there
    assert sorted(loader.rows("SELECT media_id FROM tag_media")) == sorted((m,) for _, m in world.tag_media(tag))
    assert set(world.media_ids_of_user(world.default_user_id)) <= set(loader.column("SELECT id FROM media"))
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    assert len(skipped) == len(set(skipped)) == len(errors)

    loader.run(emulator, user_ids=["self", private], **only("user_profiles"))  # recorded once per kind
    assert loader.column(f"SELECT count(*) FROM extraction_errors WHERE entity_id LIKE '%{private}'") == [2]


def test_invalid_token_stops_the_run_at_the_first_request(emulator: Emulator, loader: Loader) -> None:
    loader.run(emulator, access_token="not-a-token-0123456789")
    assert emulator.stats.total == 1
    stopped_by = loader.last_run()["stopped_by"]
    assert stopped_by["auth"] is True
    assert "The access_token provided is invalid." in stopped_by["message"]
    assert "not-a-token-0123456789" not in stopped_by["message"]


@pytest.mark.parametrize("warehouses", DESTINATIONS, indirect=True)
def test_no_secret_in_logs_state_traces_or_database(
    world: World,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    warehouses: Warehouses,
) -> None:
    secret = "client-secret-4d1f9a7c0e"
    token = "tok.3b7e1c.9f2a6d8e4b0c1a5f7e3d9b2c6a8f0e4d"
    signatures: list[str] = []
    monkeypatch.setattr(client_module, "sign", lambda *args: signatures.append(sign(*args)) or signatures[-1])
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")
    dlt_logger = logging.getLogger("dlt")  # dlt's own logger does not propagate to the root
    monkeypatch.setattr(dlt_logger, "level", logging.DEBUG)
    dlt_logger.addHandler(caplog.handler)
    plan = FaultPlan(seed=5, rates={"reset": 0.05, "truncated": 0.05, "http_502": 0.05, "malformed": 0.05})
    loader = Loader(tmp_path, warehouse=warehouses.new(tmp_path))
    try:
        with (
            caplog.at_level(logging.DEBUG),
            Emulator(world, follows_any_user=True, enforce_signature=True, client_secret=secret, faults=plan) as emu,
        ):
            emu.add_token(token, world.default_user_id)
            config = dict(
                client_secret=secret,
                access_token=token,
                crawl_depth=1,
                crawl_max_users=10,  # enough signed requests for the scan below
                retry_backoff_seconds=0.01,
                request_attempts=8,
                media_page_size=5,
                tags=["no_such_tag"],
            )
            loader.run(emu, **config)
            assert loader.column("SELECT count(*) FROM follow_edges") != [0]
            # a stopped run: a wrong secret is refused (signature); its reason lands in dlt
            # state and its trace is written too
            loader.run(emu, **{**config, "client_secret": "wrong-secret-77aa"})
            reason = loader.last_run()["stopped_by"]["message"]
            assert "Signature" in reason or "signed" in reason
            loader.pipeline().run([loader.pipeline().last_trace], table_name="_trace")
    finally:
        dlt_logger.removeHandler(caplog.handler)

    # the scan looks where a leak would be: urllib3 logged every URL (masked), signed requests
    # were made, and the warehouse holds the source's rows and the loaded trace
    assert "access_token=***" in caplog.text and "sig=***" in caplog.text
    assert len(set(signatures)) > 50
    out, err = capfd.readouterr()
    places = {"logs": caplog.text, "stdout": out, "stderr": err, **readable_texts(tmp_path)}
    server_secrets: tuple[str, ...] = ()
    if loader.warehouse.kind == "duckdb":
        rows_place = f"{loader.database}#rows"
    else:  # the database's rows, and its password is a secret too
        rows_place, places[rows_place] = "warehouse#rows", warehouse_rows(loader.pipeline())
        server_secrets = (warehouses.server.password,)
    assert "_trace__steps" in places[rows_place] or loader.column("SELECT count(*) FROM _trace") != [0]
    for value in (token, secret, "wrong-secret-77aa", *set(signatures), *server_secrets):
        leaks = places_holding(value, places)
        assert not leaks, f"{value[:4]}… found in {leaks}"


def test_the_leak_scan_sees_through_compression(tmp_path: Path) -> None:
    """A token loaded into thousands of rows may be FSST-compressed in the DuckDB file (a byte
    search then misses it), load package files are gzipped and state is stored compressed:
    the scan must still find it in each."""
    token = "tok.5e0c2a.7d1b9f3e6a4c8b2d0f5e7a9c1b3d6e8f"

    @dlt.resource(name="leaky")
    def leaky():
        dlt.current.resource_state()["url"] = f"/users/self?access_token={token}"
        yield [{"id": i, "url": f"/users/{i * 7919}/media/recent?access_token={token}&n={i}"} for i in range(3000)]

    database = tmp_path / "leaky.duckdb"
    pipeline = dlt.pipeline(
        "leaky",
        destination=dlt.destinations.duckdb(str(database)),
        dataset_name="raw",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    pipeline.run(leaky())
    found = places_holding(token, readable_texts(tmp_path))
    assert f"{database}#rows" in found
    assert any(place.endswith(".insert_values.gz") and "/leaky." in place for place in found)
    assert any("_dlt_pipeline_state." in place for place in found)


def test_creating_the_source_does_no_io(emulator: Emulator) -> None:
    from sources.instagram import instagram

    source = instagram(access_token=emulator.access_token, base_url=emulator.base_url)
    assert sorted(source.resources) == sorted(source.selected_resources)
    assert emulator.stats.total == 0


def test_bad_configuration_is_refused_with_a_clear_error(emulator: Emulator) -> None:
    from sources.instagram import InstagramTuning, instagram

    with pytest.raises(ValueError, match="unknown resources"):
        instagram(access_token=emulator.access_token, resources=["user_media", "stories"])
    with pytest.raises(ValueError, match="location_search_points"):
        instagram(access_token=emulator.access_token, location_search_points=[[48.8, 2.3]])
    with pytest.raises(ValueError, match="budget_share"):
        instagram(access_token=emulator.access_token, tuning=InstagramTuning(budget_share=1.5))


def test_tuning_is_read_from_its_own_section_and_refused_where_it_was(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sources.instagram import instagram

    monkeypatch.setenv("SOURCES__INSTAGRAM__TUNING__WORKERS", "0")
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        instagram(access_token=emulator.access_token)
    monkeypatch.delenv("SOURCES__INSTAGRAM__TUNING__WORKERS")
    monkeypatch.setenv("SOURCES__INSTAGRAM__WORKERS", "4")
    with pytest.raises(
        ValueError, match=r"sources\.instagram\.workers: these settings moved to \[sources\.instagram\.tuning\]"
    ):
        instagram(access_token=emulator.access_token)

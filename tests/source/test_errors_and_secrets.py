"""Per-entity failures are recorded and skipped; a bad token fails fast; no secret leaks."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from emulator import Emulator, FaultPlan, World
from sources.instagram import InstagramAuthError

from .conftest import Loader, only


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
    assert loader.column("SELECT count(*) FROM extraction_errors WHERE entity_id LIKE '%%%s'" % private) == [2]


def test_invalid_token_fails_at_the_first_request(emulator: Emulator, loader: Loader) -> None:
    with pytest.raises(PipelineStepFailed) as failure:
        loader.run(emulator, access_token="not-a-token-0123456789")
    assert emulator.stats.total == 1
    cause = failure.value.__cause__
    while cause is not None and not isinstance(cause, InstagramAuthError):
        cause = cause.__cause__
    assert isinstance(cause, InstagramAuthError)
    assert "The access_token provided is invalid." in str(cause)
    assert "not-a-token-0123456789" not in str(failure.value)


def test_no_secret_in_logs_state_traces_or_database(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "client-secret-4d1f9a7c0e"
    token = "tok.3b7e1c.9f2a6d8e4b0c1a5f7e3d9b2c6a8f0e4d"
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")
    plan = FaultPlan(seed=5, rates={"reset": 0.05, "truncated": 0.05, "http_502": 0.05, "malformed": 0.05})
    loader = Loader(tmp_path)
    with caplog.at_level(logging.DEBUG), Emulator(
        world, follows_any_user=True, enforce_signature=True, client_secret=secret, faults=plan
    ) as emu:
        emu.add_token(token, world.default_user_id)
        config = dict(client_secret=secret, access_token=token, crawl_depth=1, crawl_max_users=5,
                      retry_backoff_seconds=0.01, request_attempts=8, media_page_size=5, tags=["no_such_tag"])
        loader.run(emu, **config)
        assert loader.column("SELECT count(*) FROM follow_edges") != [0]
        # a failing run: a wrong secret is refused (signature), its trace is written too
        with pytest.raises(PipelineStepFailed) as failure:
            loader.run(emu, **{**config, "client_secret": "wrong-secret-77aa"})
        assert "Signature" in str(failure.value) or "signed" in str(failure.value)
        loader.pipeline().run([loader.pipeline().last_trace], table_name="_trace")

    assert "GET /v1/" in caplog.text or "/v1/" in caplog.text  # urllib3 did log the requests
    places = {"logs": caplog.text}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("latin-1")
    for value in (token, secret, "wrong-secret-77aa"):
        leaks = [where for where, text in places.items() if value in text]
        assert not leaks, f"{value[:4]}… found in {leaks}"


def test_creating_the_source_does_no_io(emulator: Emulator) -> None:
    from sources.instagram import instagram

    source = instagram(access_token=emulator.access_token, base_url=emulator.base_url)
    assert sorted(source.resources) == sorted(source.selected_resources)
    assert emulator.stats.total == 0


def test_bad_configuration_is_refused_with_a_clear_error(emulator: Emulator) -> None:
    from sources.instagram import instagram

    with pytest.raises(ValueError, match="unknown resources"):
        instagram(access_token=emulator.access_token, resources=["user_media", "stories"])
    with pytest.raises(ValueError, match="location_search_points"):
        instagram(access_token=emulator.access_token, location_search_points=[[48.8, 2.3]])
    with pytest.raises(ValueError, match="budget_share"):
        instagram(access_token=emulator.access_token, budget_share=1.5)

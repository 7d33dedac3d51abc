"""Fixtures for the emulator tests: small worlds and running emulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from emulator import Emulator, World

from .helpers import SMALL_WORLD, Client


@pytest.fixture
def world() -> World:
    """A fresh small world (tests may change it)."""
    return World(SMALL_WORLD)


@pytest.fixture
def serve() -> Iterator[Callable[..., Emulator]]:
    """`serve(world=None, **options)`: a running emulator, stopped after the test."""
    running: list[Emulator] = []

    def start(world: World | None = None, **options: object) -> Emulator:
        emulator = Emulator(world or World(SMALL_WORLD), **options).start()
        running.append(emulator)
        return emulator

    yield start
    for emulator in running:
        emulator.stop()


@pytest.fixture
def emu(serve: Callable[..., Emulator], world: World) -> Emulator:
    """A running 2016-era emulator over `world`."""
    return serve(world)


@pytest.fixture
def client(emu: Emulator) -> Client:
    """A client of `emu` with the default user's all-scopes token."""
    return Client(emu)


@pytest.fixture
def me(world: World) -> str:
    return world.default_user_id

"""Small worlds for the world's tests (hundreds of users: built in tens of milliseconds)."""

import pytest

from emulator.world import World, WorldConfig

SMALL = WorldConfig(seed=7, users=400)


@pytest.fixture(scope="session")
def shared_world() -> World:
    """A world the tests only read from (never write to it)."""
    return World(SMALL)


@pytest.fixture
def world() -> World:
    """A fresh world a test may change."""
    return World(SMALL)

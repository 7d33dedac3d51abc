"""A faithful local emulator of the Instagram API v1 over a synthetic, seeded world.

`Emulator(world, ...)` serves the API on loopback; `World(WorldConfig(...))` is the world it
answers from (and the truth tests check against). See docs/emulator.md.
"""

from .faults import FaultPlan
from .server import Emulator
from .world import World, WorldConfig

__all__ = ["Emulator", "FaultPlan", "World", "WorldConfig"]

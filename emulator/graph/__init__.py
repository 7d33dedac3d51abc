"""The Instagram Graph API mode of the emulator (docs/emulator.md, "Graph mode")."""

"""The public registry's world (tests/public_world.py) on SQLite and PostgreSQL."""

from tests.public_world import sqlite_world_template, world  # noqa: F401 - fixtures

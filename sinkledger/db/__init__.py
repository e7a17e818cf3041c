"""The database: the engine and its transactions (``database``), the schema's extras that
Alembic installs after every migration run (``schema``: append-only triggers, spatial index),
and the migrations themselves (``migrations``), the only way a schema is created or upgraded,
on SQLite and PostgreSQL alike."""

"""Make the "database made by a released version" fixtures for ``tests/test_release_database.py``.

Run it from a checkout of the release to preserve (not from newer code), e.g.::

    git worktree add /tmp/rel <commit> && cd /tmp/rel
    python tests/data/make_release_db.py --out tests/data [--pg-url postgresql+psycopg://...]

It seeds the synthetic demo (``python -m sinkledger demo --json``) into a fresh SQLite database
(and, with ``--pg-url``, into that PostgreSQL database, which it empties first), verifies it, and
writes beside it:

- ``release_demo.sqlite.gz``: the SQLite file, gzipped;
- ``release_demo.pg.sql.gz``: a plain ``pg_dump`` of the PostgreSQL demo (tables and data only:
  no owner, no privileges, no extension statements), gzipped;
- ``release_demo.json``: the commit that made them, the Alembic revision they carry, and what
  ``verify`` said then (entry count, head hash, Merkle root) for each backend.

The personal data in the demo is encrypted under a **test-only key** derived from a public
phrase (:data:`TEST_ONLY_DATA_KEY`), not a secret: the demo's people are synthetic, and the
tests read them back with the same key.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: TEST ONLY, NOT A SECRET: the data key the fixture's synthetic personal data is encrypted with.
TEST_ONLY_DATA_KEY = base64.b64encode(
    hashlib.sha256(b"sinkledger tests/data release fixture: TEST ONLY, not a secret").digest()).decode("ascii")


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> dict:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-m", "sinkledger", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def make(url: str, home: Path, repo: Path) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "DATABASE_URL": url, "SINKLEDGER_HOME": str(home),
           "SINKLEDGER_DATA_KEY": TEST_ONLY_DATA_KEY}
    env.pop("SINKLEDGER_DATA_KEY_FILE", None)
    run_cli(["demo", "--reset", "--json"] if url.startswith("postgresql") else ["demo", "--json"], env, repo)
    verified = run_cli(["verify", "--json"], env, repo)
    assert verified["ok"], verified
    return {k: verified[k] for k in ("entries", "head_hash", "merkle_root", "credits_issued")}


def alembic_revision(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return revision


def pg_dump(url: str, target: Path) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    cmd = ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "--schema=public",
           "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", u.database]
    dump = subprocess.run(cmd, capture_output=True, text=True, check=True,
                          env={**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}).stdout
    # Keep what any SQL client can run into a database that already has PostGIS in ``public``:
    # no psql meta-commands, no schema or extension statements, functions replaceable.
    skip = ("\\", "CREATE EXTENSION", "COMMENT ON EXTENSION", "CREATE SCHEMA public;", "COMMENT ON SCHEMA public",
            "SELECT pg_catalog.set_config")
    keep = [line.replace("CREATE FUNCTION ", "CREATE OR REPLACE FUNCTION ", 1)
            for line in dump.splitlines() if not line.startswith(skip)]
    with gzip.open(target, "wt", encoding="utf-8") as out:
        out.write("\n".join(keep) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--pg-url", default="", help="an expendable PostgreSQL database (emptied first)")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[2]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                            check=True).stdout.strip()
    record: dict = {"commit": commit, "made_by": "tests/data/make_release_db.py", "backends": {}}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "release.db"
        url = f"sqlite:///{db}"
        record["backends"]["sqlite"] = {**make(url, Path(tmp) / "home", repo), "revision": alembic_revision(url)}
        with open(db, "rb") as src, gzip.open(args.out / "release_demo.sqlite.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        if args.pg_url:
            record["backends"]["postgresql"] = {**make(args.pg_url, Path(tmp) / "home-pg", repo),
                                                "revision": alembic_revision(args.pg_url)}
            pg_dump(args.pg_url, args.out / "release_demo.pg.sql.gz")
    (args.out / "release_demo.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()

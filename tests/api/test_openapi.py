"""The API's contract does not change unnoticed: ``/openapi.json`` as the running server serves
it equals ``tests/api/openapi_snapshot.json``; the interactive pages are at ``/docs``.

After a deliberate change of the API, regenerate the snapshot and review its diff::

    PYTHONPATH=. python -m tests.api.test_openapi

(it builds the app over a throwaway initialised SQLite database and writes the file).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")


def test_openapi_matches_the_snapshot(api_server):  # type: ignore[no-untyped-def]
    with api_server.client() as http:
        served = http.get("/openapi.json")
        docs = http.get("/docs")
    assert served.status_code == 200 and docs.status_code == 200 and "swagger" in docs.text.lower()
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert served.json() == expected, "the API changed: regenerate the snapshot (see this module) and review it"


def test_every_endpoint_but_the_open_ones_needs_a_key():  # type: ignore[no-untyped-def]
    spec = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    open_paths = {"/health", "/problems/{code}"}  # and the public registry, open to anyone
    public = [p for p in spec["paths"] if p.startswith("/public/")]
    assert len(public) >= 8
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            secured = bool(operation.get("security"))
            assert secured == (path not in open_paths and not path.startswith("/public/")), (method, path)
            if path.startswith("/public/"):
                assert method == "get", (method, path)  # the public registry only reads


def regenerate() -> None:
    from sinkledger.api.app import create_app
    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service

    with tempfile.TemporaryDirectory() as home:
        svc = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{home}/snapshot.db", "SINKLEDGER_HOME": home}))
        svc.initialise()
        spec = create_app(svc).openapi()
        svc.db.dispose()
    SNAPSHOT.write_text(json.dumps(spec, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}", file=sys.stderr)


if __name__ == "__main__":
    regenerate()

"""The bad-input suite on every endpoint that takes a JSON body, read from the API's own OpenAPI
document (so a new endpoint is covered the day it appears): each field in turn gets a value of a
wrong JSON type, a required field goes missing, an unknown field is added; each answer is
``422 request_invalid`` as problem+json naming that field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_openapi import SNAPSHOT

WRONG_FOR = {"string": [7, ["x"]], "integer": ["7", 1.5, True, None], "boolean": ["yes", 2],
             "array": ["x", {"a": 1}], "object": ["x", [1]]}


def _spec() -> dict[str, Any]:
    import json

    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def _json_posts() -> list[tuple[str, str]]:
    """(path, schema name) of every POST with a JSON body."""
    out = []
    for path, operations in _spec()["paths"].items():
        body = operations.get("post", {}).get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            out.append((path, body["schema"]["$ref"].rsplit("/", 1)[1]))
    return out


def _types(prop: dict[str, Any]) -> set[str]:
    found = {prop["type"]} if "type" in prop else set()
    for option in prop.get("anyOf", []):
        found |= _types(option)
    if "$ref" in prop:
        found.add("object")
    return found - {"null"}


def _valid(prop: dict[str, Any]) -> Any:
    kind = min(_types(prop)) if _types(prop) else "string"
    return {"string": "x", "integer": 1, "boolean": False, "array": [], "object": {}}[kind]


def _cases(schema_name: str) -> list[tuple[str, dict[str, Any], str]]:
    schema = _spec()["components"]["schemas"][schema_name]
    props, required = schema["properties"], set(schema.get("required", []))
    base = {name: _valid(prop) for name, prop in props.items() if name in required}
    cases = [("unknown_field", {**base, "not_a_field": 1}, "not_a_field")]
    for name, prop in props.items():
        types = _types(prop)
        for kind in sorted(types):
            for wrong in WRONG_FOR.get(kind, []):
                if wrong is None and name not in required:
                    continue  # null is "not given" for an optional field
                if any(_fits(wrong, other) for other in types):
                    continue
                cases.append((f"{name}={wrong!r}", {**base, name: wrong}, name))
        if name in required:
            cases.append((f"{name} missing", {k: v for k, v in base.items() if k != name}, name))
    return cases


def _fits(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}[kind])


POSTS = _json_posts()


def test_the_suite_sees_every_json_endpoint() -> None:
    assert {"/v1/sales", "/v1/retirements", "/v1/pledges", "/v1/court/cases", "/v1/losses", "/v1/claims",
            "/v1/liens", "/v1/payments", "/v1/issuances", "/v1/estimates"} <= {p for p, _ in POSTS}


@pytest.mark.parametrize(("path", "schema"), POSTS, ids=[p for p, _ in POSTS])
def test_every_wrong_field_is_refused_and_writes_nothing(api_server, path, schema):  # type: ignore[no-untyped-def]
    before = api_server.head()
    failures = []
    cases = _cases(schema)
    url = path.replace("{", "").replace("}", "")  # a path parameter's name as its (unknown) value
    key_per = 30  # calls per key, below the server's burst
    for start in range(0, len(cases), key_per):
        with api_server.client(api_server.key("admin")) as http:
            for label, body, field in cases[start:start + key_per]:
                response = http.post(url, json=body)
                problem = response.json()
                if (response.status_code, response.headers["content-type"], problem.get("code")) != (
                        422, "application/problem+json", "request_invalid") or field not in problem["params"]["field"]:
                    failures.append(f"{label}: {response.status_code} {response.text[:160]}")
    assert not failures, f"{path}: {len(failures)} of {len(cases)}:\n" + "\n".join(failures)
    assert api_server.head() == before

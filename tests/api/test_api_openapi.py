"""The OpenAPI document describes exactly the routes the API serves."""

from __future__ import annotations

import re

from web.api import bp


def _document_paths(app):  # type: ignore[no-untyped-def]
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{bp.name}."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return served


def test_document_matches_the_routes(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"] == "3.1.0" and document["info"]["title"]
    described = {path: set(ops) for path, ops in document["paths"].items()}
    assert described == _document_paths(app)


def test_every_reference_resolves_and_every_operation_has_errors(client):
    document = client.get("/api/openapi.json").get_json()
    text = str(document)
    for ref in set(re.findall(r"#/components/(\w+)/(\w+)", text)):
        assert ref[1] in document["components"][ref[0]], ref
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and "200" in op["responses"] or "201" in op["responses"] or "204" in op["responses"]
            if path != "/api/openapi.json":
                assert "401" in op["responses"], (method, path)
            for name in re.findall(r"{(\w+)}", path):
                assert any(p.get("name") == name and p.get("in") == "path" for p in op.get("parameters", [])), (
                    method,
                    path,
                )
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"

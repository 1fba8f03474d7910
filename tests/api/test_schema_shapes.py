"""The OpenAPI schema is typed end to end: no object without its fields but where the shape is the
user's, every operation named and tagged by hand, every parameter a call takes described.
"""

from __future__ import annotations

from typing import Any

import pytest

from history.api.operations import OPERATIONS

from .test_schema_fuzz import generated_schema

# Where any JSON is right: the user's payloads and models, raw values, attributes, error details.
FREE_FORM = {
    "POST /api/runs/{id}/hooks/{name} body application/json",  # the hook's answer model
    "POST /api/triggers/{slug}/invoke body application/json",  # the webhook's payload model
    "POST /api/workflows/{slug} body application/json",  # the workflow's input model
    "POST /hooks/{token} body application/json",
    "POST /hooks/{token} body application/x-www-form-urlencoded",
    "POST /triggers/{endpoint} body application/json",
    "Change.a",  # a compared value of two runs' payloads
    "Change.b",
    "ErrorBody.details",
    "LogPart.attributes",
    "SpanPart.attributes",
    "Message.content",  # text, or what a tool returned
    "ToolCall.arguments",
    "OpenHook.schema",  # a JSON Schema
    "RetryFromStepRequest.input",
    "Run.input",
    "Run.output",
    "Step.input",
    "Step.output",
    "RunTrigger.raw",
    "TriggerDefinition.payload_schema",
    "TriggerDefinition.payload",
    "Workflow.input_schema",
    "Workflow.output_schema",
}


def untyped(document: dict[str, Any]) -> set[str]:
    """Every schema that is an object of unknown fields (or of no type at all), by where it is."""
    found: set[str] = set()

    def visit(node: Any, where: str) -> None:
        if not isinstance(node, dict) or "$ref" in node:
            return
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in node.get(key, []):
                visit(sub, where)
        for name, sub in node.get("properties", {}).items():
            visit(sub, f"{where}.{name}")
        if isinstance(node.get("items"), dict):
            visit(node["items"], f"{where}[]")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            visit(extra, f"{where}{{}}")
        if any(key in node for key in ("allOf", "oneOf", "anyOf", "enum", "properties")):
            return
        if node.get("type") in (None, "object") and not (isinstance(extra, dict) and extra):
            found.add(where)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, answer in operation.get("responses", {}).items():
                for content in answer.get("content", {}).values():
                    visit(content.get("schema"), f"{method.upper()} {path} -> {code}")
            for kind, content in operation.get("requestBody", {}).get("content", {}).items():
                visit(content.get("schema"), f"{method.upper()} {path} body {kind}")
    for name, component in document["components"]["schemas"].items():
        visit(component, name)
    return found


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return generated_schema()


def test_no_object_is_untyped_but_where_its_shape_is_the_users(document: dict[str, Any]) -> None:
    assert untyped(document) == FREE_FORM


def test_the_walker_finds_an_untyped_object() -> None:
    sample = {
        "paths": {},
        "components": {"schemas": {"Thing": {"properties": {"loose": {"type": "object"}}}}},
    }
    assert untyped(sample) == {"Thing.loose"}


def test_every_operation_has_its_curated_id_and_tag(document: dict[str, Any]) -> None:
    seen = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            seen[(method.upper(), path)] = (operation["operationId"], operation["tags"])
    assert set(seen) == set(OPERATIONS)
    assert seen == {key: (name, [tag]) for key, (name, tag) in OPERATIONS.items()}
    names = [name for name, _ in OPERATIONS.values()]
    assert len(names) == len(set(names))


def test_a_run_can_be_asked_for_with_its_parts(document: dict[str, Any]) -> None:
    get_run = document["paths"]["/api/runs/{id}"]["get"]
    include = next(p for p in get_run["parameters"] if p["name"] == "include")
    for part in ("steps", "trace", "usage", "trigger", "messages"):
        assert f"`{part}`" in include["description"]
    run = document["components"]["schemas"]["Run"]["properties"]
    assert {"steps", "trace", "usage", "messages"} <= set(run)
    listed = document["paths"]["/api/runs"]["get"]["parameters"]
    assert "include" in {p["name"] for p in listed}

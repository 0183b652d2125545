"""The OpenAPI document, generated from the routes' shared pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

from server.api.http import IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN
from server.api.routing import ApiRoute
from server.services.idempotency import MAX_KEY_LENGTH
from shared.errors import PROBLEM_MEDIA_TYPE, Problem
from shared.types import EntityId

REF_TEMPLATE = "#/components/schemas/{model}"


def _schema(annotation: Any, components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _, defs = models_json_schema([(annotation, "validation")], ref_template=REF_TEMPLATE)
        components.update(defs.get("$defs", {}))
        return {"$ref": REF_TEMPLATE.format(model=annotation.__name__)}
    schema = TypeAdapter(annotation).json_schema(ref_template=REF_TEMPLATE)
    components.update(schema.pop("$defs", {}))
    return schema


# Path parameters are ids (UUIDs) except a KPI's code.
PATH_PARAMETERS: dict[str, Any] = {"code": {"type": "string", "minLength": 1, "maxLength": 64}}
HEADER_PARAMETERS: dict[str, tuple[bool, dict[str, Any]]] = {
    "If-None-Match": (False, {"type": "string"}),
    "If-Match": (True, {"type": "string", "pattern": IF_MATCH_PATTERN, "examples": ['"1"']}),
    "Idempotency-Key": (
        True,
        {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "maxLength": MAX_KEY_LENGTH},
    ),
}


def _parameters(route: ApiRoute, components: dict[str, Any]) -> list[dict[str, Any]]:
    id_schema = TypeAdapter(EntityId).json_schema()
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS.get(name, id_schema)}
        for name in route.param_convertors
    ]
    query = route.contract.query
    if query is not None:
        schema = query.model_json_schema(ref_template=REF_TEMPLATE, by_alias=True)
        components.update(schema.pop("$defs", {}))
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    for header in route.contract.headers:
        header_required, header_schema = HEADER_PARAMETERS[header]
        params.append({"name": header, "in": "header", "required": header_required, "schema": header_schema})
    return params


def _problem_statuses(route: ApiRoute) -> set[int]:
    """Every problem status the route can answer, beyond what its contract lists."""
    contract = route.contract
    statuses = {422, 503, *contract.errors}  # 503: overloaded or the database unreachable
    if contract.auth:
        statuses.add(401)
    if contract.body is not None:
        statuses.add(413)
    if "If-Match" in contract.headers:
        statuses |= {412, 428}
    if "Idempotency-Key" in contract.headers:
        statuses.add(400)
    return statuses


def build_openapi(routes: list[BaseRoute], version: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    problem = _schema(Problem, components)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, ApiRoute):
            continue
        contract = route.contract
        responses: dict[str, Any] = {}
        success: dict[str, Any] = {"description": "OK"}
        if contract.response is not None:
            success["content"] = {"application/json": {"schema": _schema(contract.response, components)}}
        responses[str(contract.status)] = success
        if "If-None-Match" in contract.headers:
            responses["304"] = {"description": "Not modified: the If-None-Match tag is current"}
        for status in sorted(_problem_statuses(route)):
            responses[str(status)] = {
                "description": "Problem",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": problem}},
            }
        operation: dict[str, Any] = {
            "summary": contract.summary,
            "operationId": f"{route.method.lower()}_{route.name}",
            "parameters": _parameters(route, components),
            "responses": responses,
        }
        if contract.body is not None:
            body_schema = {"type": "string"} if contract.body is str else _schema(contract.body, components)
            operation["requestBody"] = {
                "required": True,
                "content": {contract.body_media_type: {"schema": body_schema}},
            }
        if contract.auth:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(route.path_format, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Coaching Hub API", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

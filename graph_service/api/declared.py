"""What every route declares: who may call it. Read from the routes themselves (the `allow` dependency),
written into the OpenAPI document as `x-roles`, and checked by the role-matrix test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from graph_service.auth.permissions import roles_for


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every API route (the pages and /docs, left out of the OpenAPI document, are graph_service.web's)."""
    return (route for route in every_route(app) if route.include_in_schema)


def every_route(app: FastAPI) -> Iterator[APIRoute]:
    """Every route, through included routers (FastAPI keeps those as branches of their own)."""
    stack: list[Any] = list(app.router.routes)
    while stack:
        route = stack.pop(0)
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            stack.extend(route.original_router.routes)


def declared_action(route: APIRoute) -> str | None:
    """The action the route's `allow(...)` dependency guards it with; None when it declares none."""
    def walk(d: Dependant) -> Iterator[str]:
        action = getattr(d.call, "action", None)
        if action:
            yield action
        for sub in d.dependencies:
            yield from walk(sub)

    found = set(walk(route.dependant))
    if len(found) > 1:
        raise ValueError(f"{route.path} declares more than one permission: {sorted(found)}")
    return found.pop() if found else None


def document_roles(app: FastAPI) -> None:
    """Each operation in /openapi.json says which roles may call it (x-roles) and repeats it for people."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for route in api_routes(app):
            action = declared_action(route)
            for method in route.methods:
                op = schema["paths"].get(route.path_format, {}).get(method.lower())
                if op is not None and action is not None:
                    op["x-roles"] = roles_for(action)
                    op["description"] = (op.get("description", "") + f"\n\n可调用角色：{'、'.join(roles_for(action))}"
                                         ).strip()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

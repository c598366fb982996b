"""Dependencies shared by routers. Auth and roles (a later issue) attach here, per router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from graph_service.service import GraphService


async def get_service(request: Request) -> GraphService:
    """async: it does no I/O, and a sync dependency would cost every request a thread-pool hop."""
    return request.app.state.service


ServiceDep = Annotated[GraphService, Depends(get_service)]

"""The FastAPI app. The store is opened and the projection built once, in the lifespan."""

from __future__ import annotations

import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from graph_service import __version__
from graph_service.api.audit import AuditTrail
from graph_service.api.declared import document_roles
from graph_service.api.errors import install_error_handlers
from graph_service.api.guards import install_guards
from graph_service.api.routes import (
    auth,
    case_board,
    cases,
    catalogue,
    entities,
    fairs,
    graph,
    health,
    recommendations,
    relationships,
)
from graph_service.fair.workspace import Fairs
from graph_service.service import GraphService
from graph_service.settings import Settings, get_settings
from graph_service.stores import open_store
from graph_service.stores.cases import CaseStore
from graph_service.web.install import error_page, install_pages, is_page


def create_app(settings: Settings | None = None, service: GraphService | None = None) -> FastAPI:
    """An app over `service`, or over a store opened from `settings` at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or get_settings()
        app.state.settings = config
        app.state.secret = signing_secret(config)
        app.state.fairs = Fairs(config.fairs_dir)
        if service is not None:
            app.state.service = service
            settle(service)
            yield
            return
        store = open_store(config)
        try:
            app.state.service = GraphService.open(store, config.model_dir, config.fairness_strength)
            settle(app.state.service)
            yield
        finally:
            store.close()

    app = FastAPI(title="TechMatch 科创供需图谱", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Graph knowledge and recommendation service for science-and-technology matchmaking.")
    install_error_handlers(app, pages=(is_page, error_page))
    app.add_middleware(AuditTrail)  # inside the guards: their catch-all answers for it too
    install_guards(app)
    for module in (health, auth, entities, relationships, graph, recommendations, catalogue, fairs, case_board,
                   cases):
        app.include_router(module.router)
    install_pages(app)
    document_roles(app)
    return app


def settle(service: GraphService) -> None:
    """What start-up loaded (the projection, the saved models, the text index, jieba's dictionary) lives as
    long as the process: it is frozen out of the garbage collector's full passes, which went over all of it
    every so often and stopped every request for 0.4-0.6 s on the city tier (pages' p95 up to 173 ms). What
    is made later, a projection after changes included, is collected as before. The case facts and answers
    are read here too, so that no one's first page waits for them."""
    rec = service.saved_partner_recommender()
    if isinstance(service.store, CaseStore):  # the first page of a worker would pay these reads otherwise
        service.store.case_facts()
        if rec is not None:
            rec.signals()  # every case's answers, when the model learnt from them
    gc.collect()
    gc.freeze()


def signing_secret(settings: Settings) -> str:
    """TECHMATCH_SECRET_KEY; the demo makes a throw-away one (its tokens end with the process)."""
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value()
        if len(secret) < 32:
            raise RuntimeError("TECHMATCH_SECRET_KEY is too short: use at least 32 random characters "
                               "(python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return secret
    if settings.demo:
        return secrets.token_urlsafe(32)
    raise RuntimeError("TECHMATCH_SECRET_KEY is not set: the service signs sign-in tokens with it and will not "
                       "start without one (python -c 'import secrets; print(secrets.token_urlsafe(32))')")

"""Systems of record behind one `GraphStore` interface; `open_store` picks one from settings."""

from __future__ import annotations

from graph_service.settings import Settings
from graph_service.stores.base import GraphStore


def open_store(settings: Settings) -> GraphStore:
    """The one place that chooses a backend; everything else receives the interface."""
    if settings.store == "neo4j":
        from graph_service.stores.neo4j_store import Neo4jStore

        store: GraphStore = Neo4jStore(settings.neo4j_uri, settings.neo4j_user,
                                       settings.neo4j_password.get_secret_value(), settings.neo4j_database)
    else:
        from graph_service.stores.sqlite_store import SqliteStore

        store = SqliteStore(settings.sqlite_path)
    store.ensure_schema()
    return store

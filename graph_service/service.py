"""The graph service: writes go to the system of record first, then to the projection.

Routers and the CLI call this; it never speaks HTTP.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.models import Node, Rel
from graph_service.projection import Hop, Projection, build_projection
from graph_service.projection.graph import TYPES
from graph_service.recommend.collaborators import CollaboratorRecommender, Suggestion
from graph_service.recommend.fairness import ExposureReport, ExposureTracker
from graph_service.recommend.partner_service import Filters, PartnerRecommender, PartnerResult
from graph_service.schema import PROJECTED_ATTRS, UNDIRECTED, Label, RelType, check_endpoints
from graph_service.settings import Settings, get_settings
from graph_service.stores import open_store
from graph_service.stores.base import Counts, GraphStore, GraphWriter, StoredNode
from graph_service.text.index import build_text_index

log = logging.getLogger(__name__)
COLLABORATORS_FILE = "collaborators.json"
COMPACT_AFTER = 50_000  # overlay edits before the projection folds them into fresh arrays


@dataclass(frozen=True)
class Edge:
    type: str
    src: str
    dst: str
    weight: float


@dataclass(frozen=True)
class Neighbourhood:
    center: StoredNode
    nodes: list[StoredNode]
    edges: list[Edge]
    truncated: bool


class GraphService:
    def __init__(self, store: GraphStore, projection: Projection, model_dir: Path | None = None,
                 fairness_strength: float = 0.0) -> None:
        self.store = store
        self.projection = projection
        self.model_dir = model_dir
        self._lock = threading.RLock()  # one writer of the projection at a time
        self._collaborators: CollaboratorRecommender | None = None  # loaded at start, or fitted on first use
        self._partners: PartnerRecommender | None = None
        self.exposure = ExposureTracker(fairness_strength)

    @classmethod
    def open(cls, store: GraphStore, model_dir: Path | None = None, fairness_strength: float = 0.0) -> GraphService:
        """A service over `store` with its projection built now and the models `techmatch train` saved
        in `model_dir` loaded (the constructor does no I/O)."""
        service = cls(store, build_projection(store), model_dir, fairness_strength)
        if model_dir is not None and PartnerRecommender.saved_in(model_dir):
            service._partners = PartnerRecommender.load(model_dir, service.projection, store)
            log.info("partner model loaded from %s (trained %s)", model_dir,
                     service._partners.model.meta.get("trained_at"))
        if model_dir is not None and (model_dir / COLLABORATORS_FILE).exists():
            service._collaborators = CollaboratorRecommender.load(model_dir / COLLABORATORS_FILE, service.projection)
        return service

    def train(self, train_years: int = 3, seed: int = 0, reuse_text: bool = False) -> dict:
        """Fit both recommenders on the graph as it is and save them in `model_dir`; returns their metadata.
        `reuse_text` keeps the loaded text index (building one takes minutes at the province tier)."""
        loaded = self._partners
        text = loaded.text.index if reuse_text and loaded is not None else build_text_index(self.store)
        partners = PartnerRecommender.train(self.projection, self.store, text, train_years, seed)
        collaborators = CollaboratorRecommender(self.projection, seed).fit()
        if self.model_dir is not None:
            partners.save(self.model_dir)
            collaborators.save(self.model_dir / COLLABORATORS_FILE)
        with self._lock:
            self._partners, self._collaborators = partners, collaborators
        assert collaborators.model is not None
        return {"partners": partners.model.meta, "collaborators": collaborators.model.meta}

    # --- reads -----------------------------------------------------------------------------------
    def stats(self) -> Counts:
        return self.store.counts()

    def get(self, node_id: str) -> StoredNode:
        node = self.store.get_node(node_id)
        if node is None:
            raise NotFound(f"no node with id {node_id!r}")
        return node

    def search(self, text: str, label: Label | None, limit: int) -> list[StoredNode]:
        if not text.strip():
            raise InvalidInput("search text is empty", field="q")
        return self.store.search(text.strip(), label, limit)

    def neighbourhood(self, node_id: str, hops: list[Hop], labels: list[Label] | None,
                      limit: int) -> Neighbourhood:
        """Nodes and edges reached by 1 or 2 typed hops; `labels` filters the last hop's nodes.
        At most `limit` nodes (nearest hop first, then by index); edges only among those kept."""
        p = self.projection
        center = self.get(node_id)
        start = p.idx(node_id)
        kept = np.array([start])
        frontier = kept
        edges: dict[tuple, Edge] = {}
        truncated = False
        for depth, hop in enumerate(hops):
            pos, nb = p.expand(frontier, hop, labels if depth == len(hops) - 1 else None)
            new = np.setdiff1d(nb.nodes, kept)
            if len(kept) - 1 + len(new) > limit:  # a hub: cut before building edge objects
                new, truncated = new[: limit - len(kept) + 1], True
            kept = np.concatenate([kept, new])
            for k in np.flatnonzero(np.isin(nb.nodes, kept)).tolist():
                a, b = int(frontier[pos[k]]), int(nb.nodes[k])
                s, d = (a, b) if nb.outgoing[k] else (b, a)
                if TYPES[nb.types[k]] in UNDIRECTED and p.ids[s] > p.ids[d]:
                    s, d = d, s  # one edge per pair, as stored
                edges.setdefault((int(nb.types[k]), s, d), Edge(TYPES[nb.types[k]], p.ids[s], p.ids[d],
                                                                float(nb.weights[k])))
            frontier = new
        found = self.store.get_nodes([p.ids[i] for i in kept[1:].tolist()])
        nodes = [found[p.ids[i]] for i in kept[1:].tolist() if p.ids[i] in found]
        return Neighbourhood(center, nodes, list(edges.values()), truncated)

    # --- writes ----------------------------------------------------------------------------------
    def put_node(self, label: Label, node: Node, *, create_only: bool) -> StoredNode:
        row = node.row()

        def work(w: GraphWriter) -> None:
            existing = w.labels_of([node.id]).get(node.id)
            if existing is not None and create_only:
                raise Conflict(f"a {existing} with id {node.id!r} already exists")
            if existing is not None and existing != label:
                raise Conflict(f"id {node.id!r} belongs to a {existing}, not a {label}")
            w.upsert_nodes(label, [row])

        with self._lock:
            self.store.write(work)
            attrs = {a: row[2].get(a) for a in PROJECTED_ATTRS.get(label, ())}
            self.projection.add_node(node.id, label, attrs, row[1])
        return stored_node(label, node)

    def delete_node(self, node_id: str) -> None:
        with self._lock:
            if not self.store.write(lambda w: w.delete_node(node_id)):
                raise NotFound(f"no node with id {node_id!r}")
            if node_id in self.projection.index:
                self.projection.remove_node(node_id)
            self._maybe_compact()

    def put_rel(self, rel_type: RelType, rel: Rel) -> Edge:
        self.write_graph([], [(rel_type, rel)])
        src, dst, props = rel.row()
        return Edge(str(rel_type), src, dst, float(props.get("weight", 1.0)))

    def delete_rel(self, rel_type: RelType, src: str, dst: str) -> None:
        if rel_type in UNDIRECTED and src > dst:
            src, dst = dst, src  # stored once, smaller id first
        with self._lock:
            if not self.store.write(lambda w: w.delete_rel(rel_type, src, dst)):
                raise NotFound(f"no {rel_type} relationship from {src!r} to {dst!r}")
            self.projection.remove_edge(rel_type, src, dst)
            self._maybe_compact()

    def write_graph(self, nodes: list[tuple[Label, Node]], rels: list[tuple[RelType, Rel]]) -> None:
        """Nodes (created or replaced) and relationships in one transaction, all or nothing, then into
        the projection: what a multi-party deal needs (its node, every party, the needs it answers)."""
        by_label: dict[Label, list[tuple[str, str, dict]]] = {}
        for label, node in nodes:
            by_label.setdefault(label, []).append(node.row())
        by_type: dict[RelType, list[tuple[str, str, dict]]] = {}
        for rel_type, rel in rels:
            by_type.setdefault(rel_type, []).append(rel.row())

        def work(w: GraphWriter) -> None:
            for label, rows in by_label.items():
                w.upsert_nodes(label, rows)
            labels = w.labels_of([i for rows in by_type.values() for r in rows for i in r[:2]])
            for rel_type, rows in by_type.items():
                for src, dst, _ in rows:
                    for side, node_id in (("src", src), ("dst", dst)):
                        if node_id not in labels:
                            raise NotFound(f"{side}: no node with id {node_id!r}")
                    problem = check_endpoints(rel_type, labels[src], labels[dst])
                    if problem:
                        raise InvalidInput(problem[1], field=problem[0])
                w.upsert_rels(rel_type, rows)

        with self._lock:
            self.store.write(work)
            for label, rows in by_label.items():
                for node_id, name, props in rows:
                    self.projection.add_node(node_id, label, {a: props.get(a) for a in PROJECTED_ATTRS.get(label, ())},
                                             name)
            for rel_type, rows in by_type.items():
                for src, dst, props in rows:
                    self.projection.add_edge(rel_type, src, dst, float(props.get("weight", 1.0)))
            self._maybe_compact()

    def rebuild_projection(self) -> Projection:
        with self._lock:
            self.projection = build_projection(self.store)  # recommenders refit on it at their next use
        return self.projection

    def collaborators(self, researcher_id: str, top_k: int) -> list[Suggestion]:
        with self._lock:
            if self._collaborators is None or self._collaborators.projection is not self.projection:
                self._collaborators = CollaboratorRecommender(self.projection).fit()
            recommender = self._collaborators
        return recommender.recommend(researcher_id, top_k)

    def saved_partner_recommender(self) -> PartnerRecommender | None:
        """The partner recommender loaded from saved models, or None when none was trained (no fitting here)."""
        return self.partner_recommender() if self._partners is not None else None

    def partner_recommender(self) -> PartnerRecommender:
        """The loaded one, re-bound to a rebuilt projection; trained now (and not saved) if none exists."""
        with self._lock:
            current = self._partners
            if current is None:
                p = self.projection
                if p.overlay_size() or len(p.ids) > p.base_nodes:  # training walks every deal: all in the arrays
                    self.projection.compact()
                current = PartnerRecommender.train(self.projection, self.store, build_text_index(self.store))
            elif current.projection is not self.projection:
                current = PartnerRecommender(self.projection, self.store, current.model, current.text.index)
            self._partners = current
            return current

    def set_fairness(self, strength: float) -> None:
        with self._lock:
            self.exposure = ExposureTracker(strength)

    def partners(self, enterprise_id: str | None, need_id: str | None, top_k: int, filters: Filters = Filters(),
                 text: str = "") -> tuple[PartnerResult, ExposureReport | None]:
        """Partner suggestions; with fairness on, re-ranked to damp the often shown, and the spread of
        exposure so far over everyone who could have been shown."""
        recommender = self.partner_recommender()
        if self.exposure.strength == 0:
            return recommender.recommend(enterprise_id, need_id, top_k, filters, text), None
        with self._lock:  # the tracker's state is shared by all requests
            result = recommender.recommend(enterprise_id, need_id, top_k, filters, text, self.exposure.order)
            self.exposure.record([s.id for s in result.suggestions], result.candidates)
            return result, self.exposure.report()

    def _maybe_compact(self) -> None:
        if self.projection.overlay_size() > COMPACT_AFTER:
            self.projection.compact()


def stored_node(label: Label, node: Node) -> StoredNode:
    """A node as the store now holds it, without reading it back."""
    node_id, name, props = node.row()
    return StoredNode(node_id, str(label), {"name": name, **props})


@contextmanager
def open_service(settings: Settings | None = None, models: bool = True) -> Iterator[GraphService]:
    """The service over the configured store, for one command; `models=False` skips loading the saved
    models (seconds) for commands that only read or write the graph."""
    settings = settings or get_settings()
    with open_store(settings) as store:
        yield GraphService.open(store, settings.model_dir if models else None)

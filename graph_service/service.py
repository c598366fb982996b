"""The graph service: writes go to the system of record first, then to the projection.

Routers and the CLI call this; it never speaks HTTP.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from graph_service.cases.partners import declined_for_need
from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.models import Node, Rel
from graph_service.projection import Hop, Projection, build_projection
from graph_service.projection.graph import TYPES
from graph_service.projection.replay import replay
from graph_service.recommend.collaborators import CollaboratorRecommender, Suggestion
from graph_service.recommend.fairness import ExposureReport, ExposureTracker
from graph_service.recommend.partner_service import Filters, PartnerRecommender, PartnerResult
from graph_service.recommend.saved import (
    COLLABORATORS_FILE,
    fingerprint,
    fitting_dir,
    load_collaborators,
    load_partners,
    own_dir,
    write_identity,
)
from graph_service.schema import UNDIRECTED, Label, RelType, check_endpoints
from graph_service.settings import Settings, get_settings
from graph_service.state_digest import StateDigest, digest_of
from graph_service.stores import open_store
from graph_service.stores.base import Counts, GraphStore, GraphWriter, StoredNode
from graph_service.stores.changes import pending
from graph_service.text.index import TEXT_FIELDS, TextIndex, build_text_index, doc_text

log = logging.getLogger(__name__)
COMPACT_AFTER = 50_000  # overlay edits before the projection folds them into fresh arrays
MAX_REPLAY = 20_000  # changes replayed at once; a process further behind rebuilds (faster, and bounded)
TEXT_ALL = "\x00all"  # no entity's id (models.EntityId): every document is to be read again
TEXT_LABELS = frozenset(str(label) for label in TEXT_FIELDS)


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
                 fairness_strength: float = 0.0, seq: int = 0) -> None:
        self.store = store
        self.projection = projection
        self.model_dir = model_dir
        self.seq = seq  # the last change of the store's feed this process has applied
        self.version = 0  # moves whenever the projection changes: derived state refreshes on it
        self._lock = threading.RLock()  # one writer of the projection at a time
        self._collaborators: CollaboratorRecommender | None = None  # loaded at start, or fitted on first use
        self._partners: PartnerRecommender | None = None
        self._partners_version = 0
        self._collaborators_version = 0
        self._texts: dict[str, str | None] = {}  # documents changed since the partner recommender's refresh
        self.exposure = ExposureTracker(fairness_strength)

    @classmethod
    def open(cls, store: GraphStore, model_dir: Path | None = None, fairness_strength: float = 0.0) -> GraphService:
        """A service over `store` with its projection built now and the models `techmatch train` saved
        in `model_dir` loaded (the constructor does no I/O)."""
        seq = store.change_head()  # before the build: a change made during it is replayed (replay is idempotent)
        service = cls(store, build_projection(store), model_dir, fairness_strength, seq)
        directory = fitting_dir(model_dir, store, service.projection) if model_dir is not None else None
        if directory is not None:
            service._partners = load_partners(directory, service.projection, store)
            service._collaborators = load_collaborators(directory, service.projection)
            if service._partners is not None:
                log.info("partner model loaded from %s (trained %s)", directory,
                         service._partners.model.meta.get("trained_at"))
        return service

    # --- the change feed -------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Apply every change committed to the store since the last call, by any process: what each
        request does first. Nothing new costs one read of the feed's head."""
        head = self.store.change_head()
        if head == self.seq:
            return
        with self._lock:
            if head == self.seq:
                return
            changes = self.store.changes_since(self.seq, MAX_REPLAY)
            todo = pending(changes, self.seq, head)
            if todo.reset or len(changes) == MAX_REPLAY:
                log.info("change feed: rebuilding the projection (changes %d..%d)", self.seq, todo.upto)
                self._rebuild(todo.upto)
                return
            for node_id, node in replay(self.projection, self.store, todo).nodes.items():
                if node is not None and node.label in TEXT_LABELS:
                    self._texts[node_id] = doc_text(Label(node.label), node.props)
                elif node is None or todo.nodes[node_id]:
                    self._texts[node_id] = None  # gone, or made again as something that is no document
            self.seq = todo.upto
            self.version += 1
            self._maybe_compact()

    def train(self, train_years: int = 3, seed: int = 0, reuse_text: bool = False) -> dict:
        """Fit both recommenders on the graph as it is and save them in `model_dir`, with the store they
        fit; returns their metadata. `reuse_text` keeps the loaded text index (building one takes minutes at
        the province tier)."""
        self.rebuild_projection()  # fresh, without the rows of deleted nodes: what the fingerprint is of
        seq, graph = self.seq, fingerprint(self.projection)
        loaded = self._partners
        text = loaded.text.index if reuse_text and loaded is not None else build_text_index(self.store)
        partners = PartnerRecommender.train(self.projection, self.store, text, train_years, seed)
        collaborators = CollaboratorRecommender(self.projection, seed).fit()
        if self.model_dir is not None:
            self._save(self.model_dir, partners, collaborators, seq, graph)
        with self._lock:
            self._partners, self._collaborators = partners, collaborators
            self._partners_version = self._collaborators_version = self.version
        assert collaborators.model is not None
        return {"partners": partners.model.meta, "collaborators": collaborators.model.meta}

    def _save(self, directory: Path, partners: PartnerRecommender | None,
              collaborators: CollaboratorRecommender | None, seq: int, graph: str = "") -> None:
        if partners is not None:
            partners.save(directory)
        if collaborators is not None and collaborators.model is not None:
            collaborators.save(directory / COLLABORATORS_FILE)
        write_identity(directory, self.store, seq, graph)

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

    # --- writes: to the store; the projection follows through the change feed, as other processes' do ----
    def put_node(self, label: Label, node: Node, *, create_only: bool) -> StoredNode:
        row = node.row()

        def work(w: GraphWriter) -> None:
            existing = w.labels_of([node.id]).get(node.id)
            if existing is not None and create_only:
                raise Conflict(f"a {existing} with id {node.id!r} already exists")
            if existing is not None and existing != label:
                raise Conflict(f"id {node.id!r} belongs to a {existing}, not a {label}")
            w.upsert_nodes(label, [row])

        self.store.write(work)
        self.catch_up()
        return stored_node(label, node)

    def delete_node(self, node_id: str) -> None:
        if not self.store.write(lambda w: w.delete_node(node_id)):
            raise NotFound(f"no node with id {node_id!r}")
        self.catch_up()

    def put_rel(self, rel_type: RelType, rel: Rel) -> Edge:
        self.write_graph([], [(rel_type, rel)])
        src, dst, props = rel.row()
        return Edge(str(rel_type), src, dst, float(props.get("weight", 1.0)))

    def delete_rel(self, rel_type: RelType, src: str, dst: str) -> None:
        if rel_type in UNDIRECTED and src > dst:
            src, dst = dst, src  # stored once, smaller id first
        if not self.store.write(lambda w: w.delete_rel(rel_type, src, dst)):
            raise NotFound(f"no {rel_type} relationship from {src!r} to {dst!r}")
        self.catch_up()

    def write_graph(self, nodes: list[tuple[Label, Node]], rels: list[tuple[RelType, Rel]]) -> None:
        """Nodes (created or replaced) and relationships in one transaction, all or nothing: what a
        multi-party deal needs (its node, every party, the needs it answers)."""
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

        self.store.write(work)
        self.catch_up()

    def rebuild_projection(self) -> Projection:
        """A repair tool: the projection built afresh from the store (the change feed keeps it current)."""
        with self._lock:
            self._rebuild(self.store.change_head())
        return self.projection

    def _rebuild(self, seq: int) -> None:
        """The projection afresh from the store, as of change `seq` or later; every document checked again."""
        self.projection = build_projection(self.store)
        self.seq, self._texts = seq, {TEXT_ALL: ""}
        self.version += 1

    def collaborators(self, researcher_id: str, top_k: int) -> list[Suggestion]:
        with self._lock:
            if self._collaborators is None or self._collaborators_version != self.version:
                self._compacted()
                current = self._collaborators
                self._collaborators = current.rebound(self.projection) if current is not None and \
                    current.model is not None else CollaboratorRecommender(self.projection).fit()
                self._collaborators_version = self.version
            recommender = self._collaborators
        return recommender.recommend(researcher_id, top_k)

    def saved_partner_recommender(self) -> PartnerRecommender | None:
        """The partner recommender of saved models that fit this store, or None (no training here)."""
        return self.partner_recommender() if self._partners is not None else None

    def partner_recommender(self) -> PartnerRecommender:
        """The loaded one, brought up to the projection's version (the deal history and the changed
        documents); trained now if none fits this store (and kept for its next start)."""
        with self._lock:
            current = self._partners
            if current is None:
                self._compacted()  # training walks every deal: all in the arrays
                seq, self._texts = self.seq, {}
                current = PartnerRecommender.train(self.projection, self.store, build_text_index(self.store))
                if self.model_dir is not None:  # the next start on this store finds them
                    self._save(own_dir(self.model_dir, self.store), current, None, seq)
            elif self._partners_version != self.version:
                self._compacted()
                text, changed = self._text(current)
                current = PartnerRecommender(self.projection, self.store, current.model, text, current, changed)
            self._partners, self._partners_version = current, self.version
            return current

    def _text(self, current: PartnerRecommender) -> tuple[TextIndex, list[str]]:
        """The text index with the documents changed since `current` was made, and their ids."""
        docs, self._texts = self._texts, {}
        if TEXT_ALL in docs:  # rebuilt: every document compared with the store
            docs = current.text.index.stale_docs(self.store)
        return (current.text.index.updated(docs) if docs else current.text.index), list(docs)

    def _compacted(self) -> None:
        if not self.projection.settled():
            self.projection.compact()

    def state_digest(self) -> tuple[int, StateDigest]:
        """(change applied, digests) of what the next recommendation reads."""
        with self._lock:
            return self.seq, digest_of(self.projection, self.partner_recommender())

    def set_fairness(self, strength: float) -> None:
        with self._lock:
            self.exposure = ExposureTracker(strength)

    def partners(self, enterprise_id: str | None, need_id: str | None, top_k: int, filters: Filters = Filters(),
                 text: str = "") -> tuple[PartnerResult, ExposureReport | None]:
        """Partner suggestions; with fairness on, re-ranked to damp the often shown, and the spread of
        exposure so far over everyone who could have been shown."""
        recommender = self.partner_recommender()
        if need_id is not None:  # whoever was declined for this need is never suggested for it again
            filters = replace(filters, exclude=filters.exclude | declined_for_need(self.store, need_id))
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

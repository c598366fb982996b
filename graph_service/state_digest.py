"""What a process serves from, reduced to comparable digests: its projection, the deal history and the
text index a recommendation reads. Two processes, or a process and a fresh build from the store, that
agree here answer alike. Everything is keyed by id (row numbers differ between a projection kept up to
date and one built afresh)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graph_service.projection import Hop, Projection, build_projection
from graph_service.projection.graph import TYPES
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.recommend.partners import History
from graph_service.stores.base import GraphStore
from graph_service.text.index import TextIndex


@dataclass(frozen=True)
class StateDigest:
    projection: str
    history: str
    text: str
    nodes: int
    edges: int
    documents: int

    def parts(self) -> dict[str, str]:
        return {"projection": self.projection, "history": self.history, "text": self.text}

def _sha(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]

def projection_view(p: Projection) -> tuple[dict, list]:
    """({id: [label, name, {attr: value}]}, sorted edges [type, src, dst, weight]) of the live nodes."""
    alive = np.flatnonzero(p.alive).tolist()
    nodes = {}
    for i in alive:
        attrs = {}
        for name, column in p.attrs.items():
            code = int(column[i])
            if code != -1:
                attrs[name] = p.vocab[name][code] if name in p.vocab else code
        nodes[p.ids[i]] = [str(p.label_of(i)), p.names[i], attrs]
    edges = []
    frontier = np.array(alive, dtype=np.int64)
    for t in TYPES:

        pos, nb = p.expand(frontier, Hop([t], "out"))
        for a, b, w in zip(frontier[pos].tolist(), nb.nodes.tolist(), nb.weights.tolist()):
            edges.append([t.value, p.ids[a], p.ids[b], float(np.float32(w))])
    return nodes, sorted(edges)

def _pairs(p: Projection, m: sp.spmatrix, rows: int) -> list:
    coo = sp.csr_matrix(m)[:rows].tocoo()
    return sorted([p.ids[a], p.ids[b], round(float(v), 6)] for a, b, v in zip(coo.row.tolist(), coo.col.tolist(),
                                                                               coo.data.tolist()) if v != 0)

def history_view(h: History) -> dict:
    p, n = h.p, len(h.region)
    alive = p.alive[:n]

    def by_id(values: np.ndarray) -> dict:
        return {p.ids[i]: (p.ids[int(v)] if v >= 0 else None) for i, v in enumerate(values.tolist()) if alive[i]}

    return {"cutoff": h.cutoff, "deals": sorted(p.ids[i] for i in np.flatnonzero(h.deal_ok & alive).tolist()),
            "involved": _pairs(p, h.involved, n), "partners": _pairs(p, h.partners, n),
            "coauthors": _pairs(p, h.coauthors, n), "expertise": _pairs(p, h.expertise, n),
            "activity": _pairs(p, h.activity, n), "walk": _pairs(p, h.walk, n),
            "region": by_id(h.region), "city": by_id(h.city),
            "circles": sorted([p.ids[c], p.ids[i]] for c, bit in h.circle_bit.items()
                              for i in np.flatnonzero((h.circle_bits & bit) != 0).tolist() if alive[i])}

def text_view(index: TextIndex) -> dict:
    out = {}
    for doc_id in sorted(set(index.ids)):
        row = index.doc_vector(doc_id)
        if row is None:
            continue  # dropped
        out[doc_id] = sorted([int(t), round(float(w), 6)] for t, w in zip(row.indices.tolist(), row.data.tolist()))
    return out

def digest_of(p: Projection, rec: PartnerRecommender) -> StateDigest:
    nodes, edges = projection_view(p)
    text = text_view(rec.text.index)
    return StateDigest(_sha([nodes, edges]), _sha(history_view(rec.history)), _sha(text), len(nodes), len(edges),
                       len(text))

def fresh_digest(store: GraphStore, trained: PartnerRecommender) -> StateDigest:
    """The digest a process would have if it had just started on the store as it is now, with the same
    trained model (whose text weighting it keeps)."""
    p = build_projection(store)
    text = trained.text.index
    rec = PartnerRecommender(p, store, trained.model, text.updated(text.stale_docs(store)))
    return digest_of(p, rec)

"""The researcher-side rows equal the partner model's own, query by query, on both stores."""

from __future__ import annotations

import numpy as np

from graph_service.projection import build_projection
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.recommend.partners import Query, Text, features, row
from graph_service.recommend.toward import features_toward
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.text.index import build_text_index


def _queries(rec: PartnerRecommender, store: GraphStore) -> list[Query]:
    p = rec.projection
    found = []
    for n in range(p.base_nodes):
        if p.label_of(n) != Label.NEED:
            continue
        posters = [e for e in row(p.inc[RelType.POSTED], n).tolist() if p.label_of(e) == Label.ENTERPRISE]
        node = store.get_node(p.ids[n])
        if posters and node is not None:
            found.append(Query(posters[0], row(p.out[RelType.ABOUT], n), str(node.props.get("text", "")), n))
    return found


def test_rows_toward_a_researcher_equal_the_models_rows(tiny_backend: GraphStore) -> None:
    p = build_projection(tiny_backend)
    rec = PartnerRecommender.train(p, tiny_backend, build_text_index(tiny_backend))
    queries = _queries(rec, tiny_backend)
    people = [i for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER]
    # the busiest researchers (deals, co-authors, fields) exercise every column; a quiet one the zeros
    busy = sorted(people, key=lambda i: -(rec.history.popularity[i] + rec.history.coauthors[i].nnz))[:6]
    chosen = busy + [min(people, key=lambda i: rec.history.coauthors[i].nnz)]
    assert len(queries) >= 20 and any(rec.history.popularity[i] for i in busy)
    seen = np.zeros(12, dtype=bool)
    for r in chosen:
        expected = np.vstack([features(rec.history, q, np.array([r]), rec.text) for q in queries])
        got = features_toward(rec.history, queries, r, rec.text)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(rec.rows_toward(queries, r), expected, rtol=1e-9, atol=1e-12)
        seen |= (expected != 0).any(axis=0)
    assert seen[[0, 1, 2, 3, 4, 5, 9]].all(), seen  # field, text, place and walk columns were not all zero


def test_a_documents_standing_equals_its_search_hit_after_a_text_change(tiny_backend: GraphStore) -> None:
    index = build_text_index(tiny_backend)
    p = build_projection(tiny_backend)
    words = "燃料电池 电堆 催化剂 膜电极"
    target = next(i for i in index.ids if i.startswith("R"))
    changed = index.updated({target: f"{words} 氢能", index.ids[1]: None})  # one edited, one dropped
    for query in (words, "氢能 储能", "没有的词"):
        hits = changed.hits(query)
        for doc in (changed.position(target), int(hits.docs[0]) if len(hits.docs) else 0, 5):
            at = np.flatnonzero(hits.docs == doc)
            sim, shared = (float(hits.sim[at[0]]), int(hits.words[at[0]])) if len(at) else (0.0, 0)
            got = changed.standing(query, doc)
            assert got[1:] == (shared, int(hits.words_ahead(np.array([shared]))[0]))
            assert abs(got[0] - sim) < 1e-12
    assert changed.standing(words, changed.position(target))[1] >= 2  # the edit is what is found
    assert Text(changed, p).node[changed.position(target)] == p.idx(target)

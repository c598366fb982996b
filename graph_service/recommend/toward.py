"""One researcher's FEATURES rows toward many queries at once: the partner model read from the
researcher's side, for the needs that fit them.

`features(h, q, [r])` for each of 40 needs spreads a walk from each need's enterprise and looks every
need's text up in full; both dominated the researcher's home page. Partnerships, co-authorships and the
walk are symmetric, so one spread from the researcher finds every enterprise's value at once, and a need's
text only has to place the researcher's own document among its matches. The rows equal `features`'s
(tests hold them to it).
"""

from __future__ import annotations

import numpy as np

from graph_service.recommend.partners import (
    KATZ_BETA,
    History,
    Query,
    Text,
    _add,
    _at,
    _gather,
    _spread,
    _vector,
)


def features_toward(h: History, queries: list[Query], r: int, text: Text | None = None) -> np.ndarray:
    """Row i: `features(h, queries[i], [r], text)[0]`."""
    ents = np.array([q.enterprise for q in queries], dtype=np.int64)
    mine = h.expertise.indices[h.expertise.indptr[r]:h.expertise.indptr[r + 1]]
    overlap = np.array([np.isin(mine, q.fields).sum() / max(len(q.fields), 1) for q in queries], dtype=np.float64)
    sim, words, ahead = _text_columns(queries, r, text)
    city_e, city_r = h.city[ents], h.city[r]
    same_city = (city_r >= 0) & (city_e == city_r)
    bits_e = np.where(city_e >= 0, h.circle_bits[np.maximum(city_e, 0)], 0)
    same_circle = ((h.circle_bits[max(city_r, 0)] & bits_e) != 0) & (city_r >= 0)
    partners_of_r = _vector(h.partners, r)
    past = _at(partners_of_r.indices, partners_of_r.values, ents)
    via = _spread(h.partners, _vector(h.coauthors, r))  # partners[e] . coauthors[r], both symmetric
    fields = _spread(h.activity, partners_of_r)  # the researcher's column of peer_basis, over fields
    take, lengths = _gather(h.activity, ents)
    weights = h.activity.data[take] * _at(fields.indices, fields.values, h.activity.indices[take].astype(np.int64))
    peer = np.bincount(np.repeat(np.arange(len(ents)), lengths), weights=weights, minlength=len(ents))
    one = _vector(h.walk, r)
    two = _spread(h.walk, one)
    katz = _add(_add(one, two, KATZ_BETA), _spread(h.walk, two), KATZ_BETA**2)
    degree = h.coauthors.indptr[r + 1] - h.coauthors.indptr[r]
    m = len(queries)
    return np.column_stack([
        overlap, sim, words, np.log1p(ahead), same_city, same_circle, past,
        _at(via.indices, via.values, ents), np.log1p(peer), _at(katz.indices, katz.values, ents) / KATZ_BETA**2,
        np.full(m, np.log1p(h.popularity[r])), np.full(m, np.log1p(degree)),
    ]).astype(np.float64)


def _text_columns(queries: list[Query], r: int, text: Text | None) -> tuple[np.ndarray, ...]:
    m = len(queries)
    sim, words, ahead = np.zeros(m), np.zeros(m), np.zeros(m)
    if text is None:
        return sim, words, ahead
    position = text.index.position(text.p.ids[r]) if r < len(text.p.ids) else -1
    if position >= len(text.node) or (position >= 0 and text.node[position] != r):
        position = -1  # the researcher's document is not (or no longer) theirs in this projection
    for i, q in enumerate(queries):
        if q.text:
            sim[i], words[i], ahead[i] = text.index.standing(q.text, position)
    return sim, words, ahead

"""Needs and 揭榜挂帅 challenges that fit a researcher: the partner model read from the other side.

Open needs about the researcher's fields, and needs whose text shares words with their expertise, are
shortlisted; each is then scored as the partner model would score this researcher for that need, so
both directions of matching agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from graph_service import need_status
from graph_service.errors import InvalidInput
from graph_service.need_status import OPEN, NeedState, need_state
from graph_service.recommend.partner_service import PartnerRecommender, Path_
from graph_service.recommend.partners import Query, in_rows, row
from graph_service.schema import Label, RelType
from graph_service.stores.base import StoredNode

SHORTLIST = 40  # needs scored by the model, chosen by field overlap and shared words


@dataclass(frozen=True)
class NeedSuggestion:
    id: str
    kind: str  # need | challenge (揭榜挂帅)
    enterprise: str
    score: float
    paths: list[Path_]
    matched_words: list[str]
    state: NeedState  # offered: open or matching, deadline not passed
    text: str  # the need's public summary, as read to score it (its confidential part is never read out)


def needs_for(rec: PartnerRecommender, researcher_id: str, top_k: int = 10, challenges_only: bool = False,
              today: date | None = None, stored: StoredNode | None = None) -> list[NeedSuggestion]:
    """Needs still open on `today` (default: the clock) that fit the researcher, best first. `stored`: the
    researcher's stored node when the caller has read it already (else it is read here)."""
    p, h = rec.projection, rec.history
    r = p.idx(researcher_id)
    if p.label_of(r) != Label.RESEARCHER:
        raise InvalidInput(f"{researcher_id!r} is a {p.label_of(r)}, not a Researcher", field="researcher_id")
    if r >= p.base_nodes:
        raise InvalidInput(f"researcher {researcher_id!r} was added after the projection was built; rebuild it",
                           field="researcher_id")
    node = stored if stored is not None and stored.id == researcher_id else rec.store.get_node(researcher_id)
    own_text = " ".join(str(node.props.get(k, "")) for k in ("expertise", "keywords")) if node else ""
    about = p.inc[RelType.ABOUT]
    mine = row(h.expertise, r)
    by_field = np.concatenate([row(about, f) for f in mine.tolist()] or [np.empty(0, dtype=np.int32)])
    nodes, _, words, _ = rec.text.lookup(own_text) if own_text.strip() else (np.empty(0, dtype=np.int64),) * 3 + (None,)
    need_code = list(Label).index(Label.NEED)
    by_text = nodes[p.labels[nodes] == need_code] if len(nodes) else nodes
    cands = np.unique(np.concatenate([by_field, by_text]).astype(np.int64))
    cands = cands[cands < p.base_nodes]
    day = today or need_status.today()
    cands = cands[_open(rec, cands, challenges_only, day)]
    if len(cands) == 0:
        return []
    shared_fields = in_rows(p.out[RelType.ABOUT], cands, mine)
    shared_words = np.zeros(len(cands))
    if len(nodes):
        pos = np.clip(np.searchsorted(nodes, cands), 0, len(nodes) - 1)
        shared_words = np.where(nodes[pos] == cands, words[pos], 0)
    shortlist, texts = _current(rec, cands[np.lexsort((-shared_words, -shared_fields))], day)
    queries = []
    for n in shortlist:
        posters = [e for e in row(p.inc[RelType.POSTED], n).tolist() if p.label_of(e) == Label.ENTERPRISE]
        if not posters:
            continue
        stored = texts[p.ids[n]][0]
        q = Query(posters[0], row(p.out[RelType.ABOUT], n), str(stored.props.get("text", "")), n)
        queries.append(q)
    if not queries:
        return []
    scores = rec.model.score(rec.rows_toward(queries, r))
    out = []
    for i in np.argsort(-scores, kind="stable")[:top_k].tolist():
        q = queries[i]
        why = rec.explain(q, r, float(scores[i]))
        kind = p.vocab["kind"][p.attrs["kind"][q.need]] if p.attrs["kind"][q.need] >= 0 else "need"
        out.append(NeedSuggestion(p.ids[q.need], kind, p.ids[q.enterprise], float(scores[i]), why.paths,
                                  why.matched_words, texts[p.ids[q.need]][1], q.text))
    return out


def _current(rec: PartnerRecommender, ranked: np.ndarray, today: date
             ) -> tuple[list[int], dict[str, tuple[StoredNode, NeedState]]]:
    """The first SHORTLIST of `ranked` still offered on `today`, with their stored nodes and states: read in
    rank order, in growing batches, and checked again as stored (the projection's view, which chose
    `ranked`, may be a moment behind; a deadline it could not read is checked here)."""
    p = rec.projection
    kept: list[int] = []
    found: dict[str, tuple[StoredNode, NeedState]] = {}
    at, batch = 0, SHORTLIST + SHORTLIST // 4  # the projection has filtered out most that fail
    while at < len(ranked) and len(kept) < SHORTLIST:
        part = ranked[at:at + batch].tolist()
        nodes = rec.store.get_nodes([p.ids[n] for n in part])
        for n in part:
            node = nodes.get(p.ids[n])
            state = need_state(node.props, today) if node is not None and len(kept) < SHORTLIST else None
            if node is not None and state is not None and state.offered:
                kept.append(n)
                found[node.id] = (node, state)
        at, batch = at + batch, 2 * batch
    return kept, found


def _open(rec: PartnerRecommender, needs: np.ndarray, challenges_only: bool, today: date) -> np.ndarray:
    """Needs offered on `today` by the projection's status and deadline (`_current` checks the stored ones)."""
    p = rec.projection
    status, kind = p.attrs["status"][needs], p.attrs["kind"][needs]
    vocab_s, vocab_k = p.vocab.get("status", []), p.vocab.get("kind", [])
    ok = np.isin(status, [vocab_s.index(s) for s in OPEN if s in vocab_s])
    if "deadline" in p.attrs:  # a deadline that cannot be read is none, as need_state has it
        codes, at = np.unique(p.attrs["deadline"][needs], return_inverse=True)
        vocab = p.vocab.get("deadline", [])
        passed = np.array([c >= 0 and (d := need_status.day(vocab[c])) is not None and d < today
                           for c in codes.tolist()], dtype=bool)
        ok &= ~passed[at]
    if challenges_only:
        ok &= kind == (vocab_k.index("challenge") if "challenge" in vocab_k else -2)
    return ok

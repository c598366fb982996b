"""The fit of a meeting request that arrives without one: one function for every way requests come in
(the API's request bodies, its CSV upload and late registrations; `import-fair` and
`replan-fair --register`), so the same request gets the same fit whichever way it came.

- An enterprise and a researcher, both in the graph: the partner model's probability of a deal between
  them, as `PartnerRecommender` scores the researcher for the enterprise (all bags, from the pair alone,
  so it does not depend on who else is ranked). `fit_from = "model"`.
- An enterprise and an institution: its best researcher's score, as partner suggestions rank
  institutions. `fit_from = "model"`.
- Any other pair (two researchers, two enterprises, an investor, somebody not in the graph) is outside
  what the model scores: a prior from the share of the asker's fields the other has,
  0.05 + 0.45 * shared, marked `fit_from = "fields"` so nobody takes it for the model's.

The model is the one the service serves with, trained on demand when none was saved. When none can be
had (the graph holds no dated deals to learn from), a request the model should score is refused with
the reason rather than given a number nobody computed: the organiser gives its `fit`.

>>> prior_fit(["氢能", "储能"], ["氢能"])
0.275
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from graph_service.errors import InvalidInput
from graph_service.fair.instance import MAX_PROBLEMS, Instance, NewRequest, Participant, Request
from graph_service.projection import Hop
from graph_service.recommend.feedback import Signals
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.schema import Label, RelType

__all__ = ["Model", "prior_fit", "with_fits"]

Model = Callable[[], PartnerRecommender]  # the service's partner model, asked for only when needed
SCORED = {"researcher": Label.RESEARCHER, "institution": Label.INSTITUTION}  # what the model scores for a firm
_MEMBERS = Hop([RelType.AFFILIATED_WITH], "in")


def with_fits(instance: Instance, rows: Sequence[NewRequest], model: Model, file: str | None = None
              ) -> list[Request]:
    """`rows` as requests of `instance`, each without a fit given one (see the module). Errors name
    `file` and line when the rows came from a file, else the row's index and field."""
    people = {p.id: p for p in instance.participants}
    unknown = [InvalidInput(f"unknown participant {getattr(r, end)!r}", **_at(file, k, end))
               for k, r in enumerate(rows) for end in ("a", "b") if getattr(r, end) not in people]
    if unknown:  # every one of them, not just the first
        raise InvalidInput.together(unknown[:MAX_PROBLEMS])
    pairs = {k: _firm_and_other(people[r.a], people[r.b]) for k, r in enumerate(rows) if r.fit is None}
    scored = {k: pair for k, pair in pairs.items() if pair is not None}
    fits = _model_fits(model, scored, rows, file) if scored else {}
    out = []
    for k, r in enumerate(rows):
        if r.fit is not None:
            out.append(Request(**r.model_dump()))
        elif fits.get(k) is not None:
            out.append(Request(**{**r.model_dump(), "fit": fits[k], "fit_from": "model"}))
        else:
            fit = prior_fit(people[r.a].fields, people[r.b].fields)
            out.append(Request(**{**r.model_dump(), "fit": fit, "fit_from": "fields"}))
    return out


def prior_fit(asker: Sequence[str], other: Sequence[str]) -> float:
    """0.05 + 0.45 * the share of the asker's fields the other has: for pairs the model does not score."""
    shared = len(set(asker) & set(other)) / max(1, len(set(asker)))
    return round(0.05 + 0.45 * shared, 4)


def _firm_and_other(x: Participant, y: Participant) -> tuple[str, str, Label] | None:
    """(enterprise node, other node, its label) when the model scores this pair, else None."""
    if y.kind == "enterprise" and x.kind in SCORED:
        x, y = y, x
    if x.kind == "enterprise" and y.kind in SCORED and x.node and y.node:
        return x.node, y.node, SCORED[y.kind]
    return None


def _model_fits(model: Model, pairs: dict[int, tuple[str, str, Label]], rows: Sequence[NewRequest],
                file: str | None) -> dict[int, float | None]:
    """The model's score per row (None where a node is not in the graph as registered)."""
    try:
        rec = model()
    except InvalidInput as e:
        first = min(pairs)
        raise InvalidInput(f"请求 {rows[first].a} → {rows[first].b} 未填写 fit，而匹配模型无法训练（{e.reason}）："
                           "请填写 fit（0–1），或在图中有带日期的成交后再导入", **_at(file, first, "fit")) from None
    by_firm: dict[str, dict[int, tuple[str, Label]]] = {}
    for k, (firm, other, label) in pairs.items():
        by_firm.setdefault(firm, {})[k] = (other, label)
    out: dict[int, float | None] = {}
    signals = rec.signals()  # the answers read once for every firm of the file
    for firm, asked in by_firm.items():
        out.update(_score_for(rec, firm, asked, signals))
    return out


def _score_for(rec: PartnerRecommender, firm: str, asked: dict[int, tuple[str, Label]],
               signals: Signals | None) -> dict[int, float | None]:
    """Scores of researchers and institutions for one enterprise, one query for all of them."""
    p = rec.projection
    i = p.index.get(firm)
    if i is None or not p.alive[i] or p.label_of(i) != Label.ENTERPRISE:
        return dict.fromkeys(asked)
    try:
        q = rec.query_for(firm, None)
    except InvalidInput:  # e.g. added after the model's projection was built: it has no history to ask
        return dict.fromkeys(asked)
    members = {k: _members(rec, node, label) for k, (node, label) in asked.items()}
    every = np.unique(np.concatenate([m for m in members.values()] or [np.empty(0, dtype=np.int64)]))
    if len(every) == 0:
        return dict.fromkeys(asked)
    score = dict(zip(every.tolist(), rec.model.score(rec.pair_rows(q, every, signals)).tolist()))
    return {k: round(max(score[r] for r in m.tolist()), 4) if len(m) else None for k, m in members.items()}


def _members(rec: PartnerRecommender, node: str, label: Label) -> np.ndarray:
    """The researchers the model scores for `node`: itself, or an institution's researchers."""
    p = rec.projection
    i = p.index.get(node)
    if i is None or not p.alive[i] or p.label_of(i) != label:
        return np.empty(0, dtype=np.int64)
    found = np.array([i], dtype=np.int64) if label == Label.RESEARCHER else p.neighbours(node, _MEMBERS).nodes
    found = found.astype(np.int64)
    return found[(found < p.base_nodes) & rec.history.is_researcher[np.minimum(found, p.base_nodes - 1)]]


def _at(file: str | None, k: int, field: str) -> dict:
    """Where row k's field is: its file and line (after the header), or its index in a request body."""
    return {"file": file, "line": k + 2, "field": field} if file else {"field": f"{k}.{field}"}

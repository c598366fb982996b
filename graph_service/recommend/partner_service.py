"""Partner suggestions for an enterprise or one of its needs, each with the graph paths behind it.

`train` learns from the last years of deals (each with the history before its year); `recommend`
ranks candidates against the whole history, as of now. `save`/`load` keep the model and the text
index together, so that a service starts without refitting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from graph_service.catalogue import institution_kind, resolve
from graph_service.errors import InvalidInput
from graph_service.projection import Hop, Projection
from graph_service.recommend.answer_book import AnswerBook
from graph_service.recommend.feedback import Answer, Signals, read_answers, train_with_feedback
from graph_service.recommend.partners import (
    FEATURES,
    REFINE,
    History,
    PartnerModel,
    Query,
    Text,
    candidates,
    features,
    row,
)
from graph_service.recommend.toward import features_toward
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphReader
from graph_service.stores.cases import CaseStore
from graph_service.text.index import TextIndex

_POSTED_BY = Hop([RelType.POSTED], "in")
_ABOUT = Hop([RelType.ABOUT], "out")
_ACTIVE_IN = Hop([RelType.ACTIVE_IN], "out")
MODEL_FILE, TEXT_FILE, META_FILE = "partners.pkl", "text.pkl", "partners.json"
PATHS_PER_KIND = 2  # explanation paths shown per kind of reason


@dataclass(frozen=True)
class Path_:
    """One explanation: a walk through the graph, nodes in order and the relationships between them
    (each as stored: type, src, dst)."""

    kind: str  # past_deal | partner_coauthor | peer_deal | shared_field | same_city | same_circle
    nodes: list[str]
    rels: list[tuple[str, str, str]]


Climb = tuple[list[int], list[tuple[str, str, str]]]  # a node, its regions up to its city, the rels between


@dataclass(frozen=True)
class _Asker:
    """What explaining any candidate of one query needs to know about the asking enterprise."""

    deals: set[int]  # its past deals
    partners: list[int]  # researchers it signed with
    fields: set[int]  # fields it is active in
    wanted: set[int]  # fields the query wants
    place: Climb | None  # where it is
    words: sp.csr_matrix | None  # the query's text as a vector


@dataclass(frozen=True)
class PartnerSuggestion:
    id: str
    score: float
    paths: list[Path_]
    matched_words: list[str]  # words of the need found in the researcher's expertise

    @property
    def evidence(self) -> int:
        """Reasons behind the suggestion: each kind of path found, and matching words."""
        return len({p.kind for p in self.paths}) + bool(self.matched_words)


@dataclass(frozen=True)
class InstitutionSuggestion:
    id: str
    score: float  # its best researcher's
    researchers: list[str]  # its suggested researchers, best first


@dataclass(frozen=True)
class Filters:
    region: str | None = None  # candidates located in this region or below it
    circle: str | None = None  # candidates in a city of this economic circle (成渝, G60, ...)
    institution_kind: str | None = None  # university, research_institute, ...
    min_evidence: int = 0
    exclude_partners: bool = False  # leave out researchers the enterprise already signed with
    exclude: frozenset[str] = frozenset()  # researchers never to suggest (declined for this need)


@dataclass
class PartnerResult:
    query: Query
    suggestions: list[PartnerSuggestion]
    institutions: list[InstitutionSuggestion]
    considered: int  # candidates scored
    candidates: list[str] = field(default_factory=list)  # everyone who could have been shown


class PartnerRecommender:
    def __init__(self, projection: Projection, store: GraphReader, model: PartnerModel, text: TextIndex,
                 previous: PartnerRecommender | None = None, changed: Iterable[str] = ()) -> None:
        """`previous` (the recommender before a change of the same projection, whose text documents
        `changed` names) lends the parts the change left alone: a refresh costs what changed."""
        self.projection, self.store, self.model = projection, store, model
        self.text = Text(text, projection, previous.text if previous else None, changed)
        cutoff = _now(projection)
        kept = previous.history if previous and previous.history.cutoff == cutoff else None
        self.history = History(projection, cutoff, kept)
        self.answers = previous.answers if previous else AnswerBook()

    @classmethod
    def train(cls, projection: Projection, store: GraphReader, text: TextIndex, train_years: int = 3,
              seed: int = 0, feedback: list[Answer] | None = None) -> PartnerRecommender:
        """Learn from the last `train_years` of deals and from `feedback`, the answers on suggested partners
        (None: every answer the store's cases hold), when a validation split says it ranks at least as well."""
        now = _now(projection)
        if feedback is None:
            feedback = read_answers(store) if isinstance(store, CaseStore) else []
        model = train_with_feedback(projection, store, range(now - train_years, now), Text(text, projection), seed,
                                    feedback)
        return cls(projection, store, model, text)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save(directory / MODEL_FILE)
        self.text.index.save(directory / TEXT_FILE)
        (directory / META_FILE).write_text(json.dumps(self.model.meta, ensure_ascii=False, indent=2))

    @classmethod
    def load(cls, directory: Path, projection: Projection, store: GraphReader) -> PartnerRecommender:
        return cls(projection, store, PartnerModel.load(directory / MODEL_FILE), TextIndex.load(directory / TEXT_FILE))

    @staticmethod
    def saved_in(directory: Path) -> bool:
        return all((directory / f).exists() for f in (MODEL_FILE, TEXT_FILE))

    # --- queries -------------------------------------------------------------------------------
    def query_for(self, enterprise_id: str | None, need_id: str | None, text: str = "") -> Query:
        p = self.projection
        if need_id is not None:
            need = p.idx(need_id)
            if p.label_of(need) != Label.NEED:
                raise InvalidInput(f"{need_id!r} is a {p.label_of(need)}, not a Need", field="need")
            posters = [i for i in p.neighbours(need_id, _POSTED_BY).nodes.tolist() if p.label_of(i) == Label.ENTERPRISE]
            if not posters:
                raise InvalidInput(f"need {need_id!r} has no enterprise that posted it", field="need")
            node = self.store.get_node(need_id)
            wanted = p.neighbours(need_id, _ABOUT).nodes
            need_text = str(node.props.get("text", "")) if node else ""
            return self._checked(Query(posters[0], wanted, " ".join(filter(None, [need_text, text])), need))
        if enterprise_id is None:
            raise InvalidInput("give an enterprise or a need", field="enterprise")
        firm = p.idx(enterprise_id)
        if p.label_of(firm) != Label.ENTERPRISE:
            raise InvalidInput(f"{enterprise_id!r} is a {p.label_of(firm)}, not an Enterprise", field="enterprise")
        return self._checked(Query(firm, p.neighbours(enterprise_id, _ACTIVE_IN).nodes, text))

    def _checked(self, q: Query) -> Query:
        if q.enterprise >= self.projection.base_nodes:
            raise InvalidInput(f"enterprise {self.projection.ids[q.enterprise]!r} was added after the projection "
                               "was built; rebuild it (POST /api/v1/graph/projection/rebuild) to recommend for it",
                               field="enterprise")
        q.fields = q.fields[q.fields < self.projection.base_nodes]  # fields added since are not in the history
        return q

    def scored(self, q: Query, filters: Filters = Filters(), top_k: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """(candidates, model scores) after filters, best first; all bags score at least 3 * top_k."""
        h = self.history
        cands = candidates(h, q, self.text)
        cands = cands[self._keep(q, cands, filters)]
        if len(cands) == 0:
            return cands, np.empty(0)
        order, scores = self.model.rank(self.pair_rows(q, cands), max(REFINE, 3 * top_k))
        return cands[order], scores[order]

    def signals(self) -> Signals | None:
        """The source of the feedback columns the model learnt from, as the cases stand now (None: none)."""
        extra = tuple(self.model.meta["features"][len(FEATURES):])
        if not extra:
            return None
        assert isinstance(self.store, CaseStore), "a model with feedback columns needs the cases"
        return self.answers.signals(self.store, self.projection, extra)

    def pair_rows(self, q: Query, cands: np.ndarray, signals: Signals | None = None) -> np.ndarray:
        """The model's rows for the candidates: FEATURES, then the feedback columns, if any, from `signals`
        (default: `self.signals()`; many queries in a row pass it once), the need's own answers left out as
        in training."""
        x = features(self.history, q, cands, self.text)
        signals = signals or self.signals()
        return x if signals is None else np.hstack([x, self._feedback(signals, x, q, cands)])

    def rows_toward(self, queries: list[Query], r: int) -> np.ndarray:
        """`pair_rows(q, [r])` for each query, read from the researcher's side (recommend.toward)."""
        x = features_toward(self.history, queries, r, self.text)
        signals = self.signals()
        if signals is None:
            return x
        one = np.array([r])
        return np.hstack([x, np.vstack([self._feedback(signals, x[i:i + 1], q, one) for i, q in enumerate(queries)])])

    def _feedback(self, signals: Signals, x: np.ndarray, q: Query, cands: np.ndarray) -> np.ndarray:
        """The feedback columns of the rows `x`, the need's own answers left out (as in training)."""
        return signals.columns(x, q, cands, self.projection.ids[q.need] if q.need >= 0 else None)

    def recommend(self, enterprise_id: str | None = None, need_id: str | None = None, top_k: int = 10,
                  filters: Filters = Filters(), text: str = "", rerank=None) -> PartnerResult:
        """Top `top_k` researchers with their paths; `rerank(ids, scores, k)` may reorder (fairness)."""
        q = self.query_for(enterprise_id, need_id, text)
        cands, scores = self.scored(q, filters, top_k)
        p = self.projection
        ids = [p.ids[c] for c in cands.tolist()]
        position = {i: k for k, i in enumerate(ids)}
        chosen: list[PartnerSuggestion] = []
        # explain in score order until top_k pass the evidence bar (explaining all would cost more)
        asker = self._asker(q)
        pool = ids if rerank is None else rerank(ids, np.log(np.maximum(scores, 1e-12)).tolist(), len(ids))
        for node_id in pool:
            suggestion = self.explain(q, p.idx(node_id), float(scores[position[node_id]]), asker)
            if suggestion.evidence >= filters.min_evidence:
                chosen.append(suggestion)
                if len(chosen) == top_k:
                    break
        return PartnerResult(q, chosen, self._institutions(chosen), len(cands), ids)

    def _keep(self, q: Query, cands: np.ndarray, f: Filters) -> np.ndarray:
        h, p = self.history, self.projection
        keep = np.ones(len(cands), dtype=bool)
        if f.exclude_partners:
            keep &= np.asarray(h.partners[q.enterprise][:, cands].todense()).ravel() == 0
        if f.exclude:
            keep &= ~np.isin(cands, [p.index[i] for i in f.exclude if i in p.index])
        if f.region is not None:
            keep &= h.within(cands, self._node(f.region, Label.REGION, "region"))
        if f.circle is not None:
            keep &= h.in_circle(cands, self._node(f.circle, Label.CIRCLE, "circle"))
        if f.institution_kind is not None:
            kind, kinds = institution_kind(f.institution_kind), p.vocab.get("kind", [])
            code = kinds.index(kind) if kind in kinds else -2  # a kind no institution has: nobody is kept
            aff = p.out[RelType.AFFILIATED_WITH]
            kind_of = np.full(len(cands), -1)
            has = np.diff(aff.indptr)[cands] > 0
            kind_of[has] = p.attrs["kind"][aff.indices[aff.indptr[cands[has]]]]
            keep &= kind_of == code
        return keep

    def _node(self, value: str, label: Label, name: str) -> int:
        """The node a filter names by id, full name or short name (成渝, 成都市)."""
        return resolve(self.projection, value, label, name)

    def _institutions(self, chosen: list[PartnerSuggestion]) -> list[InstitutionSuggestion]:
        p = self.projection
        by: dict[str, list[PartnerSuggestion]] = {}
        for s in chosen:
            for inst in row(p.out[RelType.AFFILIATED_WITH], p.idx(s.id)).tolist():
                by.setdefault(p.ids[inst], []).append(s)
        ranked = sorted(by.items(), key=lambda kv: (-kv[1][0].score, kv[0]))
        return [InstitutionSuggestion(i, members[0].score, [m.id for m in members]) for i, members in ranked]

    # --- explanations --------------------------------------------------------------------------
    def explain(self, q: Query, r: int, score: float, asker: _Asker | None = None) -> PartnerSuggestion:
        """Researcher r's suggestion with its paths; `asker` (from `_asker(q)`) spares recomputing what
        every candidate of one query shares."""
        h, p = self.history, self.projection
        a = asker or self._asker(q)
        e, rid, eid = q.enterprise, p.ids[r], p.ids[q.enterprise]
        paths: list[Path_] = []
        party = RelType.PARTY_TO.value
        mine = set(row(h.involved, r).tolist())
        for d in sorted(a.deals & mine)[:PATHS_PER_KIND]:
            paths.append(Path_("past_deal", [eid, p.ids[d], rid], [(party, eid, p.ids[d]), (party, rid, p.ids[d])]))
        coauthors = set(row(h.coauthors, r).tolist())
        for partner in [i for i in a.partners if i in coauthors and i != r][:PATHS_PER_KIND]:
            d = min(a.deals & set(row(h.involved, partner).tolist()))
            x, y = sorted((rid, p.ids[partner]))
            paths.append(Path_("partner_coauthor", [eid, p.ids[d], p.ids[partner], rid],
                               [(party, eid, p.ids[d]), (party, p.ids[partner], p.ids[d]),
                                (RelType.CO_AUTHOR.value, x, y)]))
        paths += self._peer_paths(e, r, mine, a.fields)
        source, via = (e, RelType.ACTIVE_IN) if q.need < 0 else (q.need, RelType.ABOUT)
        for f in sorted(a.wanted & set(row(h.expertise, r).tolist())):
            paths.append(Path_("shared_field", [p.ids[source], p.ids[f], rid],
                               [(via.value, p.ids[source], p.ids[f]), (RelType.EXPERT_IN.value, rid, p.ids[f])]))
        paths += self._place_paths(a.place, r)
        words: list[str] = []
        if a.words is not None:
            doc = self.text.index.position(rid)
            if doc >= 0:
                words = self.text.index.matched_words(a.words, doc)
        return PartnerSuggestion(rid, score, paths, words)

    def _asker(self, q: Query) -> _Asker:
        h = self.history
        e = q.enterprise
        return _Asker(deals=set(row(h.involved, e).tolist()),
                      partners=[i for i in row(h.partners, e).tolist() if h.is_researcher[i]],
                      fields=set(row(h.activity, e).tolist()), wanted=set(q.fields.tolist()), place=self._climb(e),
                      words=self.text.lookup(q.text)[3].query if q.text else None)

    def _peer_paths(self, e: int, r: int, deals: set[int], fields: set[int]) -> list[Path_]:
        """Enterprise -ACTIVE_IN-> field <-ACTIVE_IN- other enterprise -PARTY_TO-> deal <-PARTY_TO- r."""
        h, p = self.history, self.projection
        out: list[Path_] = []
        for d in sorted(deals):
            for other in row(p.inc[RelType.PARTY_TO], d).tolist():
                if other == e or p.label_of(other) != Label.ENTERPRISE:
                    continue
                shared = sorted(fields & set(row(h.activity, other).tolist()))
                if shared:
                    f, ids = shared[0], p.ids
                    active, party = RelType.ACTIVE_IN.value, RelType.PARTY_TO.value
                    out.append(Path_("peer_deal", [ids[e], ids[f], ids[other], ids[d], ids[r]],
                                     [(active, ids[e], ids[f]), (active, ids[other], ids[f]),
                                      (party, ids[other], ids[d]), (party, ids[r], ids[d])]))
                    if len(out) == PATHS_PER_KIND:
                        return out
        return out

    def _place_paths(self, a: Climb | None, r: int) -> list[Path_]:
        """Both located in one city, or in two cities of one economic circle."""
        h, p = self.history, self.projection
        b = self._climb(r)
        if not a or not b:
            return []
        ca, cb = a[0][-1], b[0][-1]
        down = [(t, x, y) for t, x, y in b[1]][::-1]
        if ca == cb:
            return [Path_("same_city", [p.ids[i] for i in a[0] + b[0][-2::-1]], a[1] + down)]
        shared = [c for c, bit in h.circle_bit.items() if h.circle_bits[ca] & h.circle_bits[cb] & bit]
        if not shared:
            return []
        c = min(shared, key=lambda i: p.ids[i])
        member = RelType.MEMBER_OF.value
        bridge = [(member, p.ids[ca], p.ids[c]), (member, p.ids[cb], p.ids[c])]
        return [Path_("same_circle", [p.ids[i] for i in a[0] + [c] + b[0][::-1]], a[1] + bridge + down)]

    def _climb(self, node: int) -> Climb | None:
        """Node, its region, and parents up to its city; with the LOCATED_IN and PART_OF rels between."""
        h, p = self.history, self.projection
        at, city = int(h.region[node]), int(h.city[node])
        if at < 0 or city < 0:
            return None
        nodes, rels = [node, at], [(RelType.LOCATED_IN.value, p.ids[node], p.ids[at])]
        while at != city:
            up = int(h.parent[at])
            nodes.append(up)
            rels.append((RelType.PART_OF.value, p.ids[at], p.ids[up]))
            at = up
        return nodes, rels


def _now(projection: Projection) -> int:
    years = projection.attrs["year"][projection.attrs["year"] > 0]
    if len(years) == 0:
        raise InvalidInput("the graph holds no dated deals to learn from", field="Deal")
    return int(years.max()) + 1


__all__ = ["FEATURES", "Filters", "PartnerRecommender", "PartnerResult", "PartnerSuggestion", "Path_"]

"""A TF-IDF index over short Chinese texts, answering "which documents fit this text, and by which words"."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from graph_service.schema import Label
from graph_service.stores.base import GraphStore
from graph_service.text.tokenizer import DomainTokenizer

# What each label's document is made of (property names; the whitelist of what gets indexed).
TEXT_FIELDS: dict[Label, tuple[str, ...]] = {
    Label.RESEARCHER: ("expertise", "keywords"),
    Label.NEED: ("text",),
    Label.OFFER: ("text",),
}


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    matched: list[str]  # the query's words found in the document, strongest first


class TextIndex:
    def __init__(self, ids: Sequence[str], texts: Sequence[str], tokenizer: DomainTokenizer) -> None:
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        self.ids = list(ids)
        self._position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self._vectorizer = TfidfVectorizer(tokenizer=tokenizer, token_pattern=None, lowercase=False,
                                           sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(texts).tocsr()
        self._terms = self._vectorizer.get_feature_names_out()

    def search(self, query: str, top_k: int = 10, among: Sequence[str] | None = None) -> list[Hit]:
        """Best `top_k` documents by cosine similarity (only those with a shared word), optionally only
        among the given ids."""
        q = self._vectorizer.transform([query])
        scores = np.asarray((self._matrix @ q.T).todense()).ravel()
        if among is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[[self._position[i] for i in among if i in self._position]] = True
            scores = np.where(mask, scores, 0.0)
        k = min(top_k, int((scores > 0).sum()))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        q_terms = dict(zip(q.indices.tolist(), q.data.tolist()))
        hits = []
        for i in best.tolist():
            row = self._matrix[i]
            shared = sorted((t for t in row.indices.tolist() if t in q_terms), key=lambda t: -q_terms[t])
            hits.append(Hit(self.ids[i], float(scores[i]), [str(self._terms[t]) for t in shared]))
        return hits


    def similarity(self, query: str, ids: Sequence[str]) -> np.ndarray:
        """Cosine similarity of `query` to each listed document (0 for ids not indexed)."""
        q = self._vectorizer.transform([query])
        rows = np.array([self._position.get(i, -1) for i in ids], dtype=np.int64)
        out = np.zeros(len(ids))
        known = rows >= 0
        if known.any():
            out[known] = np.asarray((self._matrix[rows[known]] @ q.T).todense()).ravel()
        return out


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, str) and value.startswith("["):  # SQLite's json_extract returns arrays as JSON
        return " ".join(map(str, json.loads(value)))
    return "" if value is None else str(value)


def build_text_index(store: GraphStore, labels: Sequence[Label] = tuple(TEXT_FIELDS)) -> TextIndex:
    """One index over the documents of `labels`; the domain dictionary comes from the graph itself:
    field names and researchers' keywords."""
    words: set[str] = set()
    for batch in store.scan_nodes(Label.RESEARCHER, ("keywords",)):
        for row in batch:
            words.update(_as_text(row[2]).split())
    ids: list[str] = []
    texts: list[str] = []
    for label in labels:
        for batch in store.scan_nodes(label, TEXT_FIELDS[label]):
            for row in batch:
                ids.append(row[1])
                texts.append(" ".join(_as_text(v) for v in row[2:]))
    field_ids = [row[1] for batch in store.scan_nodes(Label.FIELD, ()) for row in batch]
    words.update(node.props["name"] for node in store.get_nodes(field_ids).values())
    return TextIndex(ids, texts, DomainTokenizer(words))

"""A TF-IDF index over short Chinese texts, answering "which documents fit this text, and by which words"."""

from __future__ import annotations

import copy
import json
import multiprocessing as mp
import os
import pickle
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from graph_service.schema import Label
from graph_service.stores.base import GraphStore
from graph_service.text.tokenizer import DomainTokenizer

PARALLEL_FROM = 50_000  # texts; below this a process pool costs more than it saves
MAX_POSTING = 20_000  # documents a query word may reach before it is skipped (see TextIndex.hits)

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


def _given(tokens: list[str]) -> list[str]:
    """The vectorizer's analyzer: documents arrive already tokenized (in parallel, see `tokenize`)."""
    return tokens


_worker_tokenizer: DomainTokenizer | None = None


def _start_worker(words: list[str]) -> None:
    global _worker_tokenizer
    _worker_tokenizer = DomainTokenizer(words)


def _tokenize_chunk(texts: list[str]) -> list[list[str]]:
    assert _worker_tokenizer is not None
    return [_worker_tokenizer(t) for t in texts]


def tokenize(texts: Sequence[str], tokenizer: DomainTokenizer, workers: int = 1) -> list[list[str]]:
    """Tokens of every text; jieba is pure Python, so large corpora are split over `workers` processes."""
    if workers <= 1 or len(texts) < PARALLEL_FROM:
        return [tokenizer(t) for t in texts]
    size = -(-len(texts) // (workers * 4))
    chunks = [list(texts[i:i + size]) for i in range(0, len(texts), size)]
    with mp.get_context("spawn").Pool(workers, _start_worker, (tokenizer.words,)) as pool:
        return [tokens for part in pool.map(_tokenize_chunk, chunks) for tokens in part]


class TextIndex:
    def __init__(self, ids: Sequence[str], texts: Sequence[str], tokenizer: DomainTokenizer,
                 workers: int = 1) -> None:
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        self.ids = list(ids)
        self.tokenizer = tokenizer
        self._position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self._vectorizer = TfidfVectorizer(analyzer=_given, sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(tokenize(texts, tokenizer, workers)).tocsr()
        self._terms = self._vectorizer.get_feature_names_out()
        self._postings = self._matrix.tocsc()  # term -> documents, for queries touching few words
        self._vocabulary: dict[str, int] = self._vectorizer.vocabulary_
        self._idf = self._vectorizer.idf_
        self._analyze = lru_cache(maxsize=4096)(tokenizer)  # the same need is asked about again; jieba is slow
        self._extra = _Overlay()
        self._crc = dict(zip(self.ids, map(_crc, texts)))  # what each document was made from

    def knows_texts(self) -> bool:
        """False for an index saved before it kept what its documents were made from."""
        return bool(self._crc) or not self.ids

    def stale_docs(self, store: GraphStore) -> dict[str, str | None]:
        """Documents whose text in the store differs from this index's (new ones, changed ones), and
        None for those gone: what `updated` needs to match the store. One scan, no tokenizing."""
        found: dict[str, str | None] = {}
        seen: set[str] = set()
        for doc_id, text in store_docs(store):
            seen.add(doc_id)
            if self._crc.get(doc_id) != _crc(text):
                found[doc_id] = text
        found.update((doc_id, None) for doc_id in self._position if doc_id not in seen)
        return found

    def updated(self, docs: dict[str, str | None]) -> TextIndex:
        """A new index with these documents put (text) or dropped (None), weighted by this index's
        vocabulary and idf (fitted when the model was trained; refitted at the next training). The
        fitted matrices are shared; changed documents live in a small overlay. A new object, so
        requests still reading this one are not disturbed."""
        new = copy.copy(self)
        new.ids, new._position = list(self.ids), dict(self._position)
        rows, new._crc = dict(self._extra.rows), dict(self._crc)
        for doc_id, text in docs.items():
            new._crc[doc_id] = _crc(text or "")
            i = new._position.get(doc_id)
            if i is None:
                if text is None:
                    continue
                i = new._position[doc_id] = len(new.ids)
                new.ids.append(doc_id)
            if text is None:
                del new._position[doc_id]
            rows[i] = self.vector(text or "")
        new._extra = _Overlay(rows, self._matrix.shape[0])
        return new

    def doc_vector(self, doc_id: str) -> sp.csr_matrix | None:
        """The document's weighted row as this index holds it (None when it has none)."""
        i = self._position.get(doc_id)
        return None if i is None else self._row(i)

    def _row(self, i: int) -> sp.csr_matrix:
        found = self._extra.rows.get(i)
        return found if found is not None else self._matrix[i]

    def vector(self, query: str) -> sp.csr_matrix:
        """The query's TF-IDF row, as the vectorizer's `transform` makes it (sublinear tf, idf, l2 norm),
        without its per-call validation, which cost more than the arithmetic."""
        counts: dict[int, int] = {}
        for token in self._analyze(query):
            t = self._vocabulary.get(token)
            if t is not None:
                counts[t] = counts.get(t, 0) + 1
        ids = np.array(sorted(counts), dtype=np.int32)
        weights = (1.0 + np.log(np.array([counts[t] for t in ids.tolist()], dtype=np.float64))) * self._idf[ids]
        norm = np.sqrt((weights**2).sum())
        return sp.csr_matrix((weights / norm if norm else weights, ids, np.array([0, len(ids)])),
                             shape=(1, len(self._idf)))

    def hits(self, query: str) -> TextHits:
        """Every document sharing a word with `query`, read from the posting lists of its words only,
        so the cost follows the query's words, not the size of the index. Words found in more than
        MAX_POSTING documents are skipped: they would touch a large part of the index and tell little
        (a field name in every expert's profile; field overlap is its own feature)."""
        q, docs, weights = self._postings_of(query)
        if len(docs) == 0:
            return TextHits(np.empty(0, dtype=np.int64), np.empty(0), np.empty(0, dtype=np.int64), q)
        found, inverse = np.unique(docs, return_inverse=True)
        return TextHits(found.astype(np.int64), np.bincount(inverse, weights=weights),
                        np.bincount(inverse).astype(np.int64), q)

    def standing(self, query: str, position: int) -> tuple[float, int, int]:
        """(similarity, words shared, documents sharing more words) of one document for `query`, as
        `hits` would give them, without sorting every match: one document's place among many queries."""
        _, docs, weights = self._postings_of(query)
        words = np.bincount(docs, minlength=len(self.ids))
        mine = int(words[position]) if position >= 0 else 0
        sim = float(weights[docs == position].sum()) if mine else 0.0
        return sim, mine, int(np.count_nonzero(words > mine))

    def _postings_of(self, query: str) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """The query's vector, and one (document, weight) entry per posting of its kept words."""
        q = self.vector(query)
        cols = self._postings
        spans = [(t, cols.indptr[t], cols.indptr[t + 1], w) for t, w in zip(q.indices.tolist(), q.data.tolist())
                 if cols.indptr[t + 1] - cols.indptr[t] <= MAX_POSTING]
        docs = np.concatenate([cols.indices[a:b] for _, a, b, _ in spans] or [np.empty(0, dtype=np.int64)])
        weights = np.concatenate([cols.data[a:b] * w for _, a, b, w in spans] or [np.empty(0)])
        if self._extra.rows:  # documents changed since the fit
            docs, weights = self._extra.merged(q, docs, weights, [t for t, _, _, _ in spans])
        return q, docs, weights

    def search(self, query: str, top_k: int = 10, among: Sequence[str] | None = None) -> list[Hit]:
        """Best `top_k` documents by cosine similarity (only those with a shared word), optionally only
        among the given ids."""
        found = self.hits(query)
        docs, scores = found.docs, found.sim
        if among is not None:
            keep = np.isin(docs, [self._position[i] for i in among if i in self._position])
            docs, scores = docs[keep], scores[keep]
        best = np.argsort(-scores, kind="stable")[:top_k]
        return [Hit(self.ids[d], float(scores[i]), self.matched_words(found.query, d))
                for i, d in zip(best.tolist(), docs[best].tolist())]

    def matched_words(self, query: str | sp.csr_matrix, doc: int | str) -> list[str]:
        """The query's words found in one document (by position or id), strongest for the query first."""
        q = self.vector(query) if isinstance(query, str) else query
        i = self._position[doc] if isinstance(doc, str) else doc
        terms = self._row(i).indices
        weight = dict(zip(q.indices.tolist(), q.data.tolist()))
        shared = sorted((t for t in terms.tolist() if t in weight), key=lambda t: -weight[t])
        return [str(self._terms[t]) for t in shared]

    def position(self, doc_id: str) -> int:
        return self._position.get(doc_id, -1)

    def save(self, path: Path) -> None:
        with open(path, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    def __getstate__(self) -> dict:  # the analyzer cache is rebuilt on load
        return {k: v for k, v in self.__dict__.items() if k != "_analyze"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({"_extra": _Overlay(), "_crc": {}, **state})  # saved before either existed
        self._analyze = lru_cache(maxsize=4096)(self.tokenizer)

    @staticmethod
    def load(path: Path) -> TextIndex:
        with open(path, "rb") as f:
            index = pickle.load(f)  # our own file, written by `techmatch train`
        if not isinstance(index, TextIndex):
            raise ValueError(f"{path} does not hold a text index")
        return index


class _Overlay:
    """Documents changed since the fit: their rows, and the same entries by term (a few hundred rows)
    so that a query finds them as it finds the fitted ones. The fitted postings of a changed
    document are masked out."""

    def __init__(self, rows: dict[int, sp.csr_matrix] | None = None, fitted: int = 0) -> None:
        self.rows = rows or {}
        if not self.rows:
            return
        self.positions = np.array(sorted(self.rows), dtype=np.int64)
        self.by_term = sp.vstack([self.rows[i] for i in self.positions.tolist()]).tocsc()
        self.masked = self.positions[self.positions < fitted]

    def merged(self, q: sp.csr_matrix, docs: np.ndarray, weights: np.ndarray, terms: list[int]
               ) -> tuple[np.ndarray, np.ndarray]:
        keep = ~np.isin(docs, self.masked)
        docs, weights = docs[keep], weights[keep]
        cols, qw = self.by_term, dict(zip(q.indices.tolist(), q.data.tolist()))
        extra_docs = [self.positions[cols.indices[cols.indptr[t]:cols.indptr[t + 1]]] for t in terms]
        extra_w = [cols.data[cols.indptr[t]:cols.indptr[t + 1]] * qw[t] for t in terms]
        return np.concatenate([docs, *extra_docs]), np.concatenate([weights, *extra_w])


@dataclass(frozen=True)
class TextHits:
    """Documents sharing words with one query: positions (sorted), cosine similarity, words shared."""

    docs: np.ndarray
    sim: np.ndarray
    words: np.ndarray
    query: sp.csr_matrix

    def words_ahead(self, words: np.ndarray) -> np.ndarray:
        """For each count of shared words, how many documents share more: the rank a search would give."""
        counts = np.bincount(self.words, minlength=int(max(words.max(initial=0), self.words.max(initial=0))) + 2)
        more = counts[::-1].cumsum()[::-1]  # more[w] = documents sharing at least w words
        return more[words.astype(np.int64) + 1]


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, str) and value.startswith("["):  # SQLite's json_extract returns arrays as JSON
        return " ".join(map(str, json.loads(value)))
    return "" if value is None else str(value)


def doc_text(label: Label, props: dict) -> str:
    """A node's document: its TEXT_FIELDS joined, as the index is built from them."""
    return " ".join(_as_text(props.get(f)) for f in TEXT_FIELDS[label])


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def store_docs(store: GraphStore, labels: Sequence[Label] = tuple(TEXT_FIELDS)) -> Iterator[tuple[str, str]]:
    """(id, document) of every node of `labels`, as the index is built from them."""
    for label in labels:
        for batch in store.scan_nodes(label, TEXT_FIELDS[label]):
            for row in batch:
                yield row[1], " ".join(_as_text(v) for v in row[2:])


def build_text_index(store: GraphStore, labels: Sequence[Label] = tuple(TEXT_FIELDS)) -> TextIndex:
    """One index over the documents of `labels`; the domain dictionary comes from the graph itself:
    field names and researchers' keywords."""
    words: set[str] = set()
    for batch in store.scan_nodes(Label.RESEARCHER, ("keywords",)):
        for row in batch:
            words.update(_as_text(row[2]).split())
    ids: list[str] = []
    texts: list[str] = []
    for doc_id, text in store_docs(store, labels):
        ids.append(doc_id)
        texts.append(text)
    field_ids = [row[1] for batch in store.scan_nodes(Label.FIELD, ()) for row in batch]
    words.update(node.props["name"] for node in store.get_nodes(field_ids).values())
    return TextIndex(ids, texts, DomainTokenizer(words), workers=os.cpu_count() or 1)

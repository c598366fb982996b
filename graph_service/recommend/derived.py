"""The deal history's large matrices, made again only where their inputs changed.

After a write the history is rebuilt for the next recommendation. Its large parts (co-authorship,
expertise, the walk over partners and co-authors: a million entries at the city tier) come from
relationship types a typical write does not touch: those are taken from the previous history (grown to
new nodes, no copy), and the walk is patched in the rows whose deal partners changed. The result is the
matrix a full build gives; the change-feed tests compare both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from graph_service.projection import Projection
from graph_service.projection.graph import grown
from graph_service.schema import RelType


class _Derived(Protocol):
    p: Projection
    versions: dict[RelType, int]


def ones(m: sp.spmatrix) -> sp.csr_matrix:
    """The pattern of m as float64 ones (entries stored as zero dropped): `(m != 0).astype(...)` without
    its comparison pass."""
    out = sp.csr_matrix(m, dtype=np.float64, copy=True)
    out.eliminate_zeros()
    out.data[:] = 1.0
    return out


def unchanged(previous: _Derived | None, p: Projection, types: Iterable[RelType]) -> bool:
    """Whether `previous` was derived from these types' arrays as they are now (same projection)."""
    return previous is not None and previous.p is p and all(previous.versions.get(t) == p.versions.get(t)
                                                            for t in types)


def kept(previous: _Derived, name: str, n: int) -> sp.csr_matrix:
    return grown(getattr(previous, name), n)


def walk(partners: sp.csr_matrix, coauthors: sp.csr_matrix) -> sp.csr_matrix:
    """Partners or co-authors, ones, without self-loops."""
    out = ones(partners + coauthors)
    out.data[np.repeat(np.arange(out.shape[0]), np.diff(out.indptr)) == out.indices] = 0
    out.eliminate_zeros()  # (scipy's setdiag took 0.3 s of a 0.5 s rebuild at the city tier)
    return out


def patched_walk(old_walk: sp.csr_matrix, old_partners: sp.csr_matrix, partners: sp.csr_matrix,
                 coauthors: sp.csr_matrix) -> sp.csr_matrix:
    """`walk(partners, coauthors)` from the previous one, with co-authorship unchanged: only the rows whose
    partners changed are made again (partners are symmetric, so the changed entries' columns are among
    those rows too)."""
    n = partners.shape[0]
    before = grown(old_partners.tocsr(), n)
    rows = np.unique((partners != before).tocoo().row)
    base = grown(old_walk, n)
    if len(rows) == 0:
        return base
    return _replace_rows(base, rows, _rows_walk(partners, coauthors, rows))


def _rows_walk(partners: sp.csr_matrix, coauthors: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    out = ones(partners[rows] + coauthors[rows])
    out.data[np.repeat(rows, np.diff(out.indptr)) == out.indices] = 0  # row k is node rows[k]
    out.eliminate_zeros()
    out.sort_indices()
    return out


def _replace_rows(m: sp.csr_matrix, rows: np.ndarray, sub: sp.csr_matrix) -> sp.csr_matrix:
    """m with rows[k] replaced by sub's row k (rows sorted), one pass over m's arrays."""
    counts = np.diff(m.indptr)
    counts[rows] = np.diff(sub.indptr)
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices, data, at = [], [], 0
    for k, r in enumerate(rows.tolist()):
        indices += [m.indices[m.indptr[at]:m.indptr[r]], sub.indices[sub.indptr[k]:sub.indptr[k + 1]]]
        data += [m.data[m.indptr[at]:m.indptr[r]], sub.data[sub.indptr[k]:sub.indptr[k + 1]]]
        at = r + 1
    indices.append(m.indices[m.indptr[at]:])
    data.append(m.data[m.indptr[at]:])
    out = sp.csr_matrix((np.concatenate(data), np.concatenate(indices).astype(m.indices.dtype), indptr),
                        shape=m.shape)
    out.has_sorted_indices = True
    return out

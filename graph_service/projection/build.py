"""Build a `Projection` from any `GraphStore` through its bulk scans (the same code for every backend)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from graph_service.projection.graph import LABELS, TYPES, Projection, encode_attr
from graph_service.projection.names import NamesBuilder
from graph_service.schema import NUMERIC_ATTRS, PROJECTED_ATTRS, Label
from graph_service.stores.base import GraphScanner


class _KeyMap:
    """Store key -> dense index. Integer keys (SQLite) use a lookup array; others (Neo4j ids) a dict."""

    def __init__(self, keys: list) -> None:
        self.n = len(keys)
        if keys and all(isinstance(k, int) for k in itertools.islice(keys, 1000)):
            arr = np.fromiter(keys, dtype=np.int64, count=len(keys))
            self.lut = np.full(int(arr.max()) + 1, -1, dtype=np.int32)  # int32: half the memory at 2 M nodes
            self.lut[arr] = np.arange(len(arr), dtype=np.int32)
            self.table: dict | None = None
        else:
            self.table = {k: i for i, k in enumerate(keys)}

    def map(self, keys: Sequence) -> np.ndarray:
        if self.table is None:
            return self.lut[np.fromiter(keys, dtype=np.int64, count=len(keys))]
        return np.fromiter((self.table[k] for k in keys), dtype=np.int32, count=len(keys))


def _label_rows(store: GraphScanner, label: Label, wanted: Sequence[str]) -> tuple[list, list[str], list[list]]:
    """(keys, ids, one value list per wanted attribute) of a label's nodes, ordered by id: the same
    order from every store, so indices, category codes and ties in rankings do not depend on the backend."""
    keys: list = []
    ids: list[str] = []
    values: list[list] = [[] for _ in wanted]
    for batch in store.scan_nodes(label, wanted):
        keys.extend(row[0] for row in batch)
        ids.extend(row[1] for row in batch)
        for col, out in enumerate(values, start=2):
            out.extend(row[col] for row in batch)
    if any(a > b for a, b in zip(ids, itertools.islice(ids, 1, None))):  # SQLite's generated data is in order
        order = sorted(range(len(ids)), key=ids.__getitem__)
        keys, ids = [keys[i] for i in order], [ids[i] for i in order]
        values = [[v[i] for i in order] for v in values]
    return keys, ids, values


def build_projection(store: GraphScanner) -> Projection:
    """Read every node and relationship once; peak memory is the arrays plus one label's rows."""
    keys: list = []
    ids: list[str] = []
    label_codes: list[np.ndarray] = []
    attr_names = sorted({a for names in PROJECTED_ATTRS.values() for a in names})
    attr_parts: dict[str, list[np.ndarray]] = {a: [] for a in attr_names}
    vocab: dict[str, list[str]] = {}
    names = NamesBuilder()
    for code, label in enumerate(LABELS):
        wanted = PROJECTED_ATTRS.get(label, ())
        label_keys, label_ids, values = _label_rows(store, label, ("name", *wanted))
        names.extend(values.pop(0))
        keys.extend(label_keys)
        ids.extend(label_ids)
        label_codes.append(np.full(len(label_ids), code, dtype=np.int8))
        for name in attr_names:
            if name in wanted:
                column = values[wanted.index(name)]
                codes = column if name in NUMERIC_ATTRS else [encode_attr(vocab, name, v) for v in column]
                attr_parts[name].append(np.array([-1 if v is None else v for v in codes], dtype=np.int32))
            else:
                attr_parts[name].append(np.full(len(label_ids), -1, dtype=np.int32))
        del label_keys, label_ids, values
    keymap = _KeyMap(keys)
    del keys
    edges = {}
    for t in TYPES:
        src_parts, dst_parts, w_parts = [], [], []
        for src, dst, weight in store.scan_rels(t):
            src_parts.append(keymap.map(src))
            dst_parts.append(keymap.map(dst))
            w_parts.append(np.fromiter(weight, dtype=np.float32, count=len(weight)))
        if src_parts:
            edges[t] = (np.concatenate(src_parts), np.concatenate(dst_parts), np.concatenate(w_parts))
            del src_parts, dst_parts, w_parts
    labels = np.concatenate(label_codes) if label_codes else np.empty(0, dtype=np.int8)
    attrs = {a: (np.concatenate(p) if p else np.empty(0, dtype=np.int32)) for a, p in attr_parts.items()}
    return Projection(ids, labels, attrs, vocab, edges, names.build())

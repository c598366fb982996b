"""Build a `Projection` from any `GraphStore` through its bulk scans (the same code for every backend)."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence

import numpy as np

from graph_service.errors import StoreUnavailable
from graph_service.projection.graph import LABELS, TYPES, Projection, encode_attr
from graph_service.projection.names import NamesBuilder
from graph_service.schema import NUMERIC_ATTRS, PROJECTED_ATTRS, Label
from graph_service.stores.base import GraphReader, GraphScanner

log = logging.getLogger(__name__)
_INT32 = np.iinfo(np.int32)
_READ_CHUNK = 5000  # ids per get_nodes when a label's scan cannot be decoded


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
    try:
        keys, ids, values = _scanned(store, label, wanted)
    except StoreUnavailable:
        raise
    except Exception as exc:
        if not isinstance(store, GraphReader):
            raise
        # A stored value the scan cannot decode (SQLite's json_extract refuses the NaN and Infinity written
        # before the models refused them) must not keep the service from starting: read those nodes again
        # through get_nodes, whose decoder takes them, and let the checks below neutralise them.
        log.warning("projection: scanning %s failed (%s); reading its nodes one batch at a time", label, exc)
        keys, ids, values = _read_back(store, label, wanted)
    if any(a > b for a, b in zip(ids, itertools.islice(ids, 1, None))):  # SQLite's generated data is in order
        order = sorted(range(len(ids)), key=ids.__getitem__)
        keys, ids = [keys[i] for i in order], [ids[i] for i in order]
        values = [[v[i] for i in order] for v in values]
    return keys, ids, values


def _scanned(store: GraphScanner, label: Label, wanted: Sequence[str]) -> tuple[list, list[str], list[list]]:
    keys: list = []
    ids: list[str] = []
    values: list[list] = [[] for _ in wanted]
    for batch in store.scan_nodes(label, wanted):
        keys.extend(row[0] for row in batch)
        ids.extend(row[1] for row in batch)
        for col, out in enumerate(values, start=2):
            out.extend(row[col] for row in batch)
    return keys, ids, values


def _read_back(store: GraphReader, label: Label, wanted: Sequence[str]) -> tuple[list, list[str], list[list]]:
    """`_scanned` through the scan of names only (a column of its own) and get_nodes."""
    assert isinstance(store, GraphScanner)
    keys, ids, (names,) = _scanned(store, label, ("name",))
    props: dict[str, dict] = {}
    for i in range(0, len(ids), _READ_CHUNK):
        props.update(_props(store, ids[i:i + _READ_CHUNK]))
    values = [names if a == "name" else [props.get(node_id, {}).get(a) for node_id in ids] for a in wanted]
    return keys, ids, values


def _props(store: GraphReader, ids: list[str]) -> dict[str, dict]:
    """Properties by id; a node whose properties cannot be read at all counts as having none."""
    try:
        return {node_id: node.props for node_id, node in store.get_nodes(ids).items()}
    except StoreUnavailable:
        raise
    except Exception as exc:
        if len(ids) == 1:
            log.warning("projection: properties of %s cannot be read (%s); projected without them", ids[0], exc)
            return {}
        half = len(ids) // 2
        return _props(store, ids[:half]) | _props(store, ids[half:])


def _number(value: object) -> int | None:
    """A numeric attribute's code: whole numbers within int32 (numeric strings too, as numpy took them)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    if isinstance(value, int) and _INT32.min < value <= _INT32.max:
        return value
    return None


def _codes(vocab: dict[str, list[str]], name: str, column: list, ids: list[str], label: Label) -> np.ndarray:
    """One attribute's array codes (-1 = missing). A value of the wrong kind (Infinity, NaN, "abc" as a
    level, a number as a category) is left out with a warning: one bad row must not stop the build."""
    numeric = name in NUMERIC_ATTRS
    if numeric:
        fast = _whole_numbers(column)
        if fast is not None:
            return fast
    seen: dict[str, int] = {}  # encode_attr looks codes up in a list
    codes: list[int] = []
    bad: list[int] = []
    for i, value in enumerate(column):
        if value is None:
            code: int | None = -1
        elif numeric:
            code = _number(value)
        elif isinstance(value, str):
            code = seen.get(value)
            if code is None:
                code = seen[value] = encode_attr(vocab, name, value)
        else:
            code = None
        if code is None:
            bad.append(i)
            code = -1
        codes.append(code)
    if bad:
        log.warning("projection: %d %s nodes have an unusable %r (e.g. %s: %r); projected without it",
                    len(bad), label, name, ids[bad[0]], column[bad[0]])
    return np.array(codes, dtype=np.int32)


def attr_code(vocab: dict[str, list[str]], name: str, value: object) -> int:
    """One value's array code, by the rules of `_codes` (-1 for a missing or unusable value): what a
    replayed change writes, so a projection kept up to date equals one built afresh."""
    if value is None:
        return -1
    if name in NUMERIC_ATTRS:
        code = _number(value)
        return -1 if code is None else code
    return encode_attr(vocab, name, value) if isinstance(value, str) else -1


def _whole_numbers(column: list) -> np.ndarray | None:
    """The usual numeric column at numpy's speed: ints within int32 or None; else None (checked one by one)."""
    if not all(v is None or type(v) is int for v in column):
        return None
    try:
        arr = np.array([-1 if v is None else v for v in column], dtype=np.int64)
    except OverflowError:
        return None
    if arr.size and (int(arr.min()) <= _INT32.min or int(arr.max()) > _INT32.max):
        return None
    return arr.astype(np.int32)


def _weights(weight: Sequence, rel_type: object) -> np.ndarray:
    """Relationship weights as float32; a missing, non-numeric, non-finite or non-positive one counts as
    1.0 (the models' default), with a warning: paths divide by weights."""
    try:
        w = np.fromiter(weight, dtype=np.float32, count=len(weight))
    except (TypeError, ValueError):
        w = np.fromiter((_float(x) for x in weight), dtype=np.float32, count=len(weight))
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        log.warning("projection: %d %s relationships have an unusable weight; counted as 1.0",
                    int(bad.sum()), rel_type)
        w[bad] = 1.0
    return w


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


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
        names.extend(_text(v) for v in values.pop(0))
        keys.extend(label_keys)
        ids.extend(label_ids)
        label_codes.append(np.full(len(label_ids), code, dtype=np.int8))
        for name in attr_names:
            if name in wanted:
                attr_parts[name].append(_codes(vocab, name, values[wanted.index(name)], label_ids, label))
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
            w_parts.append(_weights(weight, t))
        if src_parts:
            edges[t] = (np.concatenate(src_parts), np.concatenate(dst_parts), np.concatenate(w_parts))
            del src_parts, dst_parts, w_parts
    labels = np.concatenate(label_codes) if label_codes else np.empty(0, dtype=np.int8)
    attrs = {a: (np.concatenate(p) if p else np.empty(0, dtype=np.int32)) for a, p in attr_parts.items()}
    return Projection(ids, labels, attrs, vocab, edges, names.build())

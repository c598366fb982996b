"""Every node's name, kept with the projection so that a response names its entities without a store
round trip (a Neo4j read costs milliseconds; responses name dozens of entities).

Names are one UTF-8 blob with offsets: 2 million names take about 90 MB this way, against about 250 MB
as Python strings. Names written since the build (new nodes, renames) are kept apart.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Names:
    def __init__(self, blob: bytes = b"", ends: np.ndarray | None = None) -> None:
        self._blob = blob
        self._ends = ends if ends is not None else np.zeros(0, dtype=np.int64)  # end offset of name i
        self._written: dict[int, str] = {}

    def __getitem__(self, i: int) -> str:
        written = self._written.get(i)
        if written is not None:
            return written
        if i >= len(self._ends):
            return ""
        start = int(self._ends[i - 1]) if i else 0
        return self._blob[start:int(self._ends[i])].decode()

    def __setitem__(self, i: int, name: str) -> None:
        self._written[i] = name


class NamesBuilder:
    """Appends names in node order, a batch at a time, to one blob."""

    def __init__(self) -> None:
        self._blob = bytearray()
        self._ends: list[int] = []

    def extend(self, names: Iterable[str]) -> None:
        for name in names:
            self._blob += (name or "").encode()
            self._ends.append(len(self._blob))

    def build(self) -> Names:
        return Names(bytes(self._blob), np.array(self._ends, dtype=np.int64))

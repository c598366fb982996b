"""The answers on suggested partners as the serving model sees them.

A model trained with feedback columns (feedback.Signals: what an enterprise's answers on its other needs
say of a candidate) needs the same columns when it scores, from the answers given up to now. The book
keeps every case's answers and brings them up to date from the case log at each use: only the cases with
an event since its last read are read again (a decline given a moment ago counts at the next request),
and only their enterprises' answers are replaced. The whole read is once per process (city tier: 12,000
cases, about 50,000 answers, 1.6 s on SQLite).
"""

from __future__ import annotations

import threading

from graph_service.projection import Projection
from graph_service.recommend.feedback import Answer, Signals, answers_of
from graph_service.stores.cases import CaseStore, to_read

__all__ = ["AnswerBook"]


class AnswerBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mark: tuple[str, int] | None = None
        self._cases: dict[str, list[Answer]] = {}  # case id -> its answers
        self._firms: dict[str, set[str]] = {}  # enterprise id -> its case ids
        self._signals: Signals | None = None

    def signals(self, store: CaseStore, p: Projection, names: tuple[str, ...]) -> Signals:
        """The columns `names` from every answer the store's cases hold now, seen from `p`."""
        with self._lock:
            mark = store.case_log_mark()
            since = to_read(self._mark, mark)
            if since is not None or self._signals is None:
                self._read(store, since or 0, p, names)
                self._mark = mark
            assert self._signals is not None
            if self._signals.p is not p or self._signals.names != names:
                self._signals = self._signals.seen_from(p, names)
            return self._signals

    def _read(self, store: CaseStore, since: int, p: Projection, names: tuple[str, ...]) -> None:
        if since == 0:
            self._cases, self._firms, self._signals = {}, {}, Signals(p, (), names)
        touched: set[str] = set()
        for case in store.changed_cases(since):
            self._cases[case.id] = answers_of(case)
            self._firms.setdefault(case.enterprise, set()).add(case.id)
            touched.add(case.enterprise)
        assert self._signals is not None
        for firm in touched:
            self._signals.by[firm] = [a for c in sorted(self._firms[firm]) for a in self._cases[c]]

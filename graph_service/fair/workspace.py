"""The fairs an organiser runs through the API, one directory each under the settings' `fairs_dir`:

    {fair}/instance/   event.json and the CSV files of the instance (what `plan-fair` reads)
    {fair}/plan/       the current plan (what `plan-fair --out` writes)
    {fair}/status.json the planning job: none | running | done | failed
    {fair}/changes.jsonl every re-plan's change; {fair}/outcomes.csv and followup.csv after the fair

The same files the CLI reads and writes, so an organiser can switch between the two. Directories are
replaced whole (write aside, then rename), so a failed step leaves the previous state readable."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.fair.agenda import Agendas
from graph_service.fair.freshness import changed_parts, digests, read_inputs
from graph_service.fair.instance import Event, Instance, Participant, Request, read_instance, write_instance
from graph_service.fair.outcomes import Outcome, Recorded, read_outcomes, record_outcomes, write_outcomes
from graph_service.fair.plan import plan_fair, write_plan
from graph_service.fair.plan_files import PlanView, read_csv
from graph_service.fair.replan import kept, replan, write_replan
from graph_service.service import GraphService

T = TypeVar("T")
log = logging.getLogger(__name__)
OWNER_FILE = "owner.json"
FAIR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class Fair:
    def __init__(self, root: Path) -> None:
        self.id, self.root = root.name, root
        self.instance_dir, self.plan_dir = root / "instance", root / "plan"
        self._thread_lock = threading.RLock()
        self._instance: tuple[tuple, Instance] | None = None  # (the directory's identity, what it holds)
        self._agendas: tuple[tuple, Agendas] | None = None
        self._digests: tuple[Instance, dict[str, str]] | None = None  # of the instance object it names
        for target in (self.instance_dir, self.plan_dir):
            _recover(target)

    # --- state ---------------------------------------------------------------------------------
    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One writer at a time, across threads and across the server's worker processes."""
        with self._thread_lock, (self.root / ".lock").open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def instance(self) -> Instance:
        """Read again only when the directory was replaced (by this process or another worker)."""
        if not self.instance_dir.exists():  # between the two renames of a swap: wait for it
            with self._lock():
                _recover(self.instance_dir)
        key = _identity(self.instance_dir)
        if self._instance is None or self._instance[0] != key:
            self._instance = (key, read_instance(self.instance_dir))
        return self._instance[1]

    def status(self) -> dict:
        """The planning job's state and, when there is a plan, whether it is stale (see `freshness`)."""
        status = self._job()
        return {**status, **self._freshness(status)} if (self.plan_dir / "report.json").is_file() else status

    def _job(self) -> dict:
        path = self.root / "status.json"
        status = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"state": "none"}
        if status["state"] == "running" and not _alive(status.get("pid")):
            status = {**status, "state": "failed", "error": "interrupted: the service stopped while planning"}
        return status

    def _set_status(self, **changes: object) -> dict:
        status = {**self._job(), **changes}
        _write_json(self.root / "status.json", status)
        return status

    def _freshness(self, job: dict) -> dict:
        """`stale`: the plan does not reflect the current inputs; `stale_inputs`: the parts changed since."""
        reflected = read_inputs(self.plan_dir)
        if reflected is None:  # a plan from before plans recorded their inputs: the flag edits used to set
            return {"stale": bool(job.get("stale")), "stale_inputs": []}
        instance = self.instance()
        if self._digests is None or self._digests[0] is not instance:
            self._digests = (instance, digests(instance))
        changed = changed_parts(reflected, self._digests[1])
        return {"stale": bool(changed), "stale_inputs": changed}

    def summary(self) -> dict:
        inst = self.instance()
        requests: dict[str, int] = {}
        for r in inst.requests:
            requests[r.status] = requests.get(r.status, 0) + 1
        return {"id": self.id, "name": inst.event.name, "days": [d.isoformat() for d in inst.event.days],
                "sessions": inst.event.sessions, "rooms": len(inst.event.rooms), "slots": len(inst.event.slots),
                "tables": inst.event.tables, "projects": len(inst.projects),
                "participants": len(inst.participants), "requests": requests, "plan": self.status(),
                "owner": self.owner}

    @cached_property  # written once, before the fair exists: read once per process
    def owner(self) -> str | None:
        """The organiser account that created it through the API; None for fairs made with the CLI."""
        path = self.root / OWNER_FILE
        return json.loads(path.read_text(encoding="utf-8")).get("owner") if path.is_file() else None

    # --- before the plan -------------------------------------------------------------------------
    def edit(self, change: Callable[[Instance], tuple[Instance, T]]) -> T:
        """Apply `change` to the instance and save it; a plan made before becomes stale until the fair
        is planned or re-planned again (see `freshness`)."""
        with self._lock():
            if self._job()["state"] == "running":
                raise Conflict(f"fair {self.id} is being planned; edit it when the plan is done")
            instance, result = change(self.instance())
            self._save_instance(instance)
            return result

    def set_event(self, event: Event) -> None:
        self.edit(lambda inst: (inst.model_copy(update={"event": event}).check(), None))

    def _save_instance(self, instance: Instance) -> None:
        _replace(self.instance_dir, lambda d: write_instance(instance, d))
        self._instance = (_identity(self.instance_dir), instance)

    # --- the plan ---------------------------------------------------------------------------------
    def start_planning(self, time_limit: float) -> dict:
        with self._lock():
            if self._job()["state"] == "running":
                raise Conflict(f"fair {self.id} is already being planned")
            self.instance()  # a broken instance fails here, before a job is promised
            return self._set_status(state="running", time_limit=time_limit, started=_now(),
                                    finished=None, error=None, pid=os.getpid())

    def run_planning(self, time_limit: float) -> None:
        """The planning job (minutes at full size): the solver runs without the lock, edits are refused
        meanwhile by the running state."""
        started = clock.perf_counter()
        try:
            plan = plan_fair(self.instance(), time_limit=time_limit)
            with self._lock():
                _replace(self.plan_dir, lambda d: write_plan(plan, d))
                self._set_status(state="done", finished=_now(), seconds=round(clock.perf_counter() - started, 2))
        except Exception as e:  # a background job has nobody to raise to: its status is its report
            log.exception("planning fair %s failed", self.id)
            self._set_status(state="failed", finished=_now(), error=str(e))

    def _planned(self) -> dict:
        """The status, when a finished plan is there to read; else why not. No plan yet is a conflict
        (409), not an unknown thing (404): the same request succeeds once the fair is planned."""
        status = self._job()
        if status["state"] == "running":
            raise Conflict(f"fair {self.id} is being planned (since {status.get('started')})")
        if not (self.plan_dir / "report.json").is_file():
            why = f" (the last attempt failed: {status['error']})" if status.get("error") else ""
            raise Conflict(f"fair {self.id} has no plan yet{why}: plan it first (POST /api/v1/fairs/{self.id}/plan)")
        return status

    def _view(self) -> PlanView:
        """The plan, if it still fits the layout (PUT /event may have changed it since)."""
        view = PlanView.read(self.plan_dir)
        misfit = view.misfit(self.instance())
        if misfit:
            raise Conflict(f"the plan of fair {self.id} no longer fits its layout: {misfit}; plan it again")
        return view

    def require_participant(self, pid: str) -> None:
        """NotFound unless `pid` is registered, saying so when they cancelled."""
        if any(p.id == pid for p in self.instance().participants):
            return
        if pid in self.cancelled():
            raise NotFound(f"participant {pid!r} cancelled: they have no agenda in fair {self.id} any more")
        raise NotFound(f"no participant {pid!r} in fair {self.id}")

    def cancelled(self) -> set[str]:
        path = self.root / "changes.jsonl"
        if not path.is_file():
            return set()
        changes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {c["cancel"] for c in changes if c.get("cancel")}

    def plan_report(self) -> dict:
        status = self._planned()
        report = json.loads((self.plan_dir / "report.json").read_text(encoding="utf-8"))
        return {**report, **self._freshness(status)}

    def agendas(self) -> Agendas:
        self._planned()
        key = (_identity(self.instance_dir), _identity(self.plan_dir))
        if self._agendas is None or self._agendas[0] != key:
            self._agendas = (key, Agendas(self.instance(), self._view()))
        return self._agendas[1]

    # --- changes after the plan ------------------------------------------------------------------
    def change_plan(self, *, cancel: str | None = None,
                    register: tuple[list[Participant], list[Request]] | None = None) -> dict:
        """A cancellation or late registration: no planned meeting moves or is lost."""
        with self._lock():
            status = self._planned()
            self._view()
            before = self.instance()
            prob, placement, change = replan(before, self.plan_dir, cancel=cancel, register=register)
            rep = _replace(self.plan_dir, lambda d: write_replan(prob, placement, change, self.plan_dir, d, before))
            self._save_instance(kept(prob, before))
            with (self.root / "changes.jsonl").open("a", encoding="utf-8") as f:
                f.write(json.dumps({"at": _now(), "cancel": cancel,
                                    "registered": [p.id for p in register[0]] if register else [], **change},
                                   ensure_ascii=False) + "\n")
            return {**rep, **self._freshness(status)}

    # --- after the fair ------------------------------------------------------------------------
    def record_outcomes(self, service: GraphService, outcomes: list[Outcome], file: str = "outcomes",
                        actor: str = "fair") -> Recorded:
        with self._lock():
            self._planned()
            recorded = record_outcomes(service, self.id, self.instance(), PlanView.read(self.plan_dir), outcomes,
                                       read_outcomes(self.root / "outcomes.csv"), file, actor)
            write_outcomes(recorded, self.root)
            return recorded

    def followup(self) -> list[dict]:
        path = self.root / "followup.csv"
        rows = read_csv(path) if path.is_file() else []
        return [{**r, "scheduled": r["scheduled"] == "true"} for r in rows]


class Fairs:
    """Every fair under one directory; one `Fair` object per fair, so its lock and caches are shared."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: dict[str, Fair] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(d.name for d in self.root.iterdir() if (d / "instance" / "event.json").is_file())

    def get(self, fair_id: str) -> Fair:
        with self._lock:
            if fair_id not in self._open:
                root = self.root / fair_id
                if not FAIR_ID.fullmatch(fair_id) or not (root / "instance" / "event.json").is_file():
                    raise NotFound(f"no fair {fair_id!r}")
                self._open[fair_id] = Fair(root)
            return self._open[fair_id]

    def create(self, fair_id: str, event: Event, owner: str | None = None) -> Fair:
        """A new fair; `owner` is the organiser's account that manages it (None: platform staff only)."""
        if not FAIR_ID.fullmatch(fair_id):
            raise InvalidInput("letters, digits, '-' and '_', at most 64, starting with a letter or digit",
                               field="id")
        with self._lock:
            root = self.root / fair_id
            if (root / "instance" / "event.json").is_file():
                raise Conflict(f"a fair with id {fair_id!r} already exists")
            root.mkdir(parents=True, exist_ok=True)
            (root / OWNER_FILE).write_text(json.dumps({"owner": owner}), encoding="utf-8")  # before it exists
            _replace(root / "instance", lambda d: write_instance(
                Instance(event=event, projects=[], participants=[], requests=[]), d))
            self._open[fair_id] = Fair(root)
            return self._open[fair_id]


def _replace(target: Path, write: Callable[[Path], T]) -> T:
    """Write a directory aside and swap it in, so readers see the old one or the new one, never half."""
    new, old = target.with_name(target.name + ".new"), target.with_name(target.name + ".old")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    try:
        result = write(new)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return result


def _recover(target: Path) -> None:
    """A swap cut short between its two renames leaves only the old directory: put it back."""
    old = target.with_name(target.name + ".old")
    if not target.exists() and old.exists():
        old.rename(target)


def _identity(directory: Path) -> tuple:
    """Changes whenever `_replace` swaps the directory (a new inode, a new time)."""
    st = directory.stat()
    return st.st_ino, st.st_mtime_ns


def _alive(pid: object) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

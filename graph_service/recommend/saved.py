"""Saved models and the store they were trained on.

`techmatch train` saves beside the models which store (its random id), which change of its feed and
which graph (a digest of its structure) they saw. A service loads them for that store, or for a store
holding the same graph; models of another graph are left alone (they name nodes this store does not
have), and models this service trains at first use for its store are saved
under `stores/<id>/`, so its next start finds them: a service never dies because the models in its
directory were made elsewhere, and always serves with the last ones that fit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from graph_service.projection import TYPES, Projection
from graph_service.recommend.collaborators import CollaboratorRecommender
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.stores.base import GraphStore

log = logging.getLogger(__name__)
IDENTITY_FILE = "identity.json"
COLLABORATORS_FILE = "collaborators.json"


def fingerprint(p: Projection) -> str:
    """The graph's structure (ids, labels, every relationship and weight) as one digest; equal for equal
    data in either store, as both build the same arrays. Only for a projection fresh from the store."""
    h = hashlib.sha256("\n".join(p.ids).encode("utf-8", "surrogatepass"))
    h.update(p.labels.tobytes())
    for t in TYPES:
        m = p.out[t]
        for part in (m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float32)):
            h.update(part.tobytes())
    return h.hexdigest()[:32]


def write_identity(directory: Path, store: GraphStore, seq: int, graph: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / IDENTITY_FILE).write_text(json.dumps({"store_id": store.store_id(), "store": store.kind,
                                                       "changes_seen": seq, "graph": graph}, indent=2))


def _identity(directory: Path) -> dict:
    try:
        found = json.loads((directory / IDENTITY_FILE).read_text())
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def own_dir(model_dir: Path, store: GraphStore) -> Path:
    """Where models trained for this store by a service (not by `techmatch train`) are kept."""
    return model_dir / "stores" / store.store_id()


def fitting_dir(model_dir: Path, store: GraphStore, p: Projection | None = None) -> Path | None:
    """The directory whose saved models fit this store: trained on it, or (given its fresh projection) on
    the same data in another store. None, after saying why, when none fits."""
    here = store.store_id()
    graph = fingerprint(p) if p is not None else None
    for directory in (model_dir, own_dir(model_dir, store)):
        found = _identity(directory)
        if PartnerRecommender.saved_in(directory) and (found.get("store_id") == here or
                                                        (graph is not None and found.get("graph") == graph)):
            return directory
    if PartnerRecommender.saved_in(model_dir):
        other = _identity(model_dir).get("store_id")
        log.warning("the models in %s were trained on %s, not on this store (%s) nor on the same data: not used; "
                    "models are trained for this store at first use and kept in %s", model_dir,
                    f"store {other}" if other else "a store this version cannot name", here, own_dir(model_dir, store))
    return None


def load_partners(directory: Path, projection: Projection, store: GraphStore) -> PartnerRecommender | None:
    """The saved partner model with its text index brought up to the store's documents; None when the
    files cannot be used (damaged, from another version, a graph without dated deals), after saying why."""
    try:
        loaded = PartnerRecommender.load(directory, projection, store)
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the files, the service must start
        log.warning("the partner model in %s cannot be used (%s): it is trained again at first use", directory, exc)
        return None
    index = loaded.text.index
    if not index.knows_texts():
        log.warning("the text index in %s predates change tracking: retrain (techmatch train) to keep it current",
                    directory)
        return loaded
    stale = index.stale_docs(store)
    if stale:
        log.info("text index: %d documents changed since training", len(stale))
        loaded = PartnerRecommender(projection, store, loaded.model, index.updated(stale))
    return loaded


def load_collaborators(directory: Path, projection: Projection) -> CollaboratorRecommender | None:
    path = directory / COLLABORATORS_FILE
    if not path.exists():
        return None
    try:
        return CollaboratorRecommender.load(path, projection)
    except Exception as exc:  # noqa: BLE001 - as above
        log.warning("the collaborator model in %s cannot be used (%s): it is fitted again at first use", path, exc)
        return None

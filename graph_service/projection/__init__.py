"""In-memory graph projection that all recommendation code reads."""

from graph_service.projection.build import build_projection
from graph_service.projection.graph import LABELS, TYPES, Hop, Neighbours, Projection

__all__ = ["LABELS", "TYPES", "Hop", "Neighbours", "Projection", "build_projection"]

"""TechMatch (科创供需图谱): graph knowledge and recommendation service."""

__version__ = "0.1.0"

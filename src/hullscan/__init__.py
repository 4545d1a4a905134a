"""hullscan: know what is inside every container image, and which of it matters."""

__version__ = "0.1.0"

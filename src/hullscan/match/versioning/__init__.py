"""hullscan.match.versioning."""

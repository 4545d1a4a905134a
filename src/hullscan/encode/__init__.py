"""hullscan.encode."""

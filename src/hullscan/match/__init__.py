"""hullscan.match."""

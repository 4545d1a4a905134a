"""hullscan.cli."""

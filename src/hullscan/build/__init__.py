"""hullscan.build."""

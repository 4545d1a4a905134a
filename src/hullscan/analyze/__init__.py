"""hullscan.analyze."""

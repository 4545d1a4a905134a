"""hullscan.relate."""

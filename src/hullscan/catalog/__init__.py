"""hullscan.catalog."""

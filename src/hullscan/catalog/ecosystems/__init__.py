"""hullscan.catalog.ecosystems."""

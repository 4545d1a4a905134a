"""hullscan.catalog.bundled."""

"""Importers: OSV exports (zip, folder, file) and the Debian security tracker lists."""

"""Deduplication analysis: what a content-addressed store would save across images and layers."""

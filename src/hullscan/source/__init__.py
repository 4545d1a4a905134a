"""Image sources: where an image's bytes come from (OCI layout, docker-archive, directory, registry)."""

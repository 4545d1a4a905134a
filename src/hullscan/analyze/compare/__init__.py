"""Side-by-side comparison of images: size, ownership, ecosystems, freshness, findings, sharing."""

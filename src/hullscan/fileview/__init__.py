"""File views over an image: layers indexed once, squashed or all-layers, never extracted."""

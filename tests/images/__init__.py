"""Builders of real container images for tests, made without Docker and cached between runs.

Plain functions (`debian_rootfs`, `debian_image`, `python_venv_image`, `chroot_run`,
`squash_layers`) plus `tests.images.fixtures`, a pytest plugin exposing them as session fixtures.
"""

"""Errors of `hullscan unbundle`: a distro it cannot plan for, an index it cannot read or fetch."""

from __future__ import annotations

from hullscan.errors import HullscanError


class UnbundleError(HullscanError):
    """Planning the replacement of bundled components failed."""

    hint = "Run again with --verbose for the full traceback."


class UnsupportedDistroError(UnbundleError):
    """The requested distribution or release has no package index reader."""

    hint = "Use --distro debian:12 or debian:13 (RPM and Alpine indexes are not read yet)."


class PackageIndexError(UnbundleError):
    """A distribution package index could not be read or downloaded."""

    hint = (
        "Check that a Debian mirror is configured in /etc/apt/sources.list(.d) and reachable, "
        "or run `apt-get update` for the release so its lists are on this machine."
    )


class ClassTableError(UnbundleError):
    """The classification table (TOML) is malformed."""

    hint = "Fix the table: every [class.NAME] needs a numeric `weight` between 0 and 1."

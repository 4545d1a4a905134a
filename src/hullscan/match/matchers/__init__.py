"""Matcher families, one module each: dpkg, apk, rpm, language, bundled."""

from hullscan.match.matchers.apk import ApkMatcher
from hullscan.match.matchers.bundled import BundledMatcher
from hullscan.match.matchers.dpkg import DpkgMatcher
from hullscan.match.matchers.interface import ExactReleases, Matcher, MatchQuery, any_release
from hullscan.match.matchers.language import LanguageMatcher
from hullscan.match.matchers.rpm import RpmMatcher


def default_matchers() -> tuple[Matcher, ...]:
    """Every matcher family, in a fixed order."""
    return (DpkgMatcher(), ApkMatcher(), RpmMatcher(), LanguageMatcher(), BundledMatcher())


__all__ = [
    "ApkMatcher",
    "BundledMatcher",
    "DpkgMatcher",
    "ExactReleases",
    "LanguageMatcher",
    "MatchQuery",
    "Matcher",
    "RpmMatcher",
    "any_release",
    "default_matchers",
]

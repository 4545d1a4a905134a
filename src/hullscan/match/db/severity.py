"""Base scores for OSV severity entries, computed with the `cvss` library."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

_CVSS_TYPES = frozenset({"CVSS_V2", "CVSS_V3", "CVSS_V4"})


@dataclass(frozen=True, slots=True)
class ScoredSeverity:
    """A base score and qualitative rating, or the reason none could be computed."""

    score: float | None
    rating: str | None
    error: str | None = None


@lru_cache(maxsize=4096)
def score_severity(kind: str, vector: str) -> ScoredSeverity:
    """Score a CVSS v2/v3.x/v4 vector; other types (e.g. Ubuntu's `low`) carry no score and no error."""
    if kind not in _CVSS_TYPES:
        return ScoredSeverity(None, None)
    try:
        if kind == "CVSS_V2":
            v2 = CVSS2(vector.removeprefix("CVSS:2.0/"))
            return ScoredSeverity(float(v2.base_score), str(v2.severities()[0]))
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            return ScoredSeverity(float(v3.base_score), str(v3.severities()[0]))
        v4 = CVSS4(vector)
        return ScoredSeverity(float(v4.base_score), str(v4.severity))
    except (CVSSError, ValueError, KeyError, IndexError) as error:
        return ScoredSeverity(None, None, f"bad {kind} vector {vector!r}: {error}")

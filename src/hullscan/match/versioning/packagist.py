"""Packagist (Composer / PHP) versions, ordered like PHP's ``version_compare``.

The string is canonicalised (a leading ``v`` dropped, ``-``/``_``/``+`` turned into ``.``, a ``.``
inserted at every digit/non-digit boundary) and compared part by part: numbers numerically,
words by their stability prefix ``dev < a(lpha) < b(eta) < RC/rc < # < p(l)`` with unknown words
lowest, a number counting as ``#`` against a word. When one side runs out, a remaining number
wins and a remaining word is compared with ``#``. This order is not transitive for every input
(``#`` equals any number), so it is a comparison function rather than a key.

>>> PACKAGIST.compare("1.0.0-beta2", "1.0.0RC1")
-1
>>> PACKAGIST.compare("v1.0pl1", "1.0")
1
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hullscan.match.versioning._base import CachedScheme, CmpVersion
from hullscan.match.versioning.interface import sign

_SPECIAL = re.compile(r"[-_+]")
_BOUNDARY = re.compile(r"(?<=[0-9])(?=[^0-9.])|(?<=[^0-9.])(?=[0-9])")
# PHP's special forms, matched as prefixes in this order.
_FORMS = (
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", 4),
    ("pl", 5),
    ("p", 5),
)
_UNKNOWN = -6
_NUMBER_FORM = "#"


def canonical_parts(text: str) -> tuple[str, ...]:
    """Split a version into PHP ``version_compare`` parts."""
    body = text[1:] if text[:1] in "vV" else text
    return tuple(_BOUNDARY.sub(".", _SPECIAL.sub(".", body)).split("."))


def _form_weight(part: str) -> int:
    for name, weight in _FORMS:
        if part.startswith(name):
            return weight
    return _UNKNOWN


def _cmp_part(a: str, b: str) -> int:
    a_num, b_num = a.isdigit(), b.isdigit()
    if a_num and b_num:
        return sign(int(a) - int(b))
    return sign(_form_weight(_NUMBER_FORM if a_num else a) - _form_weight(_NUMBER_FORM if b_num else b))


def compare_parts(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Compare canonical part lists the way ``version_compare`` does."""
    for left, right in zip(a, b, strict=False):
        diff = _cmp_part(left, right)
        if diff:
            return diff
    if len(a) > len(b):
        rest = a[len(b) :]
        return 1 if rest[0].isdigit() else compare_parts(rest, (_NUMBER_FORM,))
    if len(a) < len(b):
        rest = b[len(a) :]
        return -1 if rest[0].isdigit() else compare_parts((_NUMBER_FORM,), rest)
    return 0


@dataclass(frozen=True, slots=True, eq=False)
class PackagistVersion(CmpVersion):
    """A Composer version split into canonical parts."""

    text: str
    parts: tuple[str, ...]

    def cmp(self, other: PackagistVersion) -> int:
        """Three-way comparison like PHP ``version_compare``."""
        return compare_parts(self.parts, other.parts)

    def hash_key(self) -> object:
        """Constant: ``#`` equals every number, so no finer hash is consistent with equality."""
        return 0


class PackagistScheme(CachedScheme[PackagistVersion]):
    """Packagist / Composer version ordering."""

    name = "packagist"

    def _parse(self, text: str) -> PackagistVersion:
        return PackagistVersion(text, canonical_parts(text))


PACKAGIST = PackagistScheme()

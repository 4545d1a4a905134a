"""Helpers that turn "compare as if padded with zeros" rules into plain tuple keys.

Many version algorithms (dpkg, RubyGems, ...) compare two sequences element by element and treat
the shorter one as if it went on with an implicit zero. Python's tuple order instead puts a prefix
first. `zero_padded_key` rewrites a sequence so that ordinary tuple comparison gives the padded
order, which lets every comparison after parsing run as one C-level tuple compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: Key element that marks the end of a padded sequence (compares between "below" and "above").
END: tuple[int] = (0,)


def zero_padded_key(items: Iterable[Any], zero: Any) -> tuple[Any, ...]:
    """Return a key ordering `items` as if both sides were padded with `zero` forever.

    The sequence is run-length encoded around `zero`: each non-zero element becomes
    ``(1, -run, x)`` when it sorts above `zero` and ``(-1, run, x)`` when below, where `run` counts
    the zeros in front of it; the key ends with `END`. Elements must be mutually comparable.

    >>> zero_padded_key([1, 0, 0], 0) == zero_padded_key([1], 0)
    True
    >>> zero_padded_key([1, 0, -1], 0) < zero_padded_key([1], 0)
    True
    """
    out: list[Any] = []
    run = 0
    for item in items:
        if item == zero:
            run += 1
        elif item < zero:
            out.append((-1, run, item))
            run = 0
        else:
            out.append((1, -run, item))
            run = 0
    out.append(END)
    return tuple(out)

"""Member-name normalization: the fast path agrees with the full algorithm, and nothing escapes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hullscan.pathnames import normalize_member_name

PARTS = st.sampled_from(["usr", "lib", ".", "..", "", ".hidden", "a\\b", "x.y", ".wh.z", "é"])


def _full(name: str) -> str:
    """The rule itself: split on '/', drop '' and '.', let '..' pop but never above the root."""
    raw = name.replace("\\", "/") if "\\" in name and "/" not in name else name
    parts: list[str] = []
    for part in raw.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


@settings(max_examples=500, deadline=None)
@given(st.lists(PARTS, max_size=6).map("/".join), st.booleans(), st.booleans())
def test_fast_path_agrees_with_the_rule(name: str, leading: bool, trailing: bool) -> None:
    name = ("/" if leading else "") + name + ("/" if trailing else "")
    path, _ = normalize_member_name(name)
    assert path == _full(name)
    assert path.startswith("/")
    assert "/../" not in path + "/"

"""Ruby: installed gemspecs and Gemfile.lock, checked against Ruby and Bundler themselves."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hullscan.catalog.ecosystems.ruby import (
    GemLockfileCataloger,
    GemSpecificationCataloger,
    parse_gemfile_lock,
    ruby_strings,
)
from hullscan.catalog.interface import ParseContext, ParseError
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.package import PackageType, RelationshipKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pkgdb" / "ruby"
DEBIAN_SPEC_DIRS = ("/usr/lib/ruby/gems", "/usr/share/rubygems-integration")
CTX = ParseContext(view=None, distro=None)  # type: ignore[arg-type]


def _ruby() -> str:
    found = shutil.which("ruby")
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "ruby"], check=True)
        found = shutil.which("ruby")
    assert found
    return found


def _record(path: str) -> FileRecord:
    return FileRecord(
        path=path, kind=FileKind.FILE, size=0, mode=0o644, layer_index=0, layer_digest="sha256:r"
    )


def _gemspecs() -> list[Path]:
    _ruby()
    found = [p for d in DEBIAN_SPEC_DIRS for p in Path(d).rglob("specifications/**/*.gemspec")]
    return sorted(set(found))


LOAD_SPECS = r"""
ARGV.each do |f|
  s = Gem::Specification.load(f)
  next unless s
  puts [f, s.name, s.version.to_s, s.licenses.join(","), s.homepage.to_s].join("\t")
end
"""


# The fixture gemspecs have a line cut short upstream (not valid Ruby): the values below are
# the ones the shared data set's README lists for them.
@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("specifications/bundler.gemspec", ("bundler", "2.1.4")),
        ("specifications/default/unbundler.gemspec", ("unbundler", "3.1.4")),
    ],
)
def test_fixture_gemspecs(relative: str, expected: tuple[str, str]) -> None:
    content = (FIXTURES / "installed-gemspec" / relative).read_bytes()
    (package,) = (
        GemSpecificationCataloger().parse(CTX, _record(f"/usr/local/bundle/{relative}"), content).packages
    )
    assert (package.name, package.version) == expected
    assert package.licenses == ("MIT",)
    assert package.metadata["default_gem"] == ("/default/" in relative)


def test_gemspecs_match_rubygems() -> None:
    specs = _gemspecs()
    assert len(specs) > 10
    out = subprocess.run(
        [_ruby(), "-e", LOAD_SPECS, *map(str, specs)], capture_output=True, text=True, check=True
    )
    truth = {}
    for line in out.stdout.splitlines():
        path, name, version, licenses, homepage = line.split("\t")
        truth[path] = (name, version, tuple(filter(None, licenses.split(","))), homepage or None)
    assert len(truth) == len(specs)
    cataloger = GemSpecificationCataloger()
    for spec in specs:
        image_path = spec.as_posix()
        assert cataloger.wants(image_path), spec
        (package,) = cataloger.parse(CTX, _record(image_path), spec.read_bytes()).packages
        got = (package.name, package.version, package.licenses, package.metadata["homepage"])
        assert got == truth[str(spec)], spec
        assert package.purl == f"pkg:gem/{package.name}@{package.version}"
        assert package.type is PackageType.GEM


BUNDLER_SPECS = r"""
lock = Bundler::LockfileParser.new(File.read(ARGV[0]))
lock.specs.each do |s|
  puts [s.name, s.version.to_s, s.platform.to_s, s.dependencies.map(&:name).sort.join(",")].join("\t")
end
"""


@pytest.mark.parametrize("fixture", ["Gemfile.lock-bundler1", "Gemfile.lock-bundler2", "Gemfile.lock-syft"])
def test_gemfile_lock_matches_bundler(fixture: str, tmp_path: Path) -> None:
    path = FIXTURES / fixture / "Gemfile.lock"
    (tmp_path / "Gemfile").write_text("")  # Bundler wants a Gemfile next to the lock it reads
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "BUNDLE_GEMFILE": str(tmp_path / "Gemfile")}
    out = subprocess.run(
        [_ruby(), "-rbundler", "-e", BUNDLER_SPECS, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    truth = set()
    for line in out.stdout.splitlines():
        name, version, platform, deps = line.split("\t")
        truth.add(
            (name, version, None if platform == "ruby" else platform, tuple(filter(None, deps.split(","))))
        )
    got = {
        (g.name, g.version, g.platform, tuple(sorted(g.dependencies)))
        for g in parse_gemfile_lock(path.read_text())
    }
    assert got == truth
    result = GemLockfileCataloger().parse(CTX, _record("/app/Gemfile.lock"), path.read_bytes())
    by_id = {p.id: p for p in result.packages}
    edges = {
        (by_id[r.source_id].name, by_id[r.target_id].name)
        for r in result.relationships
        if r.kind is RelationshipKind.DEPENDS_ON
    }
    names = {t[0] for t in truth}
    assert edges == {(t[0], d) for t in truth for d in t[3] if d in names}


def test_platform_gems_and_bad_input() -> None:
    text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.6-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n"
    result = GemLockfileCataloger().parse(CTX, _record("/Gemfile.lock"), text.encode())
    noko = next(p for p in result.packages if p.name == "nokogiri")
    assert (noko.version, noko.purl) == ("1.13.6", "pkg:gem/nokogiri@1.13.6?platform=x86_64-linux")
    with pytest.raises(ParseError):
        GemLockfileCataloger().parse(CTX, _record("/Gemfile.lock"), b"\x00\xff garbage")
    with pytest.raises(ParseError):
        GemSpecificationCataloger().parse(CTX, _record("/x/specifications/a.gemspec"), b"puts 'hi'")


def test_ruby_string_literals() -> None:
    assert ruby_strings("[\"Andr\\u00E9 Arko\".freeze, 'it\\'s', %q<rake>]") == ["André Arko", "it's", "rake"]

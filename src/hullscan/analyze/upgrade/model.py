"""Value objects of an upgrade report: what changed between image OLD and image NEW, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hullscan.model.inventory import Distro


class Severity(StrEnum):
    """How much a change matters for the upgrade: ordered by `rank`."""

    INFO = "info"
    REVIEW = "review"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        """Return 0 (info), 1 (review) or 2 (breaking)."""
        return (Severity.INFO, Severity.REVIEW, Severity.BREAKING).index(self)


class Verdict(StrEnum):
    """The overall answer to whether moving from OLD to NEW is safe."""

    SAFE = "safe"
    REVIEW = "review"
    BREAKING = "breaking"


class ChangeKind(StrEnum):
    """What happened to one package between the two images."""

    ADDED = "added"
    REMOVED = "removed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    RENAMED = "renamed"
    CHANGED = "changed"
    """The version differs but the ecosystem's scheme cannot order the two."""


class Bump(StrEnum):
    """How big a version change is, by the ecosystem's own version rules."""

    REVISION = "revision"
    """Distribution revision only (Debian `-1` → `-1+deb12u1`, rpm release, apk `-rN`)."""
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
    EPOCH = "epoch"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PackageChange:
    """One package added, removed, up/downgraded or renamed."""

    ecosystem: str
    kind: ChangeKind
    name: str
    old_version: str | None = None
    new_version: str | None = None
    new_name: str | None = None
    """For renames: the binary name in NEW (`name` is the one in OLD)."""
    bump: Bump | None = None
    reason: str = ""
    """Why two packages were paired as a rename (`t64 transition`, `Provides/Replaces`, ...)."""
    location: str = ""


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """One layer as the report shows it."""

    index: int
    digest: str
    diff_id: str | None
    size: int
    """Stored (compressed) size in bytes."""
    visible_bytes: int
    """Bytes of regular files this layer contributes to the squashed image."""
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class BaseChange:
    """Distribution and layers before and after."""

    old_distro: Distro | None
    new_distro: Distro | None
    shared_layers: int
    """Length of the common prefix of layers (by diff_id, else digest)."""
    old_layers: tuple[LayerInfo, ...] = ()
    new_layers: tuple[LayerInfo, ...] = ()

    @property
    def distro_changed(self) -> bool:
        """Return True when the distribution or its release differs."""
        return _distro_key(self.old_distro) != _distro_key(self.new_distro)

    @property
    def base_replaced(self) -> bool:
        """Return True when the bottom layer differs (a different base image)."""
        return bool(self.old_layers) and bool(self.new_layers) and self.shared_layers == 0


def _distro_key(distro: Distro | None) -> tuple[str, str | None] | None:
    return (distro.id, distro.version_id) if distro is not None else None


@dataclass(frozen=True, slots=True)
class UnresolvedLibrary:
    """A DT_NEEDED entry of an ELF object in NEW that the loader would not find."""

    consumer: str
    soname: str
    found_elsewhere: tuple[str, ...] = ()
    """Paths in NEW holding this soname outside the consumer's search path."""
    old_provider: str | None = None
    """Where OLD resolved it (None when the consumer is new or also broken before)."""
    severity: Severity = Severity.BREAKING
    """`review` only for a shared library whose soname is found elsewhere (its host may load it)."""


@dataclass(frozen=True, slots=True)
class MissingSymbol:
    """Undefined dynamic symbols of an ELF object that OLD's libraries exported and NEW's do not."""

    consumer: str
    symbols: tuple[str, ...]
    old_providers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InterpreterChange:
    """Python interpreters (X.Y) in each image, and the default `python3`."""

    old_versions: tuple[str, ...]
    new_versions: tuple[str, ...]
    old_default: str | None
    new_default: str | None

    @property
    def changed(self) -> bool:
        """Return True when the set of interpreters or the default changed."""
        return self.old_versions != self.new_versions or self.old_default != self.new_default


@dataclass(frozen=True, slots=True)
class StrandedExtension:
    """A compiled extension module built for an interpreter ABI that NEW cannot load it with."""

    path: str
    abi: str
    """The module's tag, e.g. `cpython-311`."""
    readers: tuple[str, ...]
    """Interpreter versions of NEW that read the module's directory."""


@dataclass(frozen=True, slots=True)
class StrandedSitePackages:
    """A site-packages directory on a path no interpreter in NEW reads."""

    path: str
    built_for: str
    """The Python version the path is for (`3.11`)."""
    readers: tuple[str, ...]
    """Interpreter versions of NEW that could have read it (the venv's, or every one)."""
    distributions: int = 0


@dataclass(frozen=True, slots=True)
class AbiReport:
    """Native and Python ABI problems in NEW."""

    unresolved: tuple[UnresolvedLibrary, ...] = ()
    missing_symbols: tuple[MissingSymbol, ...] = ()
    interpreters: InterpreterChange | None = None
    stranded_extensions: tuple[StrandedExtension, ...] = ()
    stranded_site_packages: tuple[StrandedSitePackages, ...] = ()
    elf_objects: int = 0
    notes: tuple[str, ...] = ()


class ProblemKind(StrEnum):
    """How a declared dependency is violated."""

    MISSING = "missing"
    VERSION = "version"
    BREAKS = "breaks"
    CONFLICTS = "conflicts"


@dataclass(frozen=True, slots=True)
class DependencyProblem:
    """One violated dependency declaration in NEW (pip check / npm ls / dpkg semantics)."""

    ecosystem: str
    package: str
    version: str
    requirement: str
    """The declaration as written (`certifi>=2017.4.17`, `libc6 (>= 2.38)`, `^4.17.0`)."""
    kind: ProblemKind
    found: str | None = None
    """What is installed instead (`name version`), None when nothing is."""
    location: str = ""
    pre_existing: bool = False
    """True when OLD had the same problem (not caused by the upgrade)."""

    def describe(self) -> str:
        """Return a pip-check-like sentence."""
        if self.kind is ProblemKind.MISSING:
            return f"{self.package} {self.version} requires {self.requirement}, which is not installed"
        if self.kind in (ProblemKind.BREAKS, ProblemKind.CONFLICTS):
            return (
                f"{self.package} {self.version} {self.kind.value} {self.requirement}, "
                f"but {self.found} is installed"
            )
        return f"{self.package} {self.version} has requirement {self.requirement}, but you have {self.found}"


class VulnerabilityStatus(StrEnum):
    """Whether the vulnerability section could be computed."""

    COMPUTED = "computed"
    NOT_COMPUTED = "not-computed"


@dataclass(frozen=True, slots=True)
class VulnerabilityItem:
    """One vulnerability in one package."""

    id: str
    package: str
    version: str
    severity: str
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class VulnerabilityDelta:
    """Vulnerabilities fixed, introduced and remaining across the upgrade."""

    status: VulnerabilityStatus
    note: str = ""
    fixed: tuple[VulnerabilityItem, ...] = ()
    introduced: tuple[VulnerabilityItem, ...] = ()
    remaining: tuple[VulnerabilityItem, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """One field of the image config that differs."""

    field: str
    old: str
    new: str


class FileChangeKind(StrEnum):
    """What happened to a file under /etc."""

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class EtcChange:
    """A changed, added or removed file under /etc (conffiles flagged with their owner)."""

    path: str
    kind: FileChangeKind
    conffile_of: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConfigReport:
    """Image config, /etc and layer size changes."""

    image_config: tuple[ConfigChange, ...] = ()
    etc: tuple[EtcChange, ...] = ()
    old_size: int = 0
    new_size: int = 0


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the verdict is what it is: one line per finding that raised it."""

    severity: Severity
    section: str
    message: str


@dataclass(frozen=True, slots=True)
class UpgradeReport:
    """Everything `hullscan upgrade OLD NEW` knows."""

    old_reference: str
    new_reference: str
    verdict: Verdict
    reasons: tuple[Reason, ...]
    packages: tuple[PackageChange, ...]
    unchanged_packages: int
    base: BaseChange
    abi: AbiReport
    dependencies: tuple[DependencyProblem, ...]
    vulnerabilities: VulnerabilityDelta
    config: ConfigReport
    warnings: tuple[str, ...] = field(default=())

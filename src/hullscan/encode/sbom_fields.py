"""What hullscan writes into (and reads back from) CycloneDX and SPDX documents, format-neutral.

The `hullscan:` property vocabulary, package hashes and suppliers taken from catalog metadata,
licence classification (SPDX expression or plain name), which bundled components nest under
which host, and the document clock (timestamp and serial, reproducible on request).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Inventory
from hullscan.model.package import Package, RelationshipKind

PREFIX = "hullscan:"
PACKAGE_ID = "hullscan:package:id"
PACKAGE_TYPE = "hullscan:package:type"
FOUND_BY = "hullscan:package:found-by"
SOURCE_NAME = "hullscan:package:source-name"
SOURCE_VERSION = "hullscan:package:source-version"
HIDDEN = "hullscan:package:hidden"
"""Present (value `true`) on a package a later layer removed (all-layers scope)."""
LAYER_DIGEST = "hullscan:layer:digest"
LAYER_DIFF_ID = "hullscan:layer:diff-id"
LAYER_INDEX = "hullscan:layer:index"
RELATIONSHIP = "hullscan:relationship:"
"""Prefix: `hullscan:relationship:<kind>` = target package id, on the source package."""
UNMATCHABLE = "hullscan:package:unmatchable-reason"
IMAGE_REFERENCE = "hullscan:image:reference"
IMAGE_SOURCE_KIND = "hullscan:image:source-kind"
IMAGE_MANIFEST = "hullscan:image:manifest-digest"
IMAGE_CONFIG = "hullscan:image:config-digest"
IMAGE_PLATFORM = "hullscan:image:platform"
IMAGE_REPO_TAG = "hullscan:image:repo-tag"
IMAGE_CREATED = "hullscan:image:created"
IMAGE_MEDIA_TYPE = "hullscan:image:media-type"
DISTRO_CODENAME = "hullscan:distro:codename"
DISTRO_PRETTY_NAME = "hullscan:distro:pretty-name"
DISTRO_ID_LIKE = "hullscan:distro:id-like"
WARNING = "hullscan:warning"
UNKNOWN = "hullscan:unknown"
"""`PATH<TAB>LAYER<TAB>CATALOGER<TAB>REASON` of one file a cataloger could not read."""

_LOCATION = re.compile(r"^hullscan:location:(\d+):(path|layer-digest)$")
_IMAGE_LAYER = re.compile(r"^hullscan:image:layer:(\d+):(digest|diff-id|media-type|size)$")
_PERSON = re.compile(r"^\s*(?P<name>[^<]*?)\s*<(?P<email>[^>]*)>\s*$")
_SRI = re.compile(r"^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/=]+)$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HASH_LENGTHS = {"sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}

Property = tuple[str, str]


def location_property(index: int, field: str) -> str:
    """Return the property name of field `path` or `layer-digest` of location `index`."""
    return f"hullscan:location:{index}:{field}"


def image_layer_property(index: int, field: str) -> str:
    """Return the property name of field `digest`/`diff-id`/`media-type`/`size` of layer `index`."""
    return f"hullscan:image:layer:{index}:{field}"


def parse_location_property(name: str) -> tuple[int, str] | None:
    """Return (index, field) of a `hullscan:location:N:FIELD` property name, else None."""
    match = _LOCATION.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


def parse_image_layer_property(name: str) -> tuple[int, str] | None:
    """Return (index, field) of a `hullscan:image:layer:N:FIELD` property name, else None."""
    match = _IMAGE_LAYER.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


# --- packages ----------------------------------------------------------------------------------


def diff_ids_by_digest(image: ImageDescription) -> dict[str, str]:
    """Return each layer's uncompressed diff id keyed by its blob digest."""
    return {layer.digest: layer.diff_id for layer in image.layers if layer.diff_id}


def package_properties(
    package: Package, image: ImageDescription, extra: Iterable[Property] = ()
) -> list[Property]:
    """Return the `hullscan:` properties describing one package (identity, layer, locations)."""
    props: list[Property] = [
        (PACKAGE_ID, package.id),
        (PACKAGE_TYPE, package.type.value),
        (FOUND_BY, package.found_by),
    ]
    if package.source_name:
        props.append((SOURCE_NAME, package.source_name))
    if package.source_version:
        props.append((SOURCE_VERSION, package.source_version))
    if not package.visible:
        props.append((HIDDEN, "true"))
    if package.layer_digest:
        props.append((LAYER_DIGEST, package.layer_digest))
        diff_id = diff_ids_by_digest(image).get(package.layer_digest)
        if diff_id:
            props.append((LAYER_DIFF_ID, diff_id))
        index = next((layer.index for layer in image.layers if layer.digest == package.layer_digest), None)
        if index is not None:
            props.append((LAYER_INDEX, str(index)))
    for index, where in enumerate(package.locations):
        props.append((location_property(index, "path"), where.path))
        if where.layer_digest:
            props.append((location_property(index, "layer-digest"), where.layer_digest))
    if not package.purl:
        props.append((UNMATCHABLE, "no purl"))
    props.extend(extra)
    return props


def relationship_properties(
    inventory: Inventory, kinds: Iterable[RelationshipKind]
) -> dict[str, list[Property]]:
    """Return `hullscan:relationship:<kind>` properties per source package id, for `kinds`."""
    wanted = set(kinds)
    by_source: dict[str, list[Property]] = {}
    for edge in inventory.relationships:
        if edge.kind in wanted:
            by_source.setdefault(edge.source_id, []).append((RELATIONSHIP + edge.kind.value, edge.target_id))
    return by_source


def image_properties(inventory: Inventory) -> list[Property]:
    """Return the `hullscan:` properties describing the image (identity, platform, layers)."""
    image = inventory.image
    props: list[Property] = [
        (IMAGE_REFERENCE, image.reference),
        (IMAGE_SOURCE_KIND, image.source_kind),
    ]
    optional = (
        (IMAGE_MANIFEST, image.manifest_digest),
        (IMAGE_CONFIG, image.config_digest),
        (IMAGE_PLATFORM, str(image.platform) if image.platform else None),
        (IMAGE_CREATED, image.config.created),
        (IMAGE_MEDIA_TYPE, image.media_type),
    )
    props += [(name, value) for name, value in optional if value]
    props += [(IMAGE_REPO_TAG, tag) for tag in image.repo_tags]
    for layer in image.layers:
        props.append((image_layer_property(layer.index, "digest"), layer.digest))
        props.append((image_layer_property(layer.index, "media-type"), layer.media_type))
        props.append((image_layer_property(layer.index, "size"), str(layer.size)))
        if layer.diff_id:
            props.append((image_layer_property(layer.index, "diff-id"), layer.diff_id))
    props += [(WARNING, text) for text in inventory.warnings]
    props += [
        (UNKNOWN, "\t".join((u.coordinates.path, u.coordinates.layer_digest or "", u.cataloger, u.reason)))
        for u in inventory.unknowns
    ]
    return props


def distro_properties(inventory: Inventory) -> list[Property]:
    """Return the properties of the operating-system component (codename, pretty name, id_like)."""
    distro = inventory.distro
    if distro is None:
        return []
    props: list[Property] = []
    if distro.codename:
        props.append((DISTRO_CODENAME, distro.codename))
    if distro.pretty_name:
        props.append((DISTRO_PRETTY_NAME, distro.pretty_name))
    props += [(DISTRO_ID_LIKE, like) for like in distro.id_like]
    return props


@dataclass(frozen=True, slots=True)
class PackageHash:
    """A digest of the package artifact itself (not of a metadata file)."""

    algorithm: str
    """`sha1`, `sha256`, `sha384` or `sha512`."""
    hex_value: str


def package_hashes(package: Package) -> list[PackageHash]:
    """Return the package-level hashes its metadata records.

    npm `integrity` (SRI of the tarball) and Composer `dist.shasum` (SHA-1 of the dist archive)
    are digests of the package artifact; dpkg/rpm file digests, apk's control-segment checksum
    and Go's `h1:` directory hash are not, and are left out.
    """
    hashes: list[PackageHash] = []
    integrity = package.metadata.get("integrity")
    if isinstance(integrity, str):
        hashes += _sri_hashes(integrity)
    shasum = package.metadata.get("dist_shasum")
    if isinstance(shasum, str) and len(shasum) == 40 and _HEX.match(shasum):
        hashes.append(PackageHash("sha1", shasum.lower()))
    return sorted(set(hashes), key=lambda h: (h.algorithm, h.hex_value))


def _sri_hashes(integrity: str) -> list[PackageHash]:
    found = []
    for token in integrity.split():
        match = _SRI.match(token)
        if not match:
            continue
        try:
            raw = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            continue
        hex_value = raw.hex()
        if len(hex_value) == _HASH_LENGTHS[match.group(1)]:
            found.append(PackageHash(match.group(1), hex_value))
    return found


@dataclass(frozen=True, slots=True)
class Party:
    """A supplier or author: a name and, where the metadata gives one, an e-mail address."""

    name: str
    email: str | None = None


def parse_party(text: str) -> Party | None:
    """Split `Name <email>` (Debian Maintainer, npm author, Python Author-email) into a Party."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    match = _PERSON.match(cleaned)
    if match:
        name, email = match.group("name").strip(), match.group("email").strip() or None
        return Party(name or (email or cleaned), email)
    return Party(cleaned)


def package_supplier(package: Package) -> Party | None:
    """Return the supplier the metadata names (`supplier`: maintainer, vendor, npm/Python author)."""
    value = package.metadata.get("supplier")
    return parse_party(value) if isinstance(value, str) else None


def package_authors(package: Package) -> list[Party]:
    """Return the authors the metadata lists (RubyGems `authors`)."""
    value = package.metadata.get("authors")
    if not isinstance(value, list):
        return []
    return [p for p in (parse_party(a) for a in value if isinstance(a, str)) if p is not None]


def package_homepage(package: Package) -> str | None:
    """Return the project home page URL from metadata (`homepage`, `home_page`, `url`)."""
    for key in ("homepage", "home_page", "url"):
        value = package.metadata.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")) and " " not in value:
            return value
    return None


# --- licences ----------------------------------------------------------------------------------


@cache
def spdx_licensing() -> Any:
    """Return the SPDX licence symbol table (license_expression has no type hints; loaded once)."""
    from spdx_tools.common.spdx_licensing import spdx_licensing as licensing  # noqa: PLC0415 - heavy

    return licensing


def spdx_expression(text: str) -> str | None:
    """Return `text` as a normalized SPDX expression if it is one (known ids only), else None."""
    if not text.strip() or "\n" in text:
        return None
    if not all(_is_spdx_token(token) for token in _TOKENS.split(text) if token):
        return None  # aliases the parser would accept ("GPL") are not SPDX ids
    try:
        info = spdx_licensing().validate(text, strict=True)
    except Exception:  # noqa: BLE001 - the parser raises many kinds of errors on free text
        return None
    if info.errors or info.invalid_symbols or not info.normalized_expression:
        return None
    return str(info.normalized_expression)


_TOKENS = re.compile(r"[\s()]+")
_OPERATORS = frozenset({"and", "or", "with"})


def _is_spdx_token(token: str) -> bool:
    from cyclonedx.spdx import fixup_id  # noqa: PLC0415 - the official id list, loaded on first use

    return token.lower() in _OPERATORS or fixup_id(token) is not None


def is_compound(expression: str) -> bool:
    """Return True if an SPDX expression combines licences (AND, OR, WITH)."""
    return bool(re.search(r"\s(AND|OR|WITH)\s", expression, re.IGNORECASE))


# --- nesting -----------------------------------------------------------------------------------

NESTING_KINDS = (RelationshipKind.BUNDLED_IN, RelationshipKind.VENDORED_IN)
"""Edges `copy -> host` drawn as a component nested under its host."""


def nesting(inventory: Inventory, ids: Iterable[str]) -> dict[str, str]:
    """Return host id per nested package id, for bundled/vendored copies whose host is listed.

    A copy with several hosts stays under the first (sorted); a chain that would loop stays flat.
    """
    known = set(ids)
    hosts: dict[str, str] = {}
    for edge in sorted(inventory.relationships, key=lambda r: (r.source_id, r.target_id)):
        if edge.kind in NESTING_KINDS and edge.source_id in known and edge.target_id in known:
            hosts.setdefault(edge.source_id, edge.target_id)
    for child in list(hosts):
        seen = {child}
        parent = hosts.get(child)
        while parent is not None:
            if parent in seen:
                del hosts[child]
                break
            seen.add(parent)
            parent = hosts.get(parent)
    return hosts


def unique_ids(packages: Iterable[Package]) -> list[tuple[str, Package]]:
    """Return (unique reference, package) pairs; a repeated package id gets a `-N` suffix."""
    seen: dict[str, int] = {}
    pairs = []
    for package in packages:
        count = seen.get(package.id, 0)
        seen[package.id] = count + 1
        pairs.append((package.id if count == 0 else f"{package.id}-{count + 1}", package))
    return pairs


def sorted_packages(inventory: Inventory) -> list[Package]:
    """Return the packages in a stable order (type, name, version, id)."""
    return sorted(inventory.packages, key=lambda p: (p.type.value, p.name, p.version, p.id))


# --- the document clock ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentOptions:
    """How a document is stamped: `reproducible` fixes the timestamp and the serial number."""

    reproducible: bool = False
    timestamp: datetime | None = None
    """An explicit creation time (wins over the reproducible choice)."""


def document_time(
    image: ImageDescription, options: DocumentOptions, env: Mapping[str, str] | None = None
) -> datetime:
    """Return the document's creation time.

    Explicit timestamp first; with `reproducible`, SOURCE_DATE_EPOCH, then the image's creation
    date, then the Unix epoch; otherwise now. Always UTC, whole seconds.
    """
    environ = os.environ if env is None else env
    if options.timestamp is not None:
        stamp = options.timestamp
    elif not options.reproducible:
        stamp = datetime.now(UTC)
    else:
        stamp = (
            _epoch_from_env(environ) or _parse_time(image.config.created) or datetime.fromtimestamp(0, UTC)
        )
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).replace(microsecond=0)


def _epoch_from_env(environ: Mapping[str, str]) -> datetime | None:
    value = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value), UTC)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    cleaned = text.strip().replace("Z", "+00:00")
    match = re.match(r"^(.*?T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", cleaned)
    if match:  # fromisoformat in 3.11 accepts at most 6 fractional digits; Go writes 9
        cleaned = match.group(1) + (match.group(2) or "")[:7] + match.group(3)
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        return None


SERIAL_NAMESPACE = uuid.UUID("2f6f0d7c-5b1e-4d53-9f43-7c0d9e2b6a11")
"""Namespace of serials derived from image digests (uuid5), fixed forever."""


def document_serial(image: ImageDescription, options: DocumentOptions, kind: str) -> uuid.UUID:
    """Return the document serial: derived from the image digest when reproducible, else random."""
    if options.reproducible:
        identity = image.manifest_digest or image.id
        return uuid.uuid5(SERIAL_NAMESPACE, f"{kind}\x00{identity}")
    return uuid.uuid4()


def image_name(image: ImageDescription) -> str:
    """Return a readable name for the image: its first repo tag, else the reference."""
    if image.repo_tags:
        return image.repo_tags[0]
    return image.reference

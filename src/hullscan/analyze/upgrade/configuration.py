"""The configuration section: image config fields, files under /etc (conffiles flagged), layer sizes."""

from __future__ import annotations

import json
from collections.abc import Sequence

from hullscan.analyze.upgrade.model import (
    ConfigChange,
    ConfigReport,
    EtcChange,
    FileChangeKind,
    LayerInfo,
)
from hullscan.errors import HullscanError
from hullscan.fileview.interface import FileView
from hullscan.model.files import FileKind, FileRecord
from hullscan.model.image import ImageConfig, ImageDescription
from hullscan.model.package import Package, PackageType

ETC = "/etc/"
_FIELDS: tuple[tuple[str, str], ...] = (
    ("entrypoint", "entrypoint"),
    ("cmd", "cmd"),
    ("env", "env"),
    ("user", "user"),
    ("workdir", "working_dir"),
    ("exposed_ports", "exposed_ports"),
    ("volumes", "volumes"),
    ("labels", "labels"),
)


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return json.dumps([list(v) if isinstance(v, tuple) else v for v in value])
    return str(value)


def _env_changes(old: ImageConfig, new: ImageConfig) -> list[ConfigChange]:
    before = dict(item.partition("=")[::2] for item in old.env)
    after = dict(item.partition("=")[::2] for item in new.env)
    return [
        ConfigChange(f"env.{name}", before.get(name, "(unset)"), after.get(name, "(unset)"))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    ]


def _label_changes(old: ImageConfig, new: ImageConfig) -> list[ConfigChange]:
    before, after = dict(old.labels), dict(new.labels)
    return [
        ConfigChange(f"labels.{name}", before.get(name, "(unset)"), after.get(name, "(unset)"))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    ]


def image_config_changes(old: ImageConfig, new: ImageConfig) -> list[ConfigChange]:
    """Return the config fields that differ (env and labels per key)."""
    changes: list[ConfigChange] = []
    for name, attribute in _FIELDS:
        if name == "env":
            changes.extend(_env_changes(old, new))
        elif name == "labels":
            changes.extend(_label_changes(old, new))
        elif getattr(old, attribute) != getattr(new, attribute):
            changes.append(ConfigChange(name, _show(getattr(old, attribute)), _show(getattr(new, attribute))))
    return changes


def _etc_records(view: FileView) -> dict[str, FileRecord]:
    return {
        r.path: r for r in view.files() if r.visible and r.path.startswith(ETC) and r.kind is not FileKind.DIR
    }


def _content(view: FileView, record: FileRecord) -> bytes | None:
    try:
        return view.read_record(record)
    except (OSError, HullscanError):
        return None


def _differs(old_view: FileView, new_view: FileView, old: FileRecord, new: FileRecord) -> str:
    """Describe how one /etc entry changed, or return "" if it did not."""
    if old.kind is not new.kind:
        return f"{old.kind.value} → {new.kind.value}"
    if old.kind is FileKind.SYMLINK:
        return f"→ {old.link_target} now → {new.link_target}" if old.link_target != new.link_target else ""
    return _attribute_difference(old, new) or _file_difference(old_view, new_view, old, new)


def _attribute_difference(old: FileRecord, new: FileRecord) -> str:
    if old.mode & 0o7777 != new.mode & 0o7777:
        return f"mode {old.mode & 0o7777:o} → {new.mode & 0o7777:o}"
    if (old.uid, old.gid) != (new.uid, new.gid):
        return f"owner {old.uid}:{old.gid} → {new.uid}:{new.gid}"
    return ""


def _file_difference(old_view: FileView, new_view: FileView, old: FileRecord, new: FileRecord) -> str:
    if old.kind is not FileKind.FILE:
        return ""
    if old.size != new.size:
        return f"{old.size} → {new.size} bytes"
    if old.layer_digest == new.layer_digest:
        return ""
    before, after = _content(old_view, old), _content(new_view, new)
    return "content changed" if before is not None and after is not None and before != after else ""


def _conffile_owners(packages: Sequence[Package]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for package in packages:
        if package.type is not PackageType.DEB:
            continue
        for item in package.metadata.get("conffiles", ()):
            owners.setdefault(str(item.get("path")), package.name)
    return owners


def etc_changes(
    old_view: FileView, new_view: FileView, old_packages: Sequence[Package], new_packages: Sequence[Package]
) -> list[EtcChange]:
    """Return added, changed and removed files under /etc; dpkg conffiles carry their package."""
    before, after = _etc_records(old_view), _etc_records(new_view)
    owners = {**_conffile_owners(old_packages), **_conffile_owners(new_packages)}
    changes: list[EtcChange] = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old is None:
            changes.append(EtcChange(path, FileChangeKind.ADDED, owners.get(path)))
        elif new is None:
            changes.append(EtcChange(path, FileChangeKind.REMOVED, owners.get(path)))
        else:
            detail = _differs(old_view, new_view, old, new)
            if detail:
                changes.append(EtcChange(path, FileChangeKind.CHANGED, owners.get(path), detail))
    return changes


def layer_infos(description: ImageDescription, view: FileView) -> tuple[LayerInfo, ...]:
    """Return each layer with its stored size and the bytes it contributes to the squashed image."""
    contributed: dict[int, int] = {}
    for record in view.files():
        if record.visible and record.kind is FileKind.FILE:
            contributed[record.layer_index] = contributed.get(record.layer_index, 0) + record.size
    history = [h.created_by for h in description.config.history if not h.empty_layer]
    diff_ids = description.config.diff_ids
    infos = []
    for layer in description.layers:
        diff_id = layer.diff_id or (diff_ids[layer.index] if layer.index < len(diff_ids) else None)
        created = history[layer.index] if layer.index < len(history) else ""
        infos.append(
            LayerInfo(
                layer.index, layer.digest, diff_id, layer.size, contributed.get(layer.index, 0), created
            )
        )
    if not infos:
        infos.append(LayerInfo(0, view.layer_digest(0) or "dir", None, 0, contributed.get(0, 0)))
    return tuple(infos)


def configuration_report(
    old: ImageDescription,
    new: ImageDescription,
    etc: Sequence[EtcChange],
    old_layers: Sequence[LayerInfo],
    new_layers: Sequence[LayerInfo],
) -> ConfigReport:
    """Return the configuration section."""
    return ConfigReport(
        image_config=tuple(image_config_changes(old.config, new.config)),
        etc=tuple(etc),
        old_size=sum(layer.visible_bytes for layer in old_layers),
        new_size=sum(layer.visible_bytes for layer in new_layers),
    )

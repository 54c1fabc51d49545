"""Read the registry files: `services/registry.yaml` and every `services/<name>/service.yaml`.

Only parsing happens here (YAML syntax, duplicate keys, top-level shape). What the data means is
checked by `validate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from template_gen.errors import Problem

REGISTRY_FILE = "services/registry.yaml"
SERVICE_FILE = "service.yaml"
# Folders under services/ that hold platform data, not services.
NON_SERVICE_DIRS = frozenset({"environments", "_schema"})

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first defined on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class SourceFile:
    """A parsed YAML file, or the problem that stopped it from parsing."""

    rel_path: str
    data: dict[str, Any] | None
    problem: Problem | None = None


@dataclass
class RawRegistry:
    project_dir: Path
    registry: SourceFile
    services: dict[str, SourceFile] = field(default_factory=dict)  # by folder name


def parse_yaml(text: str, rel_path: str) -> SourceFile:
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        detail = exc.problem or exc.context or "invalid YAML"
        return SourceFile(rel_path, None, Problem(rel_path, "", f"{where}could not parse YAML: {detail}"))
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked YAML errors are rare
        return SourceFile(rel_path, None, Problem(rel_path, "", f"could not parse YAML: {exc}"))
    if data is None:
        return SourceFile(rel_path, None, Problem(rel_path, "", "the file is empty"))
    if not isinstance(data, dict):
        kind = type(data).__name__
        return SourceFile(rel_path, None, Problem(rel_path, "", f"expected a mapping at the top level, got {kind}"))
    return SourceFile(rel_path, data)


def read_yaml(project_dir: Path, rel_path: str) -> SourceFile:
    path = project_dir / rel_path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SourceFile(rel_path, None, Problem(rel_path, "", "file not found"))
    except (OSError, UnicodeDecodeError) as exc:
        return SourceFile(rel_path, None, Problem(rel_path, "", f"could not read the file: {exc}"))
    return parse_yaml(text, rel_path)


def load(project_dir: Path) -> RawRegistry:
    """Parse the registry and every service file under `services/`."""
    raw = RawRegistry(project_dir, read_yaml(project_dir, REGISTRY_FILE))
    services_dir = project_dir / "services"
    if services_dir.is_dir():
        for entry in sorted(services_dir.iterdir()):
            if not entry.is_dir() or entry.name in NON_SERVICE_DIRS or entry.name.startswith("."):
                continue
            rel = f"services/{entry.name}/{SERVICE_FILE}"
            if (entry / SERVICE_FILE).is_file():
                raw.services[entry.name] = read_yaml(project_dir, rel)
    return raw


def find_project_dir(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds `services/registry.yaml`."""
    for candidate in (start, *start.parents):
        if (candidate / REGISTRY_FILE).is_file():
            return candidate
    return None

"""`template-gen migrate`: bring a registry written for an older format up to the current one, one version
step at a time, editing the files in place (comments and layout kept, see project_files/yaml_edit.py).

Each step takes the project's registry files (text, by path) in format version N and returns them in
version N + 1; `STEPS` has one per version below `versions.CURRENT`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from template_gen.errors import RegistryError
from template_gen.project_files import yaml_edit
from template_gen.project_files.transaction import FileTransaction
from template_gen.registry import loader, schema, versions
from template_gen.registry.loader import REGISTRY_FILE

Files = dict[str, str]  # project-relative path -> text
Step = Callable[[Mapping[str, str]], Files]


def _v0_to_v1(files: Mapping[str, str]) -> Files:
    """Version 1 adds `version:` at the top of registry.yaml; nothing else changed."""
    return {**files, REGISTRY_FILE: yaml_edit.insert_first(files[REGISTRY_FILE], versions.FIELD, 1, REGISTRY_FILE)}


STEPS: dict[int, Step] = {0: _v0_to_v1}  # from version N to N + 1


@dataclass
class Migration:
    from_version: int
    to_version: int
    changed: list[str] = field(default_factory=list)  # files rewritten, relative to the project


def registry_files(project_dir: Path) -> Files:
    """The files a step may rewrite: registry.yaml and every service.yaml."""
    raw = loader.load(project_dir)
    files = {raw.registry.rel_path: (project_dir / raw.registry.rel_path).read_text(encoding="utf-8")}
    for source in raw.services.values():
        files[source.rel_path] = (project_dir / source.rel_path).read_text(encoding="utf-8")
    return files


def upgrade(files: Mapping[str, str], version: int) -> Files:
    """The files in the current format, from `version`, through every step on the way."""
    out = dict(files)
    for step in range(version, versions.CURRENT):
        out = STEPS[step](out)
    return out


def migrate(project_dir: Path) -> Migration:
    """Rewrite the project's registry in the current format (and its JSON schemas, which carry the
    version), or change nothing when it already is."""
    source = loader.read_yaml(project_dir, REGISTRY_FILE)
    if source.problem is not None or source.data is None:
        raise RegistryError([source.problem] if source.problem else [])
    found = versions.problem(source.data)
    if found is not None:
        raise RegistryError([found])
    version = versions.declared(source.data)
    result = Migration(version, versions.CURRENT)
    if version == versions.CURRENT:
        return result
    before = registry_files(project_dir)
    after = upgrade(before, version)
    schema_dir = project_dir / schema.SCHEMA_DIR
    if schema_dir.is_dir():
        for name, text in schema.rendered().items():
            rel = f"{schema.SCHEMA_DIR}/{name}"
            path = schema_dir / name
            before.setdefault(rel, path.read_text(encoding="utf-8") if path.is_file() else "")
            after[rel] = text
    tx = FileTransaction(project_dir)
    try:
        for rel, text in sorted(after.items()):
            if text == before.get(rel):
                continue
            if (project_dir / rel).is_file():
                tx.replace(rel, text)
            else:
                tx.create(rel, text)
            result.changed.append(rel)
    except BaseException:
        tx.rollback()
        raise
    return result

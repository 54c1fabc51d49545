"""A build to compare: the root template, its nested stacks (found through the root's
`AWS::CloudFormation::Stack` resources) and the files written beside them that templates point at
(`CodeUri` / `ContentUri` folders inside the build, such as the service catalog layer)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from template_gen.aws_data import STACK_TYPE
from template_gen.errors import UsageError
from template_gen.pipeline import ROOT_FILE, RenderedStack
from template_gen.review import cfn_yaml

CODE_PROPERTIES = ("CodeUri", "ContentUri")


@dataclass(frozen=True)
class StackTemplate:
    key: str  # "" for the root, else the nested stack's logical id
    file_name: str
    template: dict[str, Any]

    @property
    def title(self) -> str:
        return f"{self.file_name} ({self.key or 'root'})"

    def resources(self) -> dict[str, dict[str, Any]]:
        resources = self.template.get("Resources") or {}
        return resources if isinstance(resources, dict) else {}


@dataclass(frozen=True)
class Build:
    stacks: tuple[StackTemplate, ...]  # root first, then nested stacks in the root's order
    files: Mapping[str, str] = field(default_factory=dict)  # relative path -> text, inside code folders only

    def stack(self, key: str) -> StackTemplate | None:
        return next((s for s in self.stacks if s.key == key), None)


def parse_template(text: str, where: str) -> dict[str, Any]:
    try:
        template = cfn_yaml.loads(text)
    except cfn_yaml.TemplateSyntaxError as exc:
        raise UsageError(f"{where}: not a CloudFormation template ({exc})") from exc
    if not isinstance(template, dict):
        raise UsageError(f"{where}: not a CloudFormation template (not a mapping)")
    return template


def nested_stacks(root: dict[str, Any]) -> list[tuple[str, Any]]:
    """(logical id, TemplateURL) of every nested stack of a root template, in template order."""
    resources = root.get("Resources") or {}
    return [
        (lid, (res.get("Properties") or {}).get("TemplateURL"))
        for lid, res in resources.items()
        if isinstance(res, dict) and res.get("Type") == STACK_TYPE
    ]


def is_local(url: Any) -> bool:
    return isinstance(url, str) and "://" not in url and not url.startswith("/")


def code_folders(stacks: Sequence[StackTemplate]) -> dict[tuple[str, str], tuple[str, str]]:
    """(stack key, logical id) -> (property, folder inside the build) for every CodeUri/ContentUri that
    points inside the build."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for stack in stacks:
        base = posixpath.dirname(stack.file_name)
        for lid, res in stack.resources().items():
            props = res.get("Properties") if isinstance(res, dict) else None
            for name in CODE_PROPERTIES:
                uri = props.get(name) if isinstance(props, dict) else None
                if isinstance(uri, str) and is_local(uri):
                    folder = posixpath.normpath(posixpath.join(base, uri))
                    if folder != ".." and not folder.startswith("../"):  # code outside the build is not compared
                        found[(stack.key, lid)] = (name, folder)
    return found


def from_rendered(stacks: Sequence[RenderedStack], files: Mapping[str, str]) -> Build:
    parsed = tuple(StackTemplate(s.logical_id, s.file_name, parse_template(s.text, s.file_name)) for s in stacks)
    folders = {folder for _, folder in code_folders(parsed).values()}
    return Build(parsed, {p: t for p, t in files.items() if _inside(p, folders)})


def from_folder(folder: Path, label: str) -> Build:
    """A build written by `template-gen synth` (or a copy of one). `label` names the folder in errors."""
    root_path = folder / ROOT_FILE
    if not root_path.is_file():
        raise UsageError(
            f"{label}: no {ROOT_FILE} there; expected a folder written by `template-gen synth` "
            "(build/<env>/ or a copy of it)"
        )
    root = StackTemplate("", ROOT_FILE, parse_template(_read(root_path), f"{label}/{ROOT_FILE}"))
    stacks = [root]
    for lid, url in nested_stacks(root.template):
        if not is_local(url):
            raise UsageError(
                f"{label}/{ROOT_FILE}: {lid} has TemplateURL {url!s}: this is a packaged template; "
                "compare with the folder synth writes (build/<env>/)"
            )
        path = folder / url
        if not path.is_file():
            raise UsageError(f"{label}/{ROOT_FILE}: {lid} refers to {url}, which is not in the folder")
        stacks.append(StackTemplate(lid, url, parse_template(_read(path), f"{label}/{url}")))
    folders = {folder for _, folder in code_folders(stacks).values()}
    files = {
        rel: _read(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and _inside(rel := path.relative_to(folder).as_posix(), folders)
    }
    return Build(tuple(stacks), files)


def _inside(path: str, folders: set[str]) -> bool:
    return any(path.startswith(f"{folder}/") for folder in folders)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")

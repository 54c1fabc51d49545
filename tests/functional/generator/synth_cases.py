"""Golden cases: each folder under tests/golden/ with a case.yaml names a project and its environments.

`project: .` means the case folder's own `project/`; `project: example` means this repository's own
registry and functions. Cases are synthesized from a copy in a temporary folder, so paths in templates
(CodeUri, TemplateURL) are exactly what a user's build/<env>/ holds.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from template_gen.pipeline import synthesize

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden"
PROJECT_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    project: Path
    environments: tuple[str, ...]

    @property
    def params(self) -> list[tuple[str, str]]:
        return [(self.name, env) for env in self.environments]


def discover() -> list[Case]:
    cases = []
    for case_file in sorted(GOLDEN_DIR.glob("*/case.yaml")):
        meta = yaml.safe_load(case_file.read_text())
        folder = case_file.parent
        project = PROJECT_ROOT if meta["project"] == "example" else folder / "project"
        cases.append(Case(folder.name, folder, project, tuple(meta["environments"])))
    return cases


CASES = {case.name: case for case in discover()}
PARAMS = [p for case in CASES.values() for p in case.params]


def copy_project(source: Path, target: Path) -> Path:
    for part in ("services", "functions"):
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


@cache
def synthesized(case_name: str, env: str, workdir: Path) -> dict[str, str]:
    """Templates of one case and environment: file name -> text (cached per test session)."""
    case = CASES[case_name]
    project = copy_project(case.project, workdir / case_name / env)
    files = synthesize(project, env).build.all_files()
    # The functions' code is copied into the build as it is; goldens keep the templates and generated files.
    code = {match for text in files.values() for match in CODE_URI.findall(text)}
    return {name: text for name, text in files.items() if not any(name.startswith(f"{c}/") for c in code)}


CODE_URI = re.compile(r"^\s+CodeUri: '?([^'\s]+)'?$", re.MULTILINE)

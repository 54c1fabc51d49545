"""template-gen diff --against: git revisions (with and without a committed build), the example
project's catalog layer, and input it refuses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from diff_cases import PORT_CHANGE, change_port
from support import make_project, run_cli
from synth_cases import CASES, copy_project

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never find a repository above the test's
    monkeypatch.chdir(tmp_path)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def repo_with_project(tmp_path: Path, subfolder: str = "") -> tuple[Path, Path]:
    """A git repository whose first commit holds a project (in `subfolder`, or at the top)."""
    repo = tmp_path / "repo"
    project = make_project(repo / subfolder if subfolder else repo)
    (repo / ".gitignore").write_text("/build/*\n" if not subfolder else f"/{subfolder}/build/*\n")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "platform")
    return repo, project


def test_a_revision_without_a_committed_build_is_synthesized_from_its_registry(tmp_path: Path) -> None:
    # GIVEN a project in a subfolder of a repository, and a commit that changes a port
    repo, project = repo_with_project(tmp_path, "platform")
    change_port(project)
    git(repo, "commit", "--quiet", "-am", "quoting listens on 9090")
    short = git(repo, "rev-parse", "--short=7", "HEAD~1")
    # WHEN the working tree is compared with the commit before
    result = run_cli("diff", "--env", "dev", "--against", "HEAD~1", project=project)
    # THEN the old build is that commit's registry, synthesized (nothing under build/ is written)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        f"dev: the templates synth would write now, compared with HEAD~1 ({short}), synthesized from its services/ "
        "and functions/ (build/dev/ is not committed there)",
        "",
        *PORT_CHANGE,
    ]
    assert not (project / "build").exists()
    data = json.loads(run_cli("diff", "--env", "dev", "--against", "HEAD~1", "--format", "json", project=project).out)
    assert data["against"] == {"kind": "git-synth", "label": "HEAD~1", "commit": git(repo, "rev-parse", "HEAD~1")}


def test_a_revision_with_a_committed_build_is_compared_as_committed(tmp_path: Path) -> None:
    repo, project = repo_with_project(tmp_path)
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    git(repo, "add", "--force", "build/dev")
    git(repo, "commit", "--quiet", "-m", "commit the build")
    # The committed build is what is compared, even when the registry at that commit would say otherwise.
    (project / "build/dev/compute.yaml").unlink()
    git(repo, "commit", "--quiet", "-am", "drop compute.yaml from the committed build")
    result = run_cli("diff", "--env", "dev", "--against", "HEAD~1", project=project)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"dev: the templates synth would write now, compared with build/dev/ as committed at HEAD~1 "
        f"({git(repo, 'rev-parse', '--short=7', 'HEAD~1')})",
        "",
        "no changes",
    ]
    refused = run_cli("diff", "--env", "dev", "--against", "HEAD", project=project)
    assert (refused.code, refused.err) == (
        1,
        "error: HEAD:build/dev/template.yaml: ComputeStack refers to compute.yaml, which is not in the folder\n",
    )


def test_new_catalog_content_replaces_the_catalog_layer(tmp_path: Path) -> None:
    # The example project's platform-info function reads the service catalog from a layer written beside
    # the templates; a new description changes that file, not the templates.
    project = copy_project(CASES["example"].project, tmp_path / "example")
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    shutil.copytree(project / "build/dev", tmp_path / "deployed")
    service = project / "services/quoting/service.yaml"
    text = service.read_text()
    service.write_text(
        text.replace("description: Prices a basket and returns a binding quote.", "description: Quotes.")
    )
    result = run_cli("diff", "--env", "dev", "--against", "deployed", project=project)
    assert result.out.splitlines() == [
        "dev: the templates synth would write now, compared with the build in deployed",
        "",
        "template.yaml (root)",
        "  modify  ComputeStack  AWS::CloudFormation::Stack  replacement: False  scope: Properties",
        "      TemplateURL: nested template compute.yaml points at new content once packaged",
        "compute.yaml (ComputeStack)",
        "  replace  PlatformCatalogLayer  AWS::Serverless::LayerVersion  replacement: True   scope: Properties",
        "      ContentUri: content changed: catalog/platform/catalog.json [replacement: True]",
        "  modify   PlatformInfoFunction  AWS::Serverless::Function      replacement: False  scope: Properties",
        "      Layers[1]: !Ref PlatformCatalogLayer (via PlatformCatalogLayer replaced)",
        "",
        "0 to add, 3 to change (1 replacement), 0 to remove",
    ]


def test_an_earlier_build_without_the_catalog_folder_is_compared_with_a_warning(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path / "example")
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    shutil.copytree(project / "build/dev", tmp_path / "deployed", ignore=shutil.ignore_patterns("catalog"))
    result = run_cli("diff", "--env", "dev", "--against", "deployed", project=project)
    assert (result.code, result.err) == (
        0,
        "warning: catalog/ is not in the earlier build, so the content of PlatformCatalogLayer was not compared\n",
    )
    assert result.out.splitlines()[-1] == "no changes"


@pytest.mark.parametrize(
    ("against", "setup", "message"),
    [
        (
            "empty",
            lambda tmp: (tmp / "empty").mkdir(),
            "empty: no template.yaml there; expected a folder written by `template-gen synth` "
            "(build/<env>/ or a copy of it)",
        ),
        (
            "notes.txt",
            lambda tmp: (tmp / "notes.txt").write_text("x"),
            "--against notes.txt: is a file; pass the folder that holds template.yaml (or a git revision)",
        ),
        (
            "HEAD~1",
            lambda tmp: None,
            "--against HEAD~1: no such folder, and the project is not in a git repository",
        ),
    ],
)
def test_against_without_an_earlier_build_is_refused(tmp_path: Path, against: str, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "project")
    setup(tmp_path)
    result = run_cli("diff", "--env", "dev", "--against", against, project=project)
    assert (result.code, result.out, result.err) == (1, "", f"error: {message}\n")


def test_an_unknown_revision_is_refused(tmp_path: Path) -> None:
    _, project = repo_with_project(tmp_path)
    result = run_cli("diff", "--env", "dev", "--against", "v9.9", project=project)
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: --against v9.9: no such folder, and not a revision of this git repository\n",
    )


def test_a_revision_where_the_environment_did_not_exist_is_refused(tmp_path: Path) -> None:
    repo, project = repo_with_project(tmp_path)
    registry = (project / "services/registry.yaml").read_text()
    (project / "services/registry.yaml").write_text(registry.replace("  prod:", "  stage:"))
    git(repo, "commit", "--quiet", "-am", "rename prod to stage")
    result = run_cli("diff", "--env", "stage", "--against", "HEAD~1", project=project)
    short = git(repo, "rev-parse", "--short=7", "HEAD~1")
    assert (result.code, result.out, result.err) == (
        1,
        "",
        f"error: --against HEAD~1: the registry at HEAD~1 ({short}) does not validate with this template-gen, "
        "so its build cannot be reproduced:\n"
        "services/registry.yaml: environments: no environment named 'stage' (defined: dev, prod)\n",
    )


def test_an_unknown_environment_is_refused_before_anything_is_compared(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    result = run_cli("diff", "--env", "qa", "--against", "deployed", project=project)
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "services/registry.yaml: environments: no environment named 'qa' (defined: dev, prod)\n"
        "error: 1 problem found\n",
    )

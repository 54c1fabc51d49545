"""validate checks samconfig.toml against the registry both ways, with exact messages and hints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import run_cli
from synth_cases import CASES, copy_project

from template_gen.registry.environments import names

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    found = copy_project(CASES["example"].project, tmp_path / "project")
    shutil.copy(ROOT / "samconfig.toml", found / "samconfig.toml")
    return found


def test_the_repository_samconfig_matches_the_registry(project: Path) -> None:
    result = run_cli("validate", project=project)
    assert (result.code, result.err) == (0, "")


def test_an_environment_without_sections_is_reported_with_a_hint(project: Path) -> None:
    registry = project / "services/registry.yaml"
    text = registry.read_text()
    # quoting calls pricing-rules, so an environment with quoting has pricing-rules too (else validate says so).
    registry.write_text(
        text.replace(
            "\n  prod:\n",
            "\n  staging:\n    network: {mode: create, cidr: 10.40.0.0/16}\n"
            "    services: [quoting, pricing-rules]\n\n  prod:\n",
            1,
        )
    )
    result = run_cli("validate", project=project)
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines() == [
        "samconfig.toml: staging: no sections for environment 'staging' of services/registry.yaml, so "
        '`sam build --config-env staging` fails with "Template file not found"',
        "    hint: copy the [dev.*] sections and replace dev with staging in them",
        "error: 1 problem found",
    ]


def test_wrong_template_paths_and_unknown_environments_are_reported(project: Path) -> None:
    config = project / "samconfig.toml"
    text = config.read_text()
    text = text.replace(
        '[prod.build.parameters]\ntemplate_file = "build/prod/template.yaml"',
        '[prod.build.parameters]\ntemplate_file = "build/dev/template.yaml"',
    )
    text = text.replace(
        '[prod.deploy.parameters]\ntemplate_file = ".aws-sam/prod/template.yaml"',
        '[prod.deploy.parameters]\ntemplate_file = ".aws-sam/dev/template.yaml"',
    )
    text += '\n[qa.global.parameters]\nstack_name = "acme-qa"\n'
    config.write_text(text)
    result = run_cli("validate", project=project)
    assert result.code == 1
    assert result.err.splitlines() == [
        "samconfig.toml: prod.build.parameters.template_file: is 'build/dev/template.yaml'; expected "
        "'build/prod/template.yaml' (where `template-gen synth --env prod` writes)",
        '    hint: set template_file = "build/prod/template.yaml"',
        "samconfig.toml: prod.deploy.parameters.template_file: is '.aws-sam/dev/template.yaml'; expected "
        "'.aws-sam/prod/template.yaml' (where `sam build --config-env prod` writes)",
        '    hint: set template_file = ".aws-sam/prod/template.yaml"',
        "samconfig.toml: qa: sections for environment 'qa', which services/registry.yaml does not define",
        "    hint: remove the [qa.*] sections, or add the environment to the registry (template-gen new-env qa --from dev)",
        "error: 3 problems found",
    ]
    # --env checks only the environments named (and not the sections of unknown ones).
    assert run_cli("validate", "--env", "dev", project=project).code == 0


def test_a_project_without_samconfig_is_noted(project: Path) -> None:
    (project / "samconfig.toml").unlink()
    result = run_cli("validate", project=project)
    assert (result.code, result.err) == (
        0,
        "note: no samconfig.toml: the SAM CLI's sections per environment were not checked\n",
    )


def test_the_makefile_takes_its_environments_from_the_registry(project: Path) -> None:
    assert names(project) == ["dev", "prod"]
    makefile = (ROOT / "Makefile").read_text()
    assert "ENVS   ?= $(shell $(BIN)/python -m template_gen.registry.environments)" in makefile

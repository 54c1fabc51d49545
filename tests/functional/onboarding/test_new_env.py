"""template-gen new-env: the environment copied in the registry (every other byte kept) and in
samconfig.toml, checked by validate and synth, or nothing changed."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from onboarding_support import snapshot
from support import make_project, run_cli
from synth_cases import CASES, copy_project

from template_gen.project_files.yaml_edit import EditFailed, copy_entry

ROOT = Path(__file__).resolve().parents[3]

STAGING_BLOCK = """
  staging:
    network:
      mode: create
      cidr: 10.20.0.0/16
      az_count: 2
      nat_gateways: single
    log_retention_days: 14
    api:
      # API Gateway's CloudWatch role is one setting per account and Region: create it from one
      # environment only (prod assumes its account already has it, or sets this too).
      cloudwatch_role: true
      execution_logging: INFO
    services:
      - quoting
      - product-pricing
      - pricing-rules
      - quote-notifier
      - platform-info
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    found = copy_project(CASES["example"].project, tmp_path / "project")
    shutil.copy(ROOT / "samconfig.toml", found / "samconfig.toml")
    return found


def test_new_env_copies_the_environment_and_its_samconfig_sections(project: Path) -> None:
    registry_before = (project / "services/registry.yaml").read_text()
    samconfig_before = (project / "samconfig.toml").read_text()
    result = run_cli("new-env", "staging", "--from", "dev", project=project)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "updated services/registry.yaml (environments.staging, copied from dev)",
        "updated samconfig.toml ([staging.*] sections, copied from dev)",
        "validate and synth pass for staging",
        "next: review services/registry.yaml, then template-gen deploy --env staging",
    ]
    assert result.err.splitlines() == [
        "note: staging creates a VPC with dev's CIDR (10.20.0.0/16); give it its own if the two VPCs are ever "
        "peered or share a transit gateway",
        "note: api.cloudwatch_role: true is copied; the role is one setting per account and Region, so only one "
        "environment of an account should set it (remove it from staging if dev shares its account)",
    ]
    registry = (project / "services/registry.yaml").read_text()
    end = registry_before.index("      - platform-info\n", registry_before.index("  prod:")) + len(
        "      - platform-info\n"
    )
    assert registry == registry_before[:end] + STAGING_BLOCK + registry_before[end:]
    samconfig = (project / "samconfig.toml").read_text()
    assert samconfig.startswith(samconfig_before.rstrip("\n") + "\n\n[staging.global.parameters]\n")
    config = tomllib.loads(samconfig)
    assert config["staging"]["global"]["parameters"] == {"stack_name": "acme-staging", "region": "eu-west-1"}
    assert config["staging"]["build"]["parameters"]["template_file"] == "build/staging/template.yaml"
    assert config["staging"]["deploy"]["parameters"]["tags"] == 'platform="acme" environment="staging"'
    assert run_cli("validate", project=project).code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("prod", "--from", "dev"), "environment 'prod' already exists in services/registry.yaml"),
        (
            ("Staging", "--from", "dev"),
            "'Staging' is not a valid environment name: use lowercase letters and digits, starting with a letter",
        ),
        (("staging", "--from", "qa"), "--from qa: no environment named 'qa' (defined: dev, prod)"),
    ],
)
def test_bad_input_changes_nothing(project: Path, args: tuple[str, ...], message: str) -> None:
    before = snapshot(project)
    result = run_cli("new-env", *args, project=project)
    assert (result.code, result.err) == (1, f"error: {message}\n")
    assert snapshot(project) == before


def test_without_samconfig_the_default_sections_are_written(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    result = run_cli("new-env", "qa", "--from", "dev", project=project)
    assert result.code == 0, result.err
    assert "updated samconfig.toml ([qa.*] sections, the defaults)" in result.out.splitlines()
    config = tomllib.loads((project / "samconfig.toml").read_text())
    assert config["version"] == 0.1
    assert config["qa"]["deploy"]["parameters"]["template_file"] == ".aws-sam/qa/template.yaml"
    assert config["qa"]["global"]["parameters"] == {"stack_name": "acme-qa", "region": "eu-west-1"}


def test_service_overrides_of_the_source_are_named(project: Path) -> None:
    result = run_cli("new-env", "staging", "--from", "prod", project=project)
    assert result.code == 0, result.err
    assert any(
        line.startswith("note: services/quoting/service.yaml: environments.prod overrides settings of quoting for prod")
        for line in result.err.splitlines()
    ), result.err


def test_copy_entry_keeps_compact_layout_and_refuses_anchors() -> None:
    text = "environments:\n  dev:\n    a: 1  # one\n  prod:\n    a: 2\nother: x\n"
    assert copy_entry(text, ["environments"], "dev", "qa", "r.yaml") == (
        "environments:\n  dev:\n    a: 1  # one\n  prod:\n    a: 2\n  qa:\n    a: 1  # one\nother: x\n"
    )
    anchored = "environments:\n  dev: &base\n    a: 1\n  prod: *base\n"
    with pytest.raises(EditFailed) as caught:
        copy_entry(anchored, ["environments"], "dev", "qa", "r.yaml")
    assert str(caught.value) == "r.yaml: cannot edit environments.qa automatically (unusual layout); edit it by hand"

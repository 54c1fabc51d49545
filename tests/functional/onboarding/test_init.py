"""`template-gen init DIR`: a new platform repository that validates, synthesizes and passes cfn-lint as it
is, and the folders it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support import lint_matches, load, run_cli

from template_gen.registry import schema

SAM = str(Path(sys.executable).with_name("sam"))
FILES = [
    ".gitignore",
    "Makefile",
    "README.md",
    "samconfig.toml",
    "services/_schema/registry.schema.json",
    "services/_schema/service.schema.json",
    "services/hello/service.yaml",
    "services/registry.yaml",
]


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_init_writes_a_repository_that_synthesizes_and_passes_cfn_lint(tmp_path: Path) -> None:
    target = tmp_path / "shop-platform"
    result = run_cli("init", str(target), "--platform", "shop", "--region", "eu-central-1")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        *(f"wrote {name}" for name in FILES),
        f"created platform 'shop' (eu-central-1) in {target}",
        f"next: cd {target} && template-gen synth --env dev   (the example service is services/hello)",
    ]
    assert files_under(target) == FILES
    registry = load(target / "services/registry.yaml")
    assert (registry["version"], registry["platform"], registry["region"]) == (1, "shop", "eu-central-1")
    assert list(registry["environments"]) == ["dev", "prod"]
    assert load(target / "services/hello/service.yaml")["kind"] == "ecs"
    config = tomllib.loads((target / "samconfig.toml").read_text())
    assert config["prod"]["global"]["parameters"] == {"stack_name": "shop-prod", "region": "eu-central-1"}
    assert (target / "services/_schema/registry.schema.json").read_text() == schema.rendered()["registry.schema.json"]
    assert "synth:" in (target / "Makefile").read_text() and "deploy:" in (target / "Makefile").read_text()

    validate = run_cli("validate", project=target)
    assert (validate.code, validate.err) == (0, "")
    for env in ("dev", "prod"):
        synth = run_cli("synth", "--env", env, project=target)
        assert synth.code == 0, synth.err
        templates = sorted((target / "build" / env).glob("*.yaml"))
        assert [t.name for t in templates] == [
            "api-stage.yaml",
            "api.yaml",
            "compute.yaml",
            "network.yaml",
            "observability.yaml",
            "template.yaml",
        ]
        for template in templates:
            assert lint_matches(template.read_text(), "eu-central-1") == [], template.name
        # The platform functions come from the package: the new repository has no functions/.
        assert (target / "build" / env / "functions/api_key_validator/app.py").is_file()
    assert not (target / "functions").exists()


def test_init_names_the_platform_after_the_folder(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "Payments_API"))
    assert result.code == 0
    registry = load(tmp_path / "Payments_API/services/registry.yaml")
    assert (registry["platform"], registry["region"]) == ("payments-api", "eu-west-1")


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run_cli("init", str(tmp_path))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"error: init {tmp_path}: the folder is not empty; init writes a new repository into a new or empty folder"
    ]
    assert files_under(tmp_path) == ["notes.txt"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--platform", "Shop!"],
            "error: --platform Shop!: 'Shop!' is not a valid platform name: use lowercase letters, digits and "
            "single hyphens, starting with a letter and not ending with a hyphen; pass --platform NAME",
        ),
        (["--region", "europe"], "error: --region europe: not an AWS Region name, e.g. eu-west-1"),
    ],
    ids=["platform", "region"],
)
def test_init_refuses_a_bad_name_or_region_and_writes_nothing(tmp_path: Path, args: list[str], expected: str) -> None:
    result = run_cli("init", str(tmp_path / "new"), *args)
    assert result.code == 1
    assert result.err.splitlines() == [expected]
    assert not (tmp_path / "new").exists()


@pytest.mark.sam
def test_sam_validates_and_builds_the_new_repository_with_its_samconfig(tmp_path: Path) -> None:
    # GIVEN a new repository, synthesized: its platform functions come from the package
    target = tmp_path / "shop"
    assert run_cli("init", str(target), "--platform", "shop").code == 0
    assert run_cli("synth", "--env", "dev", project=target).code == 0
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1"}

    def sam(*args: str) -> str:
        done = subprocess.run([SAM, *args], cwd=target, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    # WHEN the SAM CLI runs with the sections init wrote into samconfig.toml, THEN it validates and builds
    assert "build/dev/template.yaml is a valid SAM Template" in sam("validate", "--lint", "--config-env", "dev")
    assert "Build Succeeded" in sam("build", "--config-env", "dev")
    built = sorted(p.parent.name for p in (target / ".aws-sam/dev/ComputeStack").glob("*/app.py"))
    assert built == ["ApiKeyValidatorFunction", "OnboardingFunction", "ReconcilerFunction"]

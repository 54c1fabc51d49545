"""The real SAM CLI on generated templates: `sam validate --lint` and `sam build` (no AWS account)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from synth_cases import CASES, copy_project

from template_gen.pipeline import synthesize

pytestmark = pytest.mark.sam
SAM = str(Path(sys.executable).with_name("sam"))


def sam(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1"}
    return subprocess.run([SAM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(CASES["example"].project, tmp_path_factory.mktemp("sam"))
    for env in CASES["example"].environments:
        synthesize(project, env)
    return project


@pytest.mark.parametrize("env", CASES["example"].environments)
def test_sam_validate_lint_accepts_the_root_template(example: Path, env: str) -> None:
    result = sam("validate", "--lint", "--template-file", f"build/{env}/template.yaml", cwd=example)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"build/{env}/template.yaml is a valid SAM Template" in result.stdout + result.stderr


@pytest.mark.parametrize("env", CASES["example"].environments)
def test_sam_build_builds_every_nested_stack(example: Path, env: str) -> None:
    result = sam("build", "--template-file", f"build/{env}/template.yaml", "--build-dir", f".aws-sam/{env}", cwd=example)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Build Succeeded" in result.stdout
    built = example / ".aws-sam" / env
    nested = sorted(p.parent.name for p in built.glob("*/template.yaml"))
    assert nested == ["NetworkStack"]
    assert "TemplateURL: NetworkStack/template.yaml" in (built / "template.yaml").read_text()

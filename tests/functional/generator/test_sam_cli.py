"""The real SAM CLI on generated templates: `sam validate --lint` and `sam build` (no AWS account)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from synth_cases import CASES, copy_project

from template_gen.pipeline import synthesize

pytestmark = pytest.mark.sam
SAM = str(Path(sys.executable).with_name("sam"))


def sam(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The SAM CLI in `cwd`, in this environment (or `env`), without telemetry, in the tests' Region."""
    env = {**(os.environ if env is None else env), "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1"}
    return subprocess.run([SAM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def build_dev(project: Path, env: dict[str, str]) -> None:
    """`sam build` of the dev environment written into `project`, with the interpreter `env` points to."""
    result = sam(
        "build", "--template-file", "build/dev/template.yaml", "--build-dir", ".aws-sam/dev", cwd=project, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(CASES["example"].project, tmp_path_factory.mktemp("sam"))
    for env in CASES["example"].environments:
        synthesize(project, env).write()
    return project


@pytest.mark.parametrize("env", CASES["example"].environments)
def test_sam_validate_lint_accepts_the_root_template(example: Path, env: str) -> None:
    result = sam("validate", "--lint", "--template-file", f"build/{env}/template.yaml", cwd=example)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"build/{env}/template.yaml is a valid SAM Template" in result.stdout + result.stderr


def test_sam_validate_lint_accepts_the_stages_with_the_key_and_a_locked_log_bucket(tmp_path: Path) -> None:
    """The options that are off in the example: the environment's KMS key and the log bucket's Object Lock."""
    project = copy_project(CASES["example"].project, tmp_path)
    registry = project / "services/registry.yaml"
    security = (
        "  dev:\n    security:\n"
        "      kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n"
        "      log_bucket_versioning: true\n      log_bucket_object_lock_days: 30\n"
    )
    registry.write_text(registry.read_text().replace("  dev:\n", security, 1))
    synthesize(project, "dev").write()
    assert "KmsKeyArn" in (project / "build/dev/compute.yaml").read_text()
    assert "ObjectLockEnabled" in (project / "build/dev/network.yaml").read_text()
    for stage in ("compute.yaml", "network.yaml"):
        result = sam("validate", "--lint", "--template-file", f"build/dev/{stage}", cwd=project)
        assert f"build/dev/{stage} is a valid SAM Template" in result.stdout + result.stderr, result.stderr


@pytest.mark.parametrize("env", CASES["example"].environments)
def test_sam_build_builds_every_nested_stack(example: Path, env: str) -> None:
    result = sam(
        "build", "--template-file", f"build/{env}/template.yaml", "--build-dir", f".aws-sam/{env}", cwd=example
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Build Succeeded" in result.stdout
    built = example / ".aws-sam" / env
    nested = sorted(p.parent.name for p in built.glob("*/template.yaml"))
    assert nested == ["ApiStack", "ApiStageStack", "ComputeStack", "NetworkStack", "ObservabilityStack"]
    root = (built / "template.yaml").read_text()
    assert "TemplateURL: NetworkStack/template.yaml" in root
    assert "TemplateURL: ComputeStack/template.yaml" in root
    assert "TemplateURL: ApiStack/template.yaml" in root
    assert "TemplateURL: ObservabilityStack/template.yaml" in root
    # Every function of the compute stage was built from its code folder.
    functions = {p.name for p in (built / "ComputeStack").iterdir() if p.is_dir()}
    assert functions == {"ApiKeyValidatorFunction", "OnboardingFunction", "PlatformInfoFunction", "ReconcilerFunction"}
    assert (built / "ComputeStack/ApiKeyValidatorFunction/app.py").is_file()
    assert (built / "ComputeStack/ReconcilerFunction/reconciler.py").is_file()  # onboarding's code, other handler
    assert (built / "ComputeStack/PlatformInfoFunction/app.py").is_file()


def _python_for(runtime: str) -> dict[str, str] | None:
    """Environment in which `pythonX.Y` runs, as `sam build` needs for bundled dependencies (None: not here)."""
    version = runtime.removeprefix("python")
    env = {**os.environ}
    probe = subprocess.run([f"python{version}", "--version"], env=env, capture_output=True, check=False)
    if probe.returncode == 0:
        return env
    pyenv = (
        subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False)
        if shutil.which("pyenv")
        else None
    )
    for line in pyenv.stdout.split() if pyenv and pyenv.returncode == 0 else []:
        if line.startswith(version + "."):
            env["PYENV_VERSION"] = f"{line}:system"
            if (
                subprocess.run([f"python{version}", "--version"], env=env, capture_output=True, check=False).returncode
                == 0
            ):
                return env
    return None


def test_sam_build_installs_bundled_powertools(tmp_path: Path) -> None:
    env = _python_for("python3.13")
    if env is None:
        pytest.skip("no python3.13 interpreter to build bundled dependencies with")
    project = copy_project(CASES["example"].project, tmp_path)
    registry = project / "services/registry.yaml"
    registry.write_text(
        registry.read_text().replace(
            "    architecture: x86_64\n", "    architecture: x86_64\n    powertools:\n      source: bundle\n"
        )
    )
    synthesize(project, "dev").write()
    build_dev(project, env)
    built = project / ".aws-sam/dev/ComputeStack/ApiKeyValidatorFunction"
    assert (built / "app.py").is_file()
    assert (built / "aws_lambda_powertools/shared/version.py").read_text().strip().endswith('VERSION = "3.37.0"')


def test_sam_build_installs_the_jwt_authorizers_pinned_dependencies(tmp_path: Path) -> None:
    env = _python_for("python3.13")
    if env is None:
        pytest.skip("no python3.13 interpreter to build bundled dependencies with")
    # The api-routes case uses a JWT authorizer. Without the case's stub, synth builds the packaged function.
    project = copy_project(CASES["api-routes"].project, tmp_path)
    shutil.rmtree(project / "functions/jwt_authorizer")
    synthesize(project, "dev").write()
    build_dev(project, env)
    built = project / ".aws-sam/dev/ComputeStack/JwtAuthorizerPartnersFunction"
    assert (built / "app.py").is_file()
    assert (built / "pyjwt-2.15.1.dist-info").is_dir()
    assert (built / "cryptography-50.0.2.dist-info").is_dir()

"""The platform functions ship with template-gen: a project without functions/ gets the packaged code in its
build, and a project's own functions/<name> replaces the packaged copy of that function."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

from support import PRICING, PROXY_APP, QUOTING, REGISTRY, load, make_project, run_cli

from template_gen import platform_code

REPOSITORY_FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"


def code_files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_a_project_without_functions_builds_the_packaged_platform_functions(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    shutil.rmtree(project / "functions")
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 0, result.err
    for name in platform_code.PLATFORM_FUNCTIONS:
        built = code_files(project / "build/dev/functions" / name)
        assert built == code_files(platform_code.packaged_root() / name)
        assert "app.py" in built
    compute = load(project / "build/dev/compute.yaml")["Resources"]
    assert compute["OnboardingFunction"]["Properties"]["CodeUri"] == "functions/onboarding"


def test_a_jwt_route_builds_the_packaged_jwt_authorizer(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["api"] = {
        "authorizers": {"partners": {"type": "jwt", "issuer": "https://idp.example.com/", "audiences": ["shop"]}}
    }
    quoting = {**copy.deepcopy(QUOTING), "api": {**QUOTING["api"], "routes": [{"path": "/me", "auth": "jwt"}]}}
    project = make_project(tmp_path, registry, {"quoting": quoting, "product-pricing": PRICING})
    shutil.rmtree(project / "functions")
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 0, result.err
    built = code_files(project / "build/dev/functions/jwt_authorizer")
    assert built == code_files(REPOSITORY_FUNCTIONS / "jwt_authorizer")
    assert sorted(built) == ["app.py", "request_arn.py", "requirements.txt", "token_check.py"]
    compute = load(project / "build/dev/compute.yaml")["Resources"]
    assert compute["JwtAuthorizerPartnersFunction"]["Properties"]["CodeUri"] == "functions/jwt_authorizer"


def test_every_platform_function_is_packaged() -> None:
    assert set(platform_code.PLATFORM_FUNCTIONS) < set(platform_code.PACKAGED_FUNCTIONS)
    assert all((REPOSITORY_FUNCTIONS / name / "app.py").is_file() for name in platform_code.PACKAGED_FUNCTIONS)


def test_run_from_its_source_the_package_ships_the_repository_functions() -> None:
    # Installed, the copies are in template_gen/platform_functions (tests/functional/generator/test_package.py checks the wheel).
    assert platform_code.packaged_root() == REPOSITORY_FUNCTIONS


def test_a_project_function_replaces_the_packaged_one(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    shutil.rmtree(project / "functions/api_key_validator")
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    assert code_files(project / "build/dev/functions/onboarding") == {"app.py": PROXY_APP}
    validator = code_files(project / "build/dev/functions/api_key_validator")
    assert validator == code_files(REPOSITORY_FUNCTIONS / "api_key_validator")

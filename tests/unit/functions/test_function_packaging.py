"""Each function folder is deployed alone as a Lambda code root, with Powertools from the public layer."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from template_gen.scaffold.templates import LAMBDA_APP

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = sorted(path for path in (ROOT / "functions").iterdir() if path.is_dir() and path.name != "__pycache__")
# What the python3.13 runtime plus the Powertools layer provide.
PROVIDED = {"boto3", "botocore", "aws_lambda_powertools", "pydantic", "aws_xray_sdk"}
# Functions that bundle packages: requirements.txt line -> the module it provides.
REQUIRED_IMPORTS = {
    "jwt_authorizer": {
        "PyJWT[crypto]==2.15.1": "jwt",
        "cryptography==50.0.2": "cryptography",
        "cffi==2.1.1": "cffi",  # cryptography's own dependencies, pinned too
        "pycparser==3.12": "pycparser",
    }
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_library_has_the_three_platform_functions():
    # Scaffolded Lambda services add folders beside them; the platform's own three must always be there.
    assert {"api_key_validator", "onboarding", "platform_info"} <= {path.name for path in FUNCTIONS}


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda path: path.name)
def test_function_imports_only_the_runtime_the_layer_its_requirements_and_its_own_modules(function: Path):
    siblings = {path.stem for path in function.glob("*.py")}
    required = set(REQUIRED_IMPORTS.get(function.name, {}).values())
    for module in function.glob("*.py"):
        foreign = (
            imported_roots(module) - siblings - PROVIDED - required - set(sys.stdlib_module_names) - {"__future__"}
        )
        assert foreign == set(), f"{module.relative_to(ROOT)} imports {sorted(foreign)}"


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda path: path.name)
def test_function_has_an_app_lambda_handler_and_only_pinned_requirements(function: Path):
    tree = ast.parse((function / "app.py").read_text())
    handlers = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert "lambda_handler" in handlers
    requirements = function / "requirements.txt"
    pins = requirements.read_text().split() if requirements.exists() else []
    # Only the JWT authorizer bundles packages (sam build installs them); each pinned exactly as in the
    # project's constraints, so the tests run the versions that are deployed.
    assert pins == list(REQUIRED_IMPORTS.get(function.name, {}))
    constraints = (ROOT / "constraints.txt").read_text().split()
    for pin in pins:
        assert pin.replace("[crypto]", "") in constraints


def test_function_module_names_do_not_collide_across_functions():
    # Lambda imports siblings as top-level modules; distinct names keep tests and tooling unambiguous.
    names = [path.stem for function in FUNCTIONS for path in function.glob("*.py") if path.stem != "app"]
    assert len(names) == len(set(names)), sorted(names)


def top_level_functions(source: str, names: tuple[str, ...]) -> dict[str, str | None]:
    tree = ast.parse(source)
    found = {node.name: ast.get_source_segment(source, node) for node in tree.body if isinstance(node, ast.FunctionDef)}
    return {name: found.get(name) for name in names}


def test_helpers_repeated_in_every_api_function_and_the_scaffold_are_identical():
    # A function folder cannot import from another, so these few lines are copied into each API function
    # and into the app.py that `new-service` writes; this keeps the copies from drifting apart.
    names = ("cors_config", "strip_prefixes")
    copies = {
        "onboarding": (ROOT / "functions/onboarding/app.py").read_text(),
        "platform_info": (ROOT / "functions/platform_info/app.py").read_text(),
        "scaffold": LAMBDA_APP.safe_substitute(name="example"),
    }
    reference = top_level_functions(copies["platform_info"], names)
    assert None not in reference.values()
    quiet_preflight = 'warnings.filterwarnings("ignore", "No application metrics to publish")'
    assert {where: quiet_preflight in source for where, source in copies.items()} == dict.fromkeys(copies, True)
    assert {where: top_level_functions(source, names) for where, source in copies.items()} == dict.fromkeys(
        copies, reference
    )


def test_the_authorizers_share_one_method_arn_module_copied_verbatim():
    # Both REQUEST authorizers build the policy resource from the method ARN; each folder is its own code root,
    # so the module is copied, and this keeps the two copies the same.
    validator = (ROOT / "functions/api_key_validator/method_arn.py").read_text()
    assert (ROOT / "functions/jwt_authorizer/request_arn.py").read_text() == validator


def test_user_sample_events_match_the_test_events():
    user = {path.name: path.read_text() for path in (ROOT / "events").glob("*.json")}
    tests = {path.name: path.read_text() for path in (ROOT / "tests" / "events").glob("*.json")}
    assert user == tests
    assert len(user) == 10

"""template-gen new-service: the scaffolded service validates and synthesizes at once, the registry keeps
its comments, and a refused or failed run leaves every file as it was."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from onboarding_support import snapshot
from pydantic import BaseModel
from support import PRICING, QUOTING, lint_matches, make_project, run_cli
from synth_cases import CASES, copy_project

from template_gen.errors import Problem, RegistryError
from template_gen.registry.models import EcsService

ROOT = Path(__file__).resolve().parents[3]
ONE_ENV: dict[str, Any] = {
    "platform": "acme",
    "region": "eu-west-1",
    "environments": {"dev": {"network": {"mode": "create", "cidr": "10.20.0.0/16"}, "services": []}},
}

REGISTRY_WITH_COMMENTS = """\
# yaml-language-server: $schema=_schema/registry.schema.json
# The registry, with comments that must survive.
platform: acme
region: eu-west-1

environments:
  dev:
    network: {mode: create, cidr: 10.20.0.0/16}   # small
    services:
      - quoting          # the first service
      - product-pricing

  # production
  prod:
    network:
      mode: create
      cidr: 10.30.0.0/16
    services: [quoting, product-pricing]
"""


def test_new_ecs_service_prints_what_it_did_and_what_comes_next(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = run_cli("new-service", "billing", "--kind", "ecs", project=project)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "wrote services/billing/service.yaml",
        "updated services/registry.yaml (enabled in dev, prod)",
        "billing: kind ecs, base path /billing, auth api_key, port 8080, ALB priority 30",
        "validate and synth pass for dev, prod",
        "next steps:",
        "  1. fill in services/billing/service.yaml (description, owner, sizing, health check)",
        "  2. template-gen synth --env dev && sam build --config-env dev && sam deploy --config-env dev",
        "  3. template-gen publish billing --env dev --tag 0.1.0",
        "  4. template-gen synth --env dev && sam build --config-env dev && sam deploy --config-env dev",
    ]


def test_scaffolded_ecs_service_passes_validate_and_synth_with_every_field_written(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert run_cli("new-service", "billing", "--kind", "ecs", "--port", "9000", project=project).code == 0

    text = (project / "services/billing/service.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../_schema/service.schema.json\n")
    data = yaml.safe_load(text)
    # Every field of every block of the model is written, with the scaffold's choices and the defaults.
    assert missing_fields(EcsService, data) == []
    assert EcsService.model_validate(data) == EcsService.model_validate(
        {
            "kind": "ecs", "name": "billing", "port": 9000, "api": {"base_path": "/billing", "auth": "api_key"},
            "alb": {"priority": 30}, "health_check": {"path": "/billing/health"},
        }
    )  # fmt: skip
    assert (data["port"], data["alb"]["priority"], data["api"]["auth"]) == (9000, 30, "api_key")
    # Every described field carries its description as a comment.
    comments = " ".join(line.strip().removeprefix("# ") for line in text.splitlines() if line.strip().startswith("#"))
    assert " ".join(EcsService.model_fields["platform"].description.split()) in comments  # type: ignore[union-attr]
    assert "Listener rule priority, unique per environment" in comments

    validated = run_cli("validate", project=project)
    assert (validated.code, validated.out.splitlines()) == (
        0,
        [
            "dev: 3 services enabled (3 ecs, 0 lambda), network mode create",
            "prod: 3 services enabled (3 ecs, 0 lambda), network mode create",
            "registry is valid",
        ],
    )
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    compute = yaml.safe_load((project / "build/dev/compute.yaml").read_text())
    rule = compute["Resources"]["BillingListenerRule"]["Properties"]
    assert rule["Priority"] == 30
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/billing", "/billing/*"]
    assert compute["Resources"]["BillingTargetGroup"]["Properties"]["Port"] == 9000
    lint = {p.name: lint_matches(p.read_text()) for p in sorted((project / "build/dev").glob("*.yaml"))}
    assert lint == {name: [] for name in lint} and "compute.yaml" in lint


def missing_fields(model: type[BaseModel], data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the model's fields (and nested blocks' fields) that the file does not have."""
    missing = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in data:
            missing.append(prefix + key)
            continue
        nested = info.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel) and isinstance(data[key], dict):
            missing += missing_fields(nested, data[key], f"{prefix}{key}.")
    return missing


def test_the_registry_keeps_its_comments_and_layout(tmp_path: Path) -> None:
    project = make_project(tmp_path, registry=REGISTRY_WITH_COMMENTS)
    assert run_cli("new-service", "billing", "--kind", "ecs", project=project).code == 0
    assert (project / "services/registry.yaml").read_text() == REGISTRY_WITH_COMMENTS.replace(
        "      - product-pricing\n", "      - product-pricing\n      - billing\n"
    ).replace("services: [quoting, product-pricing]", "services: [quoting, product-pricing, billing]")


def test_env_limits_the_environments_the_service_is_enabled_in(tmp_path: Path) -> None:
    project = make_project(tmp_path, registry=REGISTRY_WITH_COMMENTS)
    result = run_cli("new-service", "billing", "--kind", "ecs", "--env", "dev", project=project)
    assert result.out.splitlines()[1:4] == [
        "updated services/registry.yaml (enabled in dev)",
        "billing: kind ecs, base path /billing, auth api_key, port 8080, ALB priority 30",
        "validate and synth pass for dev",
    ]
    registry = yaml.safe_load((project / "services/registry.yaml").read_text())
    assert registry["environments"]["dev"]["services"] == ["quoting", "product-pricing", "billing"]
    assert registry["environments"]["prod"]["services"] == ["quoting", "product-pricing"]


def test_scaffolding_twice_fails_cleanly_and_changes_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert run_cli("new-service", "billing", "--kind", "ecs", project=project).code == 0
    before = snapshot(project)
    result = run_cli("new-service", "billing", "--kind", "lambda", project=project)
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: services/billing already exists; choose another name or edit services/billing/service.yaml\n",
    )
    assert snapshot(project) == before


def test_an_existing_function_folder_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path, functions={"functions/billing_api": "x = 1\n"})
    before = snapshot(project)
    result = run_cli("new-service", "billing-api", "--kind", "lambda", project=project)
    assert (result.code, result.err) == (
        1,
        "error: functions/billing_api already exists; choose another name or remove the folder\n",
    )
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("Billing", "--kind", "ecs"),
            "'Billing' is not a valid service name: use lowercase letters, digits and single hyphens, starting "
            "with a letter and not ending with a hyphen",
        ),
        (("onboarding", "--kind", "lambda"), "'onboarding' is reserved by the platform; choose another service name"),
        (
            ("billing", "--kind", "ecs", "--env", "staging"),
            "--env staging: no environment named 'staging' (defined: dev, prod)",
        ),
        (
            ("billing", "--kind", "ecs", "--env", "prd"),
            "--env prd: no environment named 'prd' (defined: dev, prod); did you mean 'prod'?",
        ),
        (
            ("billing", "--kind", "ecs", "--path", "/quoting/billing"),
            "--path /quoting/billing: '/quoting/billing' overlaps '/quoting/*' of services/quoting/service.yaml "
            "(both match '/quoting/billing'); choose a path no other service uses",
        ),
        (("billing", "--kind", "ecs", "--port", "70000"), "--port 70000: must be between 1 and 65535"),
        (
            ("billing", "--kind", "lambda", "--port", "8080"),
            "--port applies to --kind ecs only (a Lambda service has no container port)",
        ),
    ],
)
def test_bad_input_is_refused_with_an_exact_message_and_nothing_written(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    project = make_project(tmp_path)
    before = snapshot(project)
    result = run_cli("new-service", *args, project=project)
    assert (result.code, result.out, result.err) == (1, "", f"error: {message}\n")
    assert snapshot(project) == before


def test_a_name_that_collides_as_a_logical_id_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path, services={"quoting-2": QUOTING}, registry=ONE_ENV)
    result = run_cli("new-service", "quoting2", "--kind", "ecs", project=project)
    assert (result.code, result.err) == (
        1,
        "error: 'quoting2' and 'quoting-2' both become the logical ID 'Quoting2'; choose another service name\n",
    )


def test_a_failed_check_rolls_every_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, registry=REGISTRY_WITH_COMMENTS)
    before = snapshot(project)

    def fail(*args: object, **kwargs: object) -> None:
        raise RegistryError([Problem("build/dev/compute.yaml", "", "500 resources per template exceeded")])

    monkeypatch.setattr("template_gen.scaffold.pipeline.synthesize", fail)
    result = run_cli("new-service", "billing-fn", "--kind", "lambda", project=project)
    assert (result.code, result.err) == (
        1,
        "build/dev/compute.yaml: 500 resources per template exceeded\nerror: 1 problem found; nothing was written\n",
    )
    assert snapshot(project) == before
    assert not (project / "functions/billing_fn").exists()
    assert not (project / "tests").exists()


def test_a_check_that_fails_in_one_environment_leaves_the_placement_files_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a project whose dev placement is committed
    project = make_project(tmp_path, registry=REGISTRY_WITH_COMMENTS)
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    before = snapshot(project / "services")
    assert "environments/dev.placement.json" in before
    # WHEN the new service's check passes in dev and fails in prod
    from template_gen import pipeline

    real = pipeline.check_quotas

    def fail_in_prod(env_name: str, build: pipeline.Build) -> None:
        if env_name == "prod":
            raise RegistryError([Problem("build/prod/compute.yaml", "", "500 resources per template exceeded")])
        real(env_name, build)

    monkeypatch.setattr(pipeline, "check_quotas", fail_in_prod)
    result = run_cli("new-service", "billing", "--kind", "ecs", project=project)
    # THEN nothing was written, the placement files included
    assert (result.code, result.err) == (
        1,
        "build/prod/compute.yaml: 500 resources per template exceeded\nerror: 1 problem found; nothing was written\n",
    )
    assert snapshot(project / "services") == before


def test_a_passing_check_writes_no_placement_either(tmp_path: Path) -> None:
    project = make_project(tmp_path, registry=REGISTRY_WITH_COMMENTS)
    result = run_cli("new-service", "billing", "--kind", "ecs", project=project)
    assert result.code == 0
    assert not (project / "services/environments").exists()
    assert not (project / "build").exists()


def test_a_broken_registry_is_reported_before_anything_is_written(tmp_path: Path) -> None:
    project = make_project(tmp_path, services={"quoting": {"kind": "ecs"}, "product-pricing": PRICING})
    before = snapshot(project)
    result = run_cli("new-service", "billing", "--kind", "ecs", project=project)
    assert (result.code, result.err) == (
        1,
        # api and alb are optional: without them a service is internal (reached through Service Connect).
        "services/quoting/service.yaml: port: required field is missing\nerror: 1 problem found; nothing was written\n",
    )
    assert snapshot(project) == before


def test_a_service_enabled_before_it_was_defined_can_be_scaffolded(tmp_path: Path) -> None:
    # The registry names 'product-pricing', whose folder does not exist yet: validation suggests new-service.
    project = make_project(tmp_path, services={"quoting": QUOTING})
    result = run_cli("new-service", "product-pricing", "--kind", "ecs", project=project)
    assert result.code == 0, result.err
    assert result.out.splitlines()[:4] == [
        "wrote services/product-pricing/service.yaml",
        "services/registry.yaml already enabled it in dev, prod",
        "product-pricing: kind ecs, base path /product-pricing, auth api_key, port 8080, ALB priority 20",
        "validate and synth pass for dev, prod",
    ]


def test_auth_follows_the_mode_the_public_api_already_uses(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path)  # quoting and product-pricing use the authorizer
    result = run_cli("new-service", "billing", "--kind", "ecs", project=project)
    assert (
        result.out.splitlines()[2]
        == "billing: kind ecs, base path /billing, auth authorizer, port 8080, ALB priority 30"
    )


def test_the_first_keyed_service_uses_the_authorizer_unless_an_environment_disables_it(tmp_path: Path) -> None:
    registry = copy.deepcopy(ONE_ENV)
    registry["environments"]["prod"] = {
        "network": {"mode": "create", "cidr": "10.30.0.0/16"},
        "platform_functions": {"api_key_validator": {"enabled": False}},
    }
    project = make_project(tmp_path, registry=registry, services={})
    dev_only = run_cli("new-service", "ledger", "--kind", "ecs", "--env", "dev", project=project)
    assert (
        dev_only.out.splitlines()[2]
        == "ledger: kind ecs, base path /ledger, auth authorizer, port 8080, ALB priority 10"
    )
    shutil.rmtree(project)
    project = make_project(tmp_path, registry=registry, services={})
    both = run_cli("new-service", "ledger", "--kind", "ecs", project=project)
    assert both.out.splitlines()[2] == "ledger: kind ecs, base path /ledger, auth api_key, port 8080, ALB priority 10"
    # The change from the platform's default is said, never silent.
    assert (
        "note: api.auth is api_key, not authorizer: the platform's API key validator is disabled in environment "
        "'prod' (enable platform_functions.api_key_validator there to use it)"
    ) in both.out.splitlines() + both.err.splitlines()


def test_new_lambda_service_gets_code_and_a_test_that_pass_at_once(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    # The repository's own test fixtures, as a real project has them.
    (project / "tests/functional/functions").mkdir(parents=True)
    shutil.copy(ROOT / "tests/conftest.py", project / "tests/conftest.py")
    for helper in ("conftest.py", "admin_support.py"):  # the functions' conftest and the module it imports
        shutil.copy(ROOT / "tests/functional/functions" / helper, project / "tests/functional/functions" / helper)

    result = run_cli("new-service", "billing-api", "--kind", "lambda", "--path", "/billing", project=project)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "wrote services/billing-api/service.yaml",
        "wrote functions/billing_api/app.py",
        "wrote tests/functional/functions/test_billing_api.py",
        "updated services/registry.yaml (enabled in dev, prod)",
        "billing-api: kind lambda, base path /billing, auth api_key",
        "validate and synth pass for dev, prod",
        "next steps:",
        "  1. fill in services/billing-api/service.yaml and write the routes in functions/billing_api/app.py",
        "  2. pytest tests/functional/functions/test_billing_api.py",
        "  3. template-gen synth --env dev && sam build --config-env dev && sam deploy --config-env dev",
    ]
    service = yaml.safe_load((project / "services/billing-api/service.yaml").read_text())
    assert service["kind"] == "lambda"
    assert service["api"] == {
        "base_path": "/billing",
        "exposure": "public",
        "routes": [],
        "auth": "api_key",
        "timeout_ms": 29000,
    }
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    compute = yaml.safe_load((project / "build/dev/compute.yaml").read_text())
    function = compute["Resources"]["BillingApiFunction"]["Properties"]
    assert (function["Handler"], function["Environment"]["Variables"]["SERVICE_BASE_PATH"]) == (
        "app.lambda_handler",
        "/billing",
    )

    lint = {p.name: lint_matches(p.read_text()) for p in sorted((project / "build/dev").glob("*.yaml"))}
    assert lint == {name: [] for name in lint} and "compute.yaml" in lint

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(project),
         "tests/functional/functions/test_billing_api.py"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert tests.stdout.splitlines()[-1].startswith("3 passed")

    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--line-length", "120",
         "--select", "E,F,W,I,B,UP,SIM,RUF", "functions/billing_api", "tests/functional/functions/test_billing_api.py"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (lint.returncode, lint.stdout) == (0, "All checks passed!\n")


def test_an_environment_whose_lookup_is_not_cached_is_left_to_synth(tmp_path: Path) -> None:
    project = copy_project(CASES["lookup-networks"].project, tmp_path)
    (project / "services/environments/stage.lookup.json").unlink()
    result = run_cli("new-service", "billing", "--kind", "ecs", project=project)
    assert result.code == 0, result.err
    assert result.err == (
        "note: stage: not synthesized as a check, its network lookup is not cached; run `template-gen synth "
        "--env stage` with AWS credentials\n"
    )
    assert "validate and synth pass for sandbox" in result.out.splitlines()
    assert (project / "services/registry.yaml").read_text().count("services: [quoting, billing]") == 2

"""Helpers for tests: throwaway projects, the CLI with captured output, cfn-lint."""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cfnlint.api import ManualArgs, lint

from template_gen.cli import main
from template_gen.console import Console

REGION = "eu-west-1"

REGISTRY: dict[str, Any] = {
    "version": 1,
    "platform": "acme",
    "region": REGION,
    "environments": {
        "dev": {
            "network": {"mode": "create", "cidr": "10.20.0.0/16", "az_count": 2},
            "services": ["quoting", "product-pricing"],
        },
        "prod": {
            "network": {"mode": "create", "cidr": "10.30.0.0/16", "az_count": 3, "nat_gateways": "per-az"},
            "services": ["quoting", "product-pricing"],
        },
    },
}

QUOTING: dict[str, Any] = {
    "kind": "ecs",
    "port": 8080,
    "cpu": 256,
    "memory": 512,
    "api": {"base_path": "/quoting"},
    "alb": {"priority": 10},
}

PRICING: dict[str, Any] = {
    "kind": "ecs",
    "port": 8080,
    "api": {"base_path": "/product-pricing"},
    "alb": {"priority": 20},
}

PROXY_APP = """def lambda_handler(event, context):
    return {"statusCode": 200, "body": "{}"}
"""


def write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def make_project(
    root: Path,
    registry: dict[str, Any] | str | None = None,
    services: dict[str, Any] | None = None,
    functions: dict[str, str] | None = None,
) -> Path:
    """A project folder with a registry, service files and Lambda code folders."""
    write_yaml(root / "services" / "registry.yaml", copy.deepcopy(REGISTRY) if registry is None else registry)
    services = {"quoting": QUOTING, "product-pricing": PRICING} if services is None else services
    for name, data in services.items():
        write_yaml(root / "services" / name / "service.yaml", copy.deepcopy(data))
    functions = {"functions/api_key_validator": PROXY_APP, "functions/onboarding": PROXY_APP, **(functions or {})}
    for folder, code in functions.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "app.py").write_text(code, encoding="utf-8")
    return root


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, project: Path | None = None) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    argv = (["--project-dir", str(project)] if project else []) + list(args)
    code = main(argv, Console(out, err))
    return CliResult(code, out.getvalue(), err.getvalue())


def synth_linted(project: Path, out: Path, env: str = "dev") -> tuple[dict[str, Any], str]:
    """Synthesize `env` of `project` into `out`, check every template with cfn-lint (no match), and return
    the templates parsed, by file name, and the command's stderr."""
    result = run_cli("synth", "--env", env, "--out", str(out), project=project)
    assert result.code == 0, result.err
    templates = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.yaml")}
    for name, text in templates.items():
        assert lint_matches(text) == [], name
    return {name: yaml.safe_load(text) for name, text in templates.items()}, result.err


def with_summary(expected: list[str]) -> list[str]:
    """The stderr lines of a failed `validate`: the problems (and their hints), then the count."""
    problems = sum(1 for line in expected if not line.startswith("    hint:"))
    return [*expected, f"error: {problems} {'problem' if problems == 1 else 'problems'} found"]


def lint_matches(text: str, region: str = REGION) -> list[str]:
    """cfn-lint (library API, errors and warnings) over one template: the matches as readable strings."""
    matches = lint(text, config=ManualArgs(regions=[region]))
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches]


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def resources_of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template.get("Resources", {}).items() if r["Type"] == type_}

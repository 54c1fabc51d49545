"""template-gen reconcile: invokes the environment's reconciler function and prints its report. The
Lambda client is stubbed with botocore's Stubber; nothing reaches AWS."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.response import StreamingBody
from botocore.stub import Stubber
from support import run_cli
from synth_cases import CASES, copy_project

from template_gen.commands.reconcile import do_reconcile
from template_gen.errors import AwsError, UsageError

FUNCTION = "acme-dev-reconciler"
ORPHAN = {
    "kind": "orphan_key",
    "consumer_id": "c-0123456789abcdef0123456789abcdef",
    "api_key_id": "x1y2z3w4v5",
    "detail": "API key x1y2z3w4v5 (c-0123456789abcdef0123456789abcdef) belongs to no consumer",
    "fixed": False,
    "error": None,
}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return copy_project(CASES["example"].project, tmp_path / "project")


def payload(body: Any) -> StreamingBody:
    data = json.dumps(body).encode()
    return StreamingBody(io.BytesIO(data), len(data))


def stubbed(fix: bool, response: dict[str, Any]) -> tuple[Any, Stubber]:
    client = boto3.client("lambda", region_name="eu-west-1")
    stubber = Stubber(client)
    expected = {
        "FunctionName": FUNCTION,
        "InvocationType": "RequestResponse",
        "Payload": json.dumps({"fix": fix}).encode(),
    }
    stubber.add_response("invoke", response, expected)
    stubber.activate()
    return client, stubber


def report(findings: list[dict[str, Any]], fix: bool) -> dict[str, Any]:
    left = sum(1 for finding in findings if not finding["fixed"])
    return {"fix": fix, "consumers": 3, "api_keys": 4, "in_flight": 0, "findings": findings, "left": left}


def test_reconcile_invokes_the_environments_reconciler_report_only(project: Path) -> None:
    client, stubber = stubbed(False, {"StatusCode": 200, "Payload": payload(report([ORPHAN], False))})
    regions: list[tuple[str, str | None]] = []

    def factory(region: str, profile: str | None) -> Any:
        regions.append((region, profile))
        return client

    target, result = do_reconcile(project, "dev", client_factory=factory)

    stubber.assert_no_pending_responses()
    assert (target.function_name, regions, result["left"], result["findings"]) == (
        FUNCTION,
        [("eu-west-1", None)],
        1,
        [ORPHAN],
    )


def test_reconcile_cli_prints_the_findings_and_exits_1_while_some_are_left(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = stubbed(False, {"StatusCode": 200, "Payload": payload(report([ORPHAN], False))})
    monkeypatch.setattr("template_gen.reconcile.lambda_client", lambda region, profile: client)

    result = run_cli("reconcile", "--env", "dev", project=project)

    assert (result.code, result.out.splitlines()) == (
        1,
        [
            f"{FUNCTION}: 3 consumers, 4 consumer API keys",
            "  orphan_key         c-0123456789abcdef0123456789abcdef API key x1y2z3w4v5 "
            "(c-0123456789abcdef0123456789abcdef) belongs to no consumer [left]",
        ],
    )
    assert "1 finding left; run again with --fix to remove what is safe to remove" in result.err


def test_reconcile_cli_with_fix_exits_0_when_everything_was_fixed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = stubbed(True, {"StatusCode": 200, "Payload": payload(report([ORPHAN | {"fixed": True}], True))})
    monkeypatch.setattr("template_gen.reconcile.lambda_client", lambda region, profile: client)

    result = run_cli("reconcile", "--env", "dev", "--fix", project=project)

    stubber.assert_no_pending_responses()
    assert (result.code, result.out.splitlines()[-1].endswith("belongs to no consumer [fixed]")) == (0, True)


def test_reconcile_reports_a_function_error(project: Path) -> None:
    error = {"errorType": "KeyError", "errorMessage": "'CONSUMERS_TABLE_NAME'"}
    client, _ = stubbed(False, {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": payload(error)})

    with pytest.raises(AwsError) as raised:
        do_reconcile(project, "dev", client_factory=lambda region, profile: client)

    assert str(raised.value) == f"{FUNCTION} failed: KeyError: 'CONSUMERS_TABLE_NAME'; see its log group for the trace"


def test_reconcile_says_when_the_function_is_not_deployed(project: Path) -> None:
    client = boto3.client("lambda", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_client_error(
        "invoke",
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION}",
    )
    stubber.activate()

    with pytest.raises(AwsError) as raised:
        do_reconcile(project, "dev", client_factory=lambda region, profile: client)

    assert str(raised.value) == (
        f"invoking {FUNCTION} failed: ResourceNotFoundException: Function not found: "
        f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION} (is the environment deployed? `sam deploy --config-env ...`)"
    )


def test_reconcile_refuses_an_unknown_environment(project: Path) -> None:
    with pytest.raises(UsageError) as raised:
        do_reconcile(project, "qa", client_factory=lambda region, profile: pytest.fail("no AWS call expected"))
    assert str(raised.value).startswith("--env qa: no environment named 'qa' (defined: dev, prod)")


def test_reconcile_refuses_an_environment_without_the_admin_api(project: Path) -> None:
    registry = project / "services" / "registry.yaml"
    data = yaml.safe_load(registry.read_text())
    data["environments"]["dev"].setdefault("platform_functions", {})["onboarding"] = {"enabled": False}
    registry.write_text(yaml.safe_dump(data, sort_keys=False))

    with pytest.raises(UsageError) as raised:
        do_reconcile(project, "dev", client_factory=lambda region, profile: pytest.fail("no AWS call expected"))

    assert str(raised.value) == (
        "--env dev: the consumer admin API is disabled there "
        "(environments.dev.platform_functions.onboarding.enabled: false), so there is no reconciler"
    )


def test_reconcile_takes_region_and_profile_from_samconfig(project: Path) -> None:
    shutil.copy(CASES["example"].project / "samconfig.toml", project / "samconfig.toml")
    text = (project / "samconfig.toml").read_text()
    (project / "samconfig.toml").write_text(
        text.replace("[dev.global.parameters]\n", '[dev.global.parameters]\nprofile = "acme-dev-admin"\n', 1).replace(
            'region = "eu-west-1"', 'region = "eu-central-1"', 1
        )
    )
    client, _ = stubbed(False, {"StatusCode": 200, "Payload": payload(report([], False))})
    seen: list[tuple[str, str | None]] = []

    def factory(region: str, profile: str | None) -> Any:
        seen.append((region, profile))
        return client

    do_reconcile(project, "dev", client_factory=factory)

    assert seen == [("eu-central-1", "acme-dev-admin")]

"""`template-gen diff` refuses a change that loses data: exit 4, the exact refusal, one case per stateful
type; --allow-data-loss lets the named resource through and nothing else; a renamed service keeps its
retained repository (kept and orphaned) and loses its log group (refused)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from diff_cases import deployed_then_changed, replace_pricing_with_billing
from support import run_cli

from template_gen.guard import STATEFUL

Edit = Callable[[dict[str, Any]], None]
IN_COMPUTE = "in compute.yaml (ComputeStack)"
KEPT_OLD = "; the old one is kept by its UpdateReplacePolicy, orphaned, and the new one starts empty"


def deployed_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file: str, edit: Edit) -> Path:
    """GIVEN the project deployed as it is now, with one edit to what was deployed (so the diff from it to
    the registry is the change under test)."""
    project = deployed_then_changed(tmp_path, monkeypatch, lambda _project: None)
    path = tmp_path / "deployed" / file
    template = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(template["Resources"])
    path.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    return project


def set_property(lid: str, name: str, value: Any) -> Edit:
    def edit(resources: dict[str, Any]) -> None:
        resources[lid]["Properties"][name] = value

    return edit


def old_key_schema(resources: dict[str, Any]) -> None:
    props = resources["ConsumersTable"]["Properties"]
    props["AttributeDefinitions"] = [{"AttributeName": "id", "AttributeType": "S"}]
    props["KeySchema"] = [{"AttributeName": "id", "KeyType": "HASH"}]


def deployed_resource(type_: str, **properties: Any) -> Edit:
    """The deployed stack had a resource the registry no longer makes: the diff deletes it."""

    def edit(resources: dict[str, Any]) -> None:
        resources["Data"] = {"Type": type_, "Properties": properties}

    return edit


# (type, file, edit of the deployed build, logical id, what the refusal says happens, kept-old note)
CASES: list[tuple[str, str, Edit, str, str, str]] = [
    (
        "AWS::Logs::LogGroup",
        "compute.yaml",
        set_property("QuotingLogGroup", "LogGroupName", "/acme/dev/ecs/quotes"),
        "QuotingLogGroup",
        "replaced, because of LogGroupName",
        "",
    ),
    (
        "AWS::ECR::Repository",
        "compute.yaml",
        set_property("QuotingRepository", "RepositoryName", "acme/dev/quotes"),
        "QuotingRepository",
        "replaced, because of RepositoryName",
        KEPT_OLD,
    ),
    (
        "AWS::DynamoDB::Table",
        "compute.yaml",
        old_key_schema,
        "ConsumersTable",
        "may be replaced, because of KeySchema[0].AttributeName",
        KEPT_OLD,
    ),
    (
        "AWS::S3::Bucket",
        "network.yaml",
        set_property("AccessLogBucket", "BucketName", "acme-dev-alb-logs"),
        "AccessLogBucket",
        "replaced, because of BucketName",
        KEPT_OLD,
    ),
    *[
        (
            type_,
            "compute.yaml",
            deployed_resource(type_, **props),
            "Data",
            "deleted (it is no longer in the template)",
            "",
        )
        for type_, props in [
            ("AWS::Serverless::SimpleTable", {"TableName": "acme-dev-simple"}),
            ("AWS::ServiceDiscovery::HttpNamespace", {"Name": "acme-dev"}),
            ("AWS::ServiceDiscovery::PrivateDnsNamespace", {"Name": "acme.internal", "Vpc": "vpc-0a1b2c3d"}),
            ("AWS::SecretsManager::Secret", {"Name": "acme/dev/db"}),
            ("AWS::EFS::FileSystem", {"Encrypted": True}),
            ("AWS::SQS::Queue", {"QueueName": "acme-dev-jobs"}),
        ]
    ],
]


def test_every_stateful_type_has_a_case() -> None:
    assert sorted(case[0] for case in CASES) == sorted(STATEFUL)


@pytest.mark.parametrize(("type_", "file", "edit", "lid", "change", "kept"), CASES, ids=[c[0] for c in CASES])
def test_a_change_that_loses_data_is_refused_with_exit_4(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    type_: str,
    file: str,
    edit: Edit,
    lid: str,
    change: str,
    kept: str,
) -> None:
    project = deployed_with(tmp_path, monkeypatch, file, edit)
    stack = IN_COMPUTE if file == "compute.yaml" else "in network.yaml (NetworkStack)"
    result = run_cli("diff", "--env", "dev", "--against", "deployed", project=project)
    assert result.code == 4
    assert result.out.splitlines()[-4:] == [
        "",
        f"refused: {lid} ({type_}) {stack}: {change}",
        f"    data at risk: {STATEFUL[type_].data}{kept}",
        f"    to accept the loss: --allow-data-loss {lid}",
    ]
    assert result.err.splitlines() == [
        f"error: 1 change would lose data; to accept the loss, pass --allow-data-loss {lid}"
    ]
    allowed = run_cli("diff", "--env", "dev", "--against", "deployed", "--allow-data-loss", lid, project=project)
    assert (allowed.code, allowed.err) == (0, "")
    assert allowed.out.splitlines()[-4:] == [
        "",
        f"allowed: {lid} ({type_}) {stack}: {change}",
        f"    data at risk: {STATEFUL[type_].data}{kept}",
        f"    allowed by --allow-data-loss {lid}",
    ]


def two_losses(resources: dict[str, Any]) -> None:
    set_property("QuotingLogGroup", "LogGroupName", "/acme/dev/ecs/quotes")(resources)
    old_key_schema(resources)


def test_allow_data_loss_lets_exactly_that_resource_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = deployed_with(tmp_path, monkeypatch, "compute.yaml", two_losses)
    diff = ("diff", "--env", "dev", "--against", "deployed", "--exit-code")
    result = run_cli(*diff, "--allow-data-loss", "QuotingLogGroup", "--format", "json", project=project)
    assert result.code == 4  # it wins over 3 (changes)
    data_loss = json.loads(result.out)["data_loss"]
    assert [(r["logical_id"], r["change"]) for r in data_loss["refused"]] == [("ConsumersTable", "may replace")]
    assert [(r["logical_id"], r["change"]) for r in data_loss["allowed"]] == [("QuotingLogGroup", "replace")]
    assert data_loss["refused"][0] == {
        "stack": "ComputeStack",
        "logical_id": "ConsumersTable",
        "type": "AWS::DynamoDB::Table",
        "change": "may replace",
        "cause": "KeySchema[0].AttributeName",
        "data": STATEFUL["AWS::DynamoDB::Table"].data,
        "old_kept": True,
        "message": f"ConsumersTable (AWS::DynamoDB::Table) {IN_COMPUTE}: may be replaced, because of "
        "KeySchema[0].AttributeName",
    }
    both = run_cli(
        *diff, "--allow-data-loss", "QuotingLogGroup", "--allow-data-loss", "ConsumersTable", project=project
    )
    assert (both.code, both.err) == (3, "")


def test_an_allow_that_names_nothing_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = deployed_then_changed(tmp_path, monkeypatch, lambda _project: None)
    result = run_cli(
        "diff", "--env", "dev", "--against", "deployed", "--allow-data-loss", "QuotingLogGrup", project=project
    )
    assert result.code == 0
    assert result.err.splitlines() == [
        "warning: --allow-data-loss QuotingLogGrup: no change here would lose the data of QuotingLogGrup"
    ]


def test_replacing_a_service_loses_its_logs_and_orphans_its_retained_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = deployed_then_changed(tmp_path, monkeypatch, replace_pricing_with_billing)
    result = run_cli("diff", "--env", "dev", "--against", "deployed", project=project)
    assert result.code == 4
    out = result.out.splitlines()
    # 22 = what each service has: 10 compute resources (its security group and ALB ingress rule among them),
    # 4 API resources and methods, the API deployment, 7 alarms (Service Connect 5xx among them); 8 = 4 outputs each.
    assert out[out.index("22 to add, 11 to change, 22 to remove; 4 parameters and 8 outputs changed") + 1 :] == [
        "",
        f"refused: ProductPricingLogGroup (AWS::Logs::LogGroup) {IN_COMPUTE}: deleted (it is no longer in the template)",
        "    data at risk: every log event in the group",
        "    to accept the loss: --allow-data-loss ProductPricingLogGroup",
        f"kept: ProductPricingRepository (AWS::ECR::Repository) {IN_COMPUTE}: removed from the stack but kept by "
        "its DeletionPolicy, so it is orphaned, not lost",
        "    still there: every image pushed to the repository",
        "    to adopt it again: put it back in the template with DeletionPolicy Retain and import it with a change "
        'set of type IMPORT, --resources-to-import \'[{"ResourceType": "AWS::ECR::Repository", "LogicalResourceId": '
        '"ProductPricingRepository", "ResourceIdentifier": {"RepositoryName": "<its RepositoryName>"}}]\' '
        "(docs/deploying.md)",
    ]

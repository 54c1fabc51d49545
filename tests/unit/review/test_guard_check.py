"""The data-loss guard on the diff engine's own reports: one replacement per stateful type, refused with
its exact message; --allow-data-loss lets exactly the resource it names through; Retain keeps; moves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from template_gen.guard import STATEFUL, assess, check
from template_gen.guard.adopt import primary_identifier
from template_gen.guard.check import refusal_summary, text_lines, unmatched_warnings
from template_gen.review.diff import diff_builds
from template_gen.review.model import StackChanges
from template_gen.review.templates import Build, StackTemplate

REGION = "eu-west-1"
ROOT_RESOURCES = {
    "ComputeStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "compute.yaml"}},
    "ComputeStack2": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "compute-2.yaml"}},
}


def build(compute: dict[str, Any], compute_2: dict[str, Any] | None = None) -> Build:
    root = {"Resources": ROOT_RESOURCES if compute_2 is not None else dict(list(ROOT_RESOURCES.items())[:1])}
    stacks = [
        StackTemplate("", "template.yaml", root),
        StackTemplate("ComputeStack", "compute.yaml", {"Resources": compute}),
    ]
    if compute_2 is not None:
        stacks.append(StackTemplate("ComputeStack2", "compute-2.yaml", {"Resources": compute_2}))
    return Build(tuple(stacks))


def changes(old: Build, new: Build) -> tuple[StackChanges, ...]:
    stacks, _warnings = diff_builds(old, new, REGION)
    return stacks


def resource(type_: str, **properties: Any) -> dict[str, Any]:
    return {"Type": type_, "Properties": properties}


# One create-only edit per stateful type: (type, old properties, new properties, what the refusal names).
REPLACEMENTS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "AWS::DynamoDB::Table",
        {"TableName": "acme-dev-consumers", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]},
        {"TableName": "acme-dev-consumers", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]},
        "may be replaced, because of KeySchema[0].AttributeName",
    ),
    (
        "AWS::Serverless::SimpleTable",
        {"TableName": "acme-dev-a"},
        {"TableName": "acme-dev-b"},
        "replaced, because of TableName",
    ),
    (
        "AWS::S3::Bucket",
        {"BucketName": "acme-dev-logs"},
        {"BucketName": "acme-dev-alb-logs"},
        "replaced, because of BucketName",
    ),
    (
        "AWS::ECR::Repository",
        {"RepositoryName": "acme/dev/quoting"},
        {"RepositoryName": "acme/dev/quotes"},
        "replaced, because of RepositoryName",
    ),
    (
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/acme/dev/ecs/quoting"},
        {"LogGroupName": "/acme/dev/ecs/quotes"},
        "replaced, because of LogGroupName",
    ),
    ("AWS::ServiceDiscovery::HttpNamespace", {"Name": "acme-dev"}, {"Name": "acme-dev-2"}, "replaced, because of Name"),
    (
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        {"Name": "acme.internal", "Vpc": "vpc-0a1b2c3d"},
        {"Name": "acme.local", "Vpc": "vpc-0a1b2c3d"},
        "replaced, because of Name",
    ),
    (
        "AWS::SecretsManager::Secret",
        {"Name": "acme/dev/db"},
        {"Name": "acme/dev/database"},
        "replaced, because of Name",
    ),
    ("AWS::EFS::FileSystem", {"Encrypted": False}, {"Encrypted": True}, "replaced, because of Encrypted"),
    (
        "AWS::SQS::Queue",
        {"QueueName": "acme-dev-jobs"},
        {"QueueName": "acme-dev-work"},
        "replaced, because of QueueName",
    ),
]


def test_every_stateful_type_has_a_replacement_case() -> None:
    assert sorted(t for t, *_ in REPLACEMENTS) == sorted(STATEFUL)


@pytest.mark.parametrize(("type_", "before", "after", "cause"), REPLACEMENTS, ids=[r[0] for r in REPLACEMENTS])
def test_a_replacement_of_each_stateful_type_is_refused_with_what_is_lost(
    type_: str, before: dict[str, Any], after: dict[str, Any], cause: str
) -> None:
    old, new = build({"Data": resource(type_, **before)}), build({"Data": resource(type_, **after)})
    refusals = check(changes(old, new))
    assert [r.lines() for r in refusals] == [
        [
            f"Data ({type_}) in compute.yaml (ComputeStack): {cause}",
            f"    data at risk: {STATEFUL[type_].data}",
            "    to accept the loss: --allow-data-loss Data",
        ]
    ]


def test_a_kept_old_table_is_said_but_the_replacement_is_still_refused() -> None:
    table = {"Type": "AWS::DynamoDB::Table", "UpdateReplacePolicy": "Retain", "DeletionPolicy": "Retain"}
    old = build({"ConsumersTable": table | {"Properties": {"TableName": "a"}}})
    new = build({"ConsumersTable": table | {"Properties": {"TableName": "b"}}})
    (refusal,) = check(changes(old, new))
    assert refusal.lines()[1] == (
        "    data at risk: every item in the table (the consumers table: the consumers and their API key hashes); "
        "the old one is kept by its UpdateReplacePolicy, orphaned, and the new one starts empty"
    )


def test_allow_data_loss_lets_exactly_the_named_resource_through() -> None:
    old = build(
        {
            "QuotingLogGroup": resource("AWS::Logs::LogGroup", LogGroupName="/a"),
            "JobsQueue": resource("AWS::SQS::Queue", QueueName="a"),
        }
    )
    new = build(
        {
            "QuotingLogGroup": resource("AWS::Logs::LogGroup", LogGroupName="/b"),
            "JobsQueue": resource("AWS::SQS::Queue", QueueName="b"),
        }
    )
    verdict = assess(changes(old, new), ["QuotingLogGroup", "NotThere"])
    assert [r.logical_id for r in verdict.refused] == ["JobsQueue"]
    assert [r.logical_id for r in verdict.allowed] == ["QuotingLogGroup"]
    assert verdict.exempt() == {"ComputeStack": ("QuotingLogGroup",)}
    assert unmatched_warnings(verdict) == ["--allow-data-loss NotThere: no change here would lose the data of NotThere"]
    assert refusal_summary(verdict) == "1 change would lose data; to accept the loss, pass --allow-data-loss JobsQueue"
    assert text_lines(verdict) == [
        "",
        "refused: JobsQueue (AWS::SQS::Queue) in compute.yaml (ComputeStack): replaced, because of QueueName",
        "    data at risk: the messages in flight (sent and not yet processed)",
        "    to accept the loss: --allow-data-loss JobsQueue",
        "allowed: QuotingLogGroup (AWS::Logs::LogGroup) in compute.yaml (ComputeStack): replaced, because of LogGroupName",
        "    data at risk: every log event in the group",
        "    allowed by --allow-data-loss QuotingLogGroup",
    ]
    assert check(changes(old, new), ["QuotingLogGroup", "JobsQueue"]) == []


@pytest.mark.parametrize("policy", ["Retain", "RetainExceptOnCreate"])
def test_a_deletion_the_deletion_policy_keeps_is_reported_as_kept_and_orphaned(policy: str) -> None:
    repo = {"Type": "AWS::ECR::Repository", "DeletionPolicy": policy, "Properties": {"RepositoryName": "acme/dev/x"}}
    verdict = assess(changes(build({"XRepository": repo}), build({})))
    assert verdict.refused == ()
    (kept,) = verdict.kept
    assert kept.lines() == [
        "XRepository (AWS::ECR::Repository) in compute.yaml (ComputeStack): removed from the stack but kept by its "
        "DeletionPolicy, so it is orphaned, not lost",
        "    still there: every image pushed to the repository",
        "    to adopt it again: put it back in the template with DeletionPolicy Retain and import it with a change "
        'set of type IMPORT, --resources-to-import \'[{"ResourceType": "AWS::ECR::Repository", "LogicalResourceId": '
        '"XRepository", "ResourceIdentifier": {"RepositoryName": "<its RepositoryName>"}}]\' (docs/deploying.md)',
    ]
    assert verdict.exempt() == {"ComputeStack": ("XRepository",)}


def test_a_deletion_without_a_retaining_policy_is_refused() -> None:
    (refusal,) = check(changes(build({"Old": resource("AWS::Logs::LogGroup")}), build({})))
    assert refusal.headline() == (
        "Old (AWS::Logs::LogGroup) in compute.yaml (ComputeStack): deleted (it is no longer in the template)"
    )


def test_a_move_between_stacks_is_refused_even_when_retained() -> None:
    repo = {"Type": "AWS::ECR::Repository", "DeletionPolicy": "Retain", "Properties": {"RepositoryName": "x"}}
    old, new = build({"XRepository": repo}, {}), build({}, {"XRepository": repo})
    verdict = assess(changes(old, new))
    assert verdict.kept == ()
    assert [r.lines() for r in verdict.refused] == [
        [
            "XRepository (AWS::ECR::Repository) in compute.yaml (ComputeStack): moved to compute-2.yaml "
            "(ComputeStack2), which CloudFormation does by creating a new one and deleting this one",
            "    data at risk: every image pushed to the repository",
            "    to keep the data, move it with stack refactoring or resource import (docs/deploying.md); "
            "to accept the loss: --allow-data-loss XRepository",
        ]
    ]


def test_a_removed_nested_stack_is_judged_by_its_resources_when_they_are_listed() -> None:
    old = build({}, {"Jobs": resource("AWS::SQS::Queue"), "Role": resource("AWS::IAM::Role")})
    refusals = check(changes(old, build({})))
    assert [(r.stack, r.logical_id, r.change) for r in refusals] == [
        ("compute-2.yaml (ComputeStack2)", "Jobs", "remove")
    ]


def test_a_removed_nested_stack_whose_resources_are_not_listed_is_refused() -> None:
    root = StackChanges(
        key="",
        title="acme-dev (root)",
        resources=(*changes(build({}, {}), build({}))[0].resources,),
    )
    (refusal,) = check([root])
    assert refusal.headline() == (
        "ComputeStack2 (AWS::CloudFormation::Stack) in acme-dev (root): deleted, with every resource in it "
        "(the change set does not list them)"
    )


def test_changes_in_place_and_stateless_replacements_pass() -> None:
    old = build(
        {
            "Logs": resource("AWS::Logs::LogGroup", LogGroupName="/a", RetentionInDays=30),
            "Tg": resource("AWS::ElasticLoadBalancingV2::TargetGroup", Port=8080),
        }
    )
    new = build(
        {
            "Logs": resource("AWS::Logs::LogGroup", LogGroupName="/a", RetentionInDays=14),
            "Tg": resource("AWS::ElasticLoadBalancingV2::TargetGroup", Port=9090),
        }
    )
    assert assess(changes(old, new)) == assess([])


def test_the_table_in_docs_review_is_the_one_the_guard_reads() -> None:
    root = Path(__file__).resolve().parents[3]
    text = (root / "docs/review.md").read_text(encoding="utf-8")
    section = text[text.index("## No data lost: the guard") : text.index("What is refused")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = [tuple(cell.strip() for cell in row.strip("|").split("|")) for row in rows]
    assert documented == [(f"`{s.resource_type}`", s.data, s.why) for s in STATEFUL.values()]


@pytest.mark.parametrize("type_", [t for t in STATEFUL if not t.startswith("AWS::Serverless::")])
def test_every_stateful_type_can_be_imported(type_: str) -> None:
    """Resource import (and stack refactoring) need a read handler and one primary identifier."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, type_).schema
    assert "read" in schema["handlers"]
    assert len(primary_identifier(type_)) == 1

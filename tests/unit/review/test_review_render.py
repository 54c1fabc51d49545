"""The grouped text view and the summary line, shared by diff and review."""

from __future__ import annotations

import pytest

from template_gen.review.model import (
    ChangeReport,
    Detail,
    ResourceChange,
    StackChanges,
    Summary,
    ValueChange,
    sorted_resources,
)
from template_gen.review.render import text_lines, to_json


@pytest.mark.parametrize(
    ("summary", "line"),
    [
        (Summary(), "no changes"),
        (Summary(add=3, change=2, replace=1, remove=1), "3 to add, 2 to change (1 replacement), 1 to remove"),
        (
            Summary(change=3, replace=2, conditional=1),
            "0 to add, 3 to change (2 replacements, 1 conditional), 0 to remove",
        ),
        (Summary(change=1, conditional=1), "0 to add, 1 to change (1 conditional), 0 to remove"),
        (Summary(parameters=1, outputs=2), "0 to add, 0 to change, 0 to remove; 1 parameter and 2 outputs changed"),
    ],
)
def test_summary_line(summary: Summary, line: str) -> None:
    assert summary.line() == line


def report() -> ChangeReport:
    nested = StackChanges(
        key="ComputeStack",
        title="ComputeStack (acme-dev-ComputeStack-1ABC)",
        resources=sorted_resources(
            [
                ResourceChange("add", "BillingService", "AWS::ECS::Service"),
                ResourceChange(
                    "modify", "Logs", "AWS::Logs::LogGroup", "False", ("Properties",), (Detail("RetentionInDays"),)
                ),
                ResourceChange(
                    "modify",
                    "QuotingTargetGroup",
                    "AWS::ElasticLoadBalancingV2::TargetGroup",
                    "True",
                    ("Properties",),
                    (Detail("Port", "8080", "9090", "True", cause="parameter Port"),),
                ),
                ResourceChange("remove", "OldRole", "AWS::IAM::Role"),
            ]
        ),
        outputs=(
            ValueChange("add", "BillingServiceName", (Detail("Value", after={"Ref": "BillingService"}, attribute=""),)),
        ),
    )
    unchanged = StackChanges(key="NetworkStack", title="NetworkStack", status="unchanged")
    return ChangeReport((unchanged, nested), heading="dev: change set x (UPDATE) for stack acme-dev in eu-west-1")


def test_text_view_puts_replacements_and_removals_first_and_skips_unchanged_stacks() -> None:
    assert text_lines(report()) == [
        "dev: change set x (UPDATE) for stack acme-dev in eu-west-1",
        "",
        "ComputeStack (acme-dev-ComputeStack-1ABC)",
        "  replace  QuotingTargetGroup  AWS::ElasticLoadBalancingV2::TargetGroup  replacement: True   scope: Properties",
        '      Port: "8080" -> "9090" (via parameter Port) [replacement: True]',
        "  remove   OldRole             AWS::IAM::Role",
        "  modify   Logs                AWS::Logs::LogGroup                       replacement: False  scope: Properties",
        "      RetentionInDays",
        "  add      BillingService      AWS::ECS::Service",
        "  output add  BillingServiceName",
        "      Value: (not set) -> !Ref BillingService",
        "",
        "1 to add, 2 to change (1 replacement), 1 to remove; 1 output changed",
    ]


def test_json_keeps_every_stack_with_its_status() -> None:
    data = to_json(report(), environment="dev")
    assert [(s["title"], s["status"]) for s in data["stacks"]] == [
        ("NetworkStack", "unchanged"),
        ("ComputeStack (acme-dev-ComputeStack-1ABC)", "modified"),
    ]
    assert data["stacks"][1]["resources"][0]["details"] == [
        {
            "attribute": "Properties",
            "path": "Port",
            "before": "8080",
            "after": "9090",
            "replacement": "True",
            "cause": "parameter Port",
        }
    ]
    assert data["stacks"][1]["outputs"] == [
        {
            "action": "add",
            "name": "BillingServiceName",
            "details": [{"path": "Value", "after": {"Ref": "BillingService"}, "replacement": "False"}],
        }
    ]
    assert (data["environment"], data["changed"]) == ("dev", True)

"""IAM helpers: roles with scoped trust and inline least-privilege policies, written with awacs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from awacs import sts, xray
from awacs.aws import Action, Allow, Condition, Policy, Principal, Statement, StringEquals
from troposphere import AccountId, Sub, iam

from template_gen.registry.models import IamStatement

VERSION = "2012-10-17"

# X-Ray's write actions do not support resource-level permissions: their resource is always "*".
XRAY_WRITE = (
    xray.PutTraceSegments,
    xray.PutTelemetryRecords,
    xray.GetSamplingRules,
    xray.GetSamplingTargets,
    xray.GetSamplingStatisticSummaries,
)


# ECS Exec's channel actions have no resource-level permissions either.
SSM_MESSAGES = tuple(
    Action("ssmmessages", name)
    for name in ("CreateControlChannel", "CreateDataChannel", "OpenControlChannel", "OpenDataChannel")
)


def any_log_group() -> Sub:
    """Every log group of the account and Region: the resource of actions such as DescribeLogGroups."""
    return Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")


def from_registry(statements: Sequence[IamStatement]) -> list[Statement]:
    """The registry's extra statements (validated: no wildcard actions, "*" resources acknowledged)."""
    out = []
    for index, item in enumerate(statements):
        actions = [Action(*action.split(":", 1)) for action in item.actions]
        out.append(allow(actions, list(item.resources), item.sid or f"Registry{index + 1}"))
    return out


def allow(actions: Sequence[Action], resources: Sequence[Any], sid: str | None = None) -> Statement:
    statement = Statement(Effect=Allow, Action=list(actions), Resource=list(resources))
    if sid:
        statement.Sid = sid
    return statement


def policy(*statements: Statement) -> Policy:
    return Policy(Version=VERSION, Statement=list(statements))


def trust(service: str, source_account: bool = True) -> Policy:
    """Trust a service principal; with `source_account`, only on behalf of this account (confused-deputy
    protection, for services that send aws:SourceAccount when they assume roles, such as ECS tasks)."""
    statement = Statement(Effect=Allow, Principal=Principal("Service", service), Action=[sts.AssumeRole])
    if source_account:
        statement.Condition = Condition(StringEquals("aws:SourceAccount", AccountId))
    return policy(statement)


def role(
    title: str, service: str, statements: Sequence[Statement], description: str, source_account: bool = True
) -> iam.Role:
    props: dict[str, Any] = {
        "AssumeRolePolicyDocument": trust(service, source_account),
        "Description": description,
    }
    if statements:
        props["Policies"] = [iam.Policy(PolicyName="least-privilege", PolicyDocument=policy(*statements))]
    return iam.Role(title, **props)

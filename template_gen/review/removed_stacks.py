"""What a removed nested stack takes with it. CloudFormation makes no nested change set for a nested
stack that an update removes: the root's change set has one `Remove` row for it. Its resources are read
from the deployed stack instead (ListStackResources, and GetTemplate for each one's DeletionPolicy), so
the report lists them as removed, as `diff` does, and the data-loss guard judges each one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.aws_data import STACK_TYPE
from template_gen.errors import UsageError
from template_gen.review.model import ResourceChange, StackChanges, sorted_resources
from template_gen.review.templates import parse_template

Say = Callable[[str], None]


def expand(cfn: Any, stacks: list[StackChanges], say: Say) -> list[StackChanges]:
    """`stacks` plus one `removed` entry (with its resources) after each stack that removes a nested one."""
    out: list[StackChanges] = []
    for stack in stacks:
        out.append(stack)
        for change in stack.resources:
            if change.resource_type == STACK_TYPE and change.action == "remove" and change.physical_id:
                key = f"{stack.key}/{change.logical_id}" if stack.key else change.logical_id
                out += _removed(cfn, key, change.physical_id, say)
    return out


def _removed(cfn: Any, key: str, stack_id: str, say: Say) -> list[StackChanges]:
    try:
        summaries = _summaries(cfn, stack_id)
        policies = _deletion_policies(cfn, stack_id)
    except (BotoCoreError, ClientError, UsageError) as exc:
        say(f"warning: could not read the resources of the removed stack {key}: {exc}")
        return []  # the guard then refuses the whole nested stack
    name = stack_id.split(":stack/")[-1].split("/")[0]
    resources = [
        ResourceChange(
            action="remove",
            logical_id=str(s["LogicalResourceId"]),
            resource_type=str(s.get("ResourceType", "")),
            physical_id=str(s.get("PhysicalResourceId", "")),
            policy_action=_policy_action(policies.get(str(s["LogicalResourceId"]), "Delete")),
        )
        for s in summaries
        if not str(s.get("ResourceStatus", "")).startswith("DELETE")
    ]
    removed = StackChanges(
        key=key,
        title=f"{key} ({name})",
        status="removed",
        resources=sorted_resources(resources),
        extra={"logical_id": key, "stack_name": name, "change_set_id": None},
    )
    return expand(cfn, [removed], say)


def _summaries(cfn: Any, stack_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token = None
    while True:
        request: dict[str, Any] = {"StackName": stack_id}
        if token:
            request["NextToken"] = token
        page = cfn.list_stack_resources(**request)
        found += page.get("StackResourceSummaries", [])
        token = page.get("NextToken")
        if not token:
            return found


def _deletion_policies(cfn: Any, stack_id: str) -> dict[str, str]:
    """DeletionPolicy by logical id, from the deployed (processed) template."""
    body = cfn.get_template(StackName=stack_id, TemplateStage="Processed").get("TemplateBody", {})
    # botocore hands back a JSON template already decoded, a YAML one as text.
    template = body if isinstance(body, dict) else parse_template(str(body), f"template of stack {stack_id}")
    resources = template.get("Resources") or {}
    return {str(lid): str(r.get("DeletionPolicy", "Delete")) for lid, r in resources.items() if isinstance(r, dict)}


def _policy_action(deletion_policy: str) -> str:
    """CloudFormation's PolicyAction for a deletion: RetainExceptOnCreate retains on an update."""
    return "Retain" if deletion_policy in ("Retain", "RetainExceptOnCreate") else deletion_policy

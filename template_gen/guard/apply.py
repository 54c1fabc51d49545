"""Setting the stack policies on deployed stacks: the override for one update before it runs, and the
standing policy on the root and every nested stack afterwards (a policy covers only its own stack)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.errors import AwsError
from template_gen.guard.policy import policy_body
from template_gen.guard.stateful import NESTED_STACK

Say = Callable[[str], None]
StackRef = tuple[str, str]  # (key: "" for the root or the nested stack's logical id path, stack name or id)


def set_policies(cfn: Any, stacks: Iterable[StackRef], exempt: Mapping[str, Sequence[str]] | None = None) -> None:
    """SetStackPolicy on each stack: the standing policy, minus the `exempt` logical ids of that stack."""
    exempt = exempt or {}
    for key, name in stacks:
        try:
            cfn.set_stack_policy(StackName=name, StackPolicyBody=policy_body(exempt.get(key, ())))
        except (BotoCoreError, ClientError) as exc:
            raise AwsError(f"could not set the stack policy of {name}: {exc}") from exc


def stack_tree(cfn: Any, stack: str, key: str = "") -> list[StackRef]:
    """The stack and every nested stack below it, depth first, from ListStackResources."""
    found: list[StackRef] = [(key, stack)]
    token = None
    while True:
        request: dict[str, Any] = {"StackName": stack}
        if token:
            request["NextToken"] = token
        try:
            page = cfn.list_stack_resources(**request)
        except (BotoCoreError, ClientError) as exc:
            raise AwsError(f"could not list the resources of stack {stack}: {exc}") from exc
        for summary in page.get("StackResourceSummaries", []):
            physical = summary.get("PhysicalResourceId")
            status = str(summary.get("ResourceStatus", ""))
            if summary.get("ResourceType") == NESTED_STACK and physical and not status.startswith("DELETE"):
                lid = str(summary["LogicalResourceId"])
                found += stack_tree(cfn, str(physical), f"{key}/{lid}" if key else lid)
        token = page.get("NextToken")
        if not token:
            return found


def protect_tree(cfn: Any, root: str, say: Say) -> list[StackRef]:
    """The standing policy on the root stack and every nested stack (this also ends any override)."""
    stacks = stack_tree(cfn, root)
    set_policies(cfn, stacks)
    say(
        f"stack policy set on {len(stacks)} {'stack' if len(stacks) == 1 else 'stacks'}: stateful resources "
        "cannot be replaced or deleted by an update"
    )
    return stacks

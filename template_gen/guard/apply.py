"""Setting the stack policies on deployed stacks: the override for one update before it runs, and the
standing policy on the root and every nested stack afterwards (a policy covers only its own stack)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.errors import AwsError
from template_gen.guard.check import Verdict
from template_gen.guard.policy import policy_body
from template_gen.guard.stateful import NESTED_STACK
from template_gen.review.model import StackChanges

T = TypeVar("T")

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


def updated_stacks(stacks: Iterable[StackChanges], root_stack_id: str, root_exists: bool) -> list[StackRef]:
    """The deployed stacks a change set updates: the root (unless the change set creates it) and every
    nested stack it modifies (the nested change set's StackName); new nested stacks do not exist yet."""
    found: list[StackRef] = [("", root_stack_id)] if root_exists else []
    found += [(s.key, str(s.extra["stack_name"])) for s in stacks if s.key and s.status == "modified"]
    return found


def run_protected(
    cfn: Any, root_stack_id: str, updated: Iterable[StackRef], verdict: Verdict, run: Callable[[], T], say: Say
) -> T:
    """Run one update (`run`, e.g. executing a change set) under the stack policies: the override that
    lets this verdict's allowed and kept resources go on the stacks it updates, then, whatever happened,
    the standing policy on the root and every nested stack."""
    set_policies(cfn, updated, verdict.exempt())
    try:
        result = run()
    except BaseException:
        try:
            protect_tree(cfn, root_stack_id, say)
        except AwsError as exc:  # keep the update's own error; say why the policy could not be set
            say(f"warning: {exc}")
        raise
    protect_tree(cfn, root_stack_id, say)
    return result

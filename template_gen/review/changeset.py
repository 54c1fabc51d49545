"""A CloudFormation change set with nested stacks, from creation to deletion (or execution).

`sam deploy` shows only the root stack's change set, where a nested stack is one "Modify" line. Here the
change set is created with `IncludeNestedStacks=True`, so CloudFormation makes one change set per nested
stack; each nested stack's change in the root carries its `ChangeSetId`, and every change set is read
page by page (`NextToken`). Progress is reported as one line per state change.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.aws_data import STACK_TYPE
from template_gen.errors import AwsError
from template_gen.ops import events
from template_gen.review.aws import Target
from template_gen.review.model import (
    ABSENT,
    Action,
    Detail,
    Replacement,
    ResourceChange,
    StackChanges,
    sorted_resources,
)

ChangeSetType = Literal["CREATE", "UPDATE"]
Say = Callable[[str], None]
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
_NESTED_ARN = re.compile(r"arn:aws[\w-]*:cloudformation:\S+:changeSet/[\w/-]+")
_RECREATION: dict[str, Replacement] = {"Always": "True", "Conditionally": "Conditional", "Never": "False"}
_ACTIONS: dict[str, Action] = {
    "Add": "add",
    "Remove": "remove",
    "Modify": "modify",
    "Import": "import",
    "Dynamic": "dynamic",
}
_CAUSES = {"ResourceReference": "resource", "ParameterReference": "parameter", "ResourceAttribute": "attribute"}
_UNUPDATABLE = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_ROLLBACK_FAILED", "CREATE_FAILED")
_DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")


@dataclass(frozen=True)
class Polling:
    """How often and how long to wait; tests pass a `sleep` that returns at once."""

    delay: float = 5.0
    max_polls: int = 720  # an hour at the default delay
    sleep: Callable[[float], None] = field(default=time.sleep)


def _aws(what: str, exc: Exception) -> AwsError:
    return AwsError(f"{what}: {exc}")


def stack_status(cfn: Any, stack_name: str) -> str | None:
    """The root stack's status, or None when it does not exist."""
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in str(exc):
            return None
        raise _aws(f"could not read stack {stack_name}", exc) from exc
    except BotoCoreError as exc:
        raise _aws(f"could not read stack {stack_name}", exc) from exc
    return str(stacks[0]["StackStatus"])


def change_set_type(stack_name: str, status: str | None, say: Say) -> ChangeSetType:
    if status is None:
        say(f"stack {stack_name} does not exist yet: the change set creates it")
        return "CREATE"
    if status == "REVIEW_IN_PROGRESS":
        # What an earlier CREATE change set leaves behind when it was never executed.
        say(f"stack {stack_name} is REVIEW_IN_PROGRESS (never deployed): the change set creates it")
        return "CREATE"
    if status in _UNUPDATABLE:
        raise AwsError(
            f"stack {stack_name} is {status} and cannot be updated; "
            + (
                "continue the rollback first (aws cloudformation continue-update-rollback)"
                if status == "UPDATE_ROLLBACK_FAILED"
                else "delete it first (aws cloudformation delete-stack), then review again"
            )
        )
    if status.endswith("_IN_PROGRESS"):
        raise AwsError(f"stack {stack_name} is busy ({status}); wait until it finishes, then review again")
    return "UPDATE"


def create(
    cfn: Any, target: Target, body: str, name: str, type_: ChangeSetType, import_existing: bool = False
) -> tuple[str, str]:
    """(change set id, stack id). `import_existing` adopts existing resources with the names the template
    gives them (ImportExistingResources), such as a repository kept when its service left a stack."""
    request: dict[str, Any] = {
        "StackName": target.stack_name,
        "TemplateBody": body,
        "ChangeSetName": name,
        "ChangeSetType": type_,
        "Capabilities": list(target.capabilities),
        "IncludeNestedStacks": True,
        "Description": f"template-gen review of environment {target.environment}",
    }
    if target.tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in target.tags]
    if target.parameters:
        request["Parameters"] = [{"ParameterKey": k, "ParameterValue": v} for k, v in target.parameters]
    if import_existing:
        request["ImportExistingResources"] = True
    try:
        response = cfn.create_change_set(**request)
    except (BotoCoreError, ClientError) as exc:
        raise _aws(f"could not create change set {name} for stack {target.stack_name}", exc) from exc
    return str(response["Id"]), str(response["StackId"])


def _wait(
    what: str, read: Callable[[], Any], key: str, settled: Callable[[str], bool], say: Say, polling: Polling
) -> dict[str, Any]:
    """Call `read` until the status under `key` is `settled`, with `polling.delay` between calls; returns
    the last response. Says `<what>: <status>` once per status change."""
    last = ""
    for attempt in range(polling.max_polls):
        if attempt:
            polling.sleep(polling.delay)
        try:
            response: dict[str, Any] = read()
        except (BotoCoreError, ClientError) as exc:
            raise _aws(f"could not read {what}", exc) from exc
        status = str(response[key])
        if status != last:
            say(f"{what}: {status}")
            last = status
        if settled(status):
            return response
    raise AwsError(f"{what} is still {last} after {polling.max_polls} checks")


def wait_created(cfn: Any, change_set_id: str, name: str, say: Say, polling: Polling) -> dict[str, Any]:
    """Poll until CREATE_COMPLETE or FAILED; one line per status change."""
    return _wait(
        f"change set {name}",
        lambda: cfn.describe_change_set(ChangeSetName=change_set_id),
        "Status",
        lambda status: status in ("CREATE_COMPLETE", "FAILED"),
        say,
        polling,
    )


def is_no_changes(response: dict[str, Any]) -> bool:
    reason = str(response.get("StatusReason", ""))
    return response.get("Status") == "FAILED" and any(text in reason for text in NO_CHANGES)


def failure_reason(cfn: Any, response: dict[str, Any]) -> str:
    """The change set's StatusReason, plus the reason of the nested change set it blames, if any."""
    reason = str(response.get("StatusReason") or "no reason given")
    for arn in _NESTED_ARN.findall(reason):
        try:
            nested = cfn.describe_change_set(ChangeSetName=arn)
        except (BotoCoreError, ClientError):
            continue  # the root reason alone is still worth showing
        reason += f"\n    {nested.get('StackName', arn)}: {nested.get('StatusReason') or nested.get('Status')}"
    return reason


def _pages(cfn: Any, change_set_id: str) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        request: dict[str, Any] = {"ChangeSetName": change_set_id, "IncludePropertyValues": True}
        if token:
            request["NextToken"] = token
        try:
            page: dict[str, Any] = cfn.describe_change_set(**request)
        except (BotoCoreError, ClientError) as exc:
            raise _aws(f"could not read change set {change_set_id}", exc) from exc
        yield page
        token = page.get("NextToken")
        if not token:
            return


def read_changes(cfn: Any, change_set_id: str, key: str = "", status: str = "modified") -> list[StackChanges]:
    """The root change set and every nested one below it, root first, depth first."""
    pages = list(_pages(cfn, change_set_id))
    resources, nested = [], []
    for page in pages:
        for change in page.get("Changes", []):
            rc = change.get("ResourceChange")
            if change.get("Type") != "Resource" or not rc:
                continue
            resources.append(_resource(rc))
            if rc.get("ResourceType") == STACK_TYPE and rc.get("ChangeSetId"):
                nested.append((str(rc["LogicalResourceId"]), str(rc["ChangeSetId"]), rc.get("Action")))
    first = pages[0]
    stack_name = str(first.get("StackName", ""))
    title = f"{key} ({stack_name})" if key else f"{stack_name} (root)"
    stacks = [
        StackChanges(
            key=key,
            title=title,
            status="added" if status == "added" else "modified",
            resources=sorted_resources(resources),
            extra={"logical_id": key or None, "stack_name": stack_name, "change_set_id": change_set_id},
        )
    ]
    for lid, nested_id, action in nested:
        child = f"{key}/{lid}" if key else lid
        stacks += read_changes(cfn, nested_id, child, "added" if action == "Add" else "modified")
    return stacks


def _resource(rc: dict[str, Any]) -> ResourceChange:
    action: Action = _ACTIONS.get(str(rc.get("Action")), "modify")
    replacement = rc.get("Replacement") if action == "modify" else None
    return ResourceChange(
        action=action,
        logical_id=str(rc.get("LogicalResourceId", "")),
        resource_type=str(rc.get("ResourceType", "")),
        replacement=replacement if replacement in ("True", "Conditional", "False") else None,
        scope=tuple(rc.get("Scope", [])),
        details=tuple(_detail(d) for d in rc.get("Details", [])),
        physical_id=str(rc.get("PhysicalResourceId", "")),
        policy_action=str(rc.get("PolicyAction", "")),
    )


def _detail(raw: dict[str, Any]) -> Detail:
    target = raw.get("Target", {})
    attribute = str(target.get("Attribute", ""))
    path = _path(attribute, target.get("Path")) or str(target.get("Name") or attribute)
    source, entity = raw.get("ChangeSource"), raw.get("CausingEntity")
    cause = f"{_CAUSES[source]} {entity}" if source in _CAUSES and entity else ""
    if source == "Automatic":
        cause = "nested stack update"
    return Detail(
        path=path,
        before=target.get("BeforeValue", ABSENT),
        after=target.get("AfterValue", ABSENT),
        replacement=_RECREATION.get(str(target.get("RequiresRecreation")), "False"),
        attribute=attribute,
        cause=cause,
    )


def _path(attribute: str, pointer: Any) -> str:
    """`/Properties/ContainerDefinitions/0/Image` -> `ContainerDefinitions[0].Image`."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return ""
    parts = pointer.split("/")[1:]
    if attribute == "Properties" and parts and parts[0] == "Properties":
        parts = parts[1:]
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text


def delete(cfn: Any, change_set_id: str) -> None:
    try:
        cfn.delete_change_set(ChangeSetName=change_set_id)
    except (BotoCoreError, ClientError) as exc:
        raise _aws(f"could not delete change set {change_set_id}", exc) from exc


def delete_placeholder(cfn: Any, stack_id: str) -> None:
    """A CREATE change set leaves an empty REVIEW_IN_PROGRESS stack behind; remove the one review made."""
    try:
        cfn.delete_stack(StackName=stack_id)
    except (BotoCoreError, ClientError) as exc:
        raise _aws(f"could not delete the empty stack {stack_id}", exc) from exc


def execute(cfn: Any, change_set_id: str, stack_id: str, stack_name: str, say: Say, polling: Polling) -> str:
    """Execute and wait for the stack to settle; the final status, or AwsError with the reasons."""
    try:
        cfn.execute_change_set(ChangeSetName=change_set_id)
    except (BotoCoreError, ClientError) as exc:
        raise _aws(f"could not execute change set {change_set_id}", exc) from exc
    stack = _wait(
        f"stack {stack_name}",
        lambda: cfn.describe_stacks(StackName=stack_id)["Stacks"][0],
        "StackStatus",
        lambda status: not status.endswith("_IN_PROGRESS"),
        say,
        polling,
    )
    status = str(stack["StackStatus"])
    if status in _DONE:
        return status
    reason = stack.get("StackStatusReason") or "no reason given"
    raise AwsError(f"stack {stack_name} ended {status}: {reason}" + events.failure_report(cfn, stack_id, stack_name))

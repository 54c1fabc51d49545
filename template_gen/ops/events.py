"""Stack events of a root stack and every nested stack below it, for one stack operation.

CloudFormation reports a nested stack's failure in the root only as "Embedded stack ... was not
successfully updated", so the reason stays in the nested stack's own events. `EventLog` reads the events
of every stack of the operation (nested stacks are found from the stack resources' events), in order,
once each; `root_cause` names the first failed resource of the deepest stack that failed, and what
rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

STACK_TYPE = "AWS::CloudFormation::Stack"
# Siblings of the failed resource that CloudFormation stopped: effects of the failure, not its cause.
_CANCELLED = ("Resource creation cancelled", "Resource update cancelled", "Resource deletion cancelled")
_EMBEDDED = "Embedded stack"
_MAX_PAGES = 20  # of 100 events each: an operation's events are the newest ones


@dataclass(frozen=True)
class Event:
    stack: str  # the path of the stack: "" for the root, "ComputeStack", "ComputeStack/Inner"
    depth: int
    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str
    physical_id: str
    own: bool  # an event about the stack itself (its logical ID is the stack's name)

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    @property
    def where(self) -> str:
        """`ComputeStack/QuotingService`; a nested stack's events about itself are `ComputeStack`."""
        if self.own and self.stack:
            return self.stack
        return f"{self.stack}/{self.logical_id}" if self.stack else self.logical_id

    def line(self) -> str:
        text = f"{self.timestamp:%H:%M:%S}  {self.where}  {self.resource_type}  {self.status}"
        return f"{text}  {self.reason}" if self.reason else text


@dataclass
class _Stack:
    path: str
    depth: int
    stack_id: str
    name: str


@dataclass
class EventLog:
    """The events of one operation on `root_id` and its nested stacks. `since` is the operation's start
    (None: found from the root's "User Initiated" event)."""

    cfn: Any
    root_id: str
    root_name: str
    since: datetime | None = None
    events: list[Event] = field(default_factory=list)
    _stacks: dict[str, _Stack] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def baseline(self) -> None:
        """Mark the root's events so far as seen (before executing), so polling shows only the new ones."""
        self._stacks[self.root_id] = _Stack("", 0, self.root_id, self.root_name)
        try:
            page = self.cfn.describe_stack_events(StackName=self.root_id)
        except (BotoCoreError, ClientError):
            return
        self._seen.update(str(raw.get("EventId", "")) for raw in page.get("StackEvents", []))

    def poll(self) -> list[Event]:
        """New events of every stack (nested stacks as they appear), oldest first."""
        if not self._stacks:
            self._stacks[self.root_id] = _Stack("", 0, self.root_id, self.root_name)
        new: list[Event] = []
        done: set[str] = set()
        while True:  # a nested stack found in this poll is read in the same poll
            todo = [s for key, s in self._stacks.items() if key not in done]
            if not todo:
                break
            for stack in todo:
                done.add(stack.stack_id)
                for event in self._read(stack):
                    new.append(event)
                    self._discover(stack, event)
        new.sort(key=lambda e: (e.timestamp, e.depth))
        self.events += new
        return new

    def _read(self, stack: _Stack) -> Iterator[Event]:
        """Unseen events of one stack since the operation started, newest first (the API's order)."""
        token = None
        for _page in range(_MAX_PAGES):
            request = {"StackName": stack.stack_id, **({"NextToken": token} if token else {})}
            try:
                page = self.cfn.describe_stack_events(**request)
            except (BotoCoreError, ClientError):
                return  # events are a report; a stack that cannot be read is left out
            for raw in page.get("StackEvents", []):
                event = _event(stack, raw)
                if event.event_id in self._seen:
                    return
                if self.since is None and stack.depth == 0:
                    if _starts_operation(raw, stack.name):
                        self.since = event.timestamp
                elif self.since is not None and event.timestamp < self.since:
                    return
                self._seen.add(event.event_id)
                yield event
                if stack.depth == 0 and event.timestamp == self.since and _starts_operation(raw, stack.name):
                    return
            token = page.get("NextToken")
            if not token:
                return

    def _discover(self, parent: _Stack, event: Event) -> None:
        if event.resource_type != STACK_TYPE or not event.physical_id.startswith("arn:"):
            return
        if event.own or event.physical_id in self._stacks:
            return
        path = f"{parent.path}/{event.logical_id}" if parent.path else event.logical_id
        name = event.physical_id.split(":stack/", 1)[-1].split("/", 1)[0]
        self._stacks[event.physical_id] = _Stack(path, parent.depth + 1, event.physical_id, name)


def _starts_operation(raw: dict[str, Any], stack_name: str) -> bool:
    return raw.get("LogicalResourceId") == stack_name and raw.get("ResourceStatusReason") == "User Initiated"


def _event(stack: _Stack, raw: dict[str, Any]) -> Event:
    logical = str(raw.get("LogicalResourceId", ""))
    return Event(
        stack=stack.path,
        depth=stack.depth,
        event_id=str(raw.get("EventId", "")),
        timestamp=raw["Timestamp"],
        logical_id=logical,
        resource_type=str(raw.get("ResourceType", "")),
        status=str(raw.get("ResourceStatus", "")),
        reason=str(raw.get("ResourceStatusReason") or ""),
        physical_id=str(raw.get("PhysicalResourceId") or ""),
        own=logical == stack.name,
    )


@dataclass(frozen=True)
class RootCause:
    failed: Event | None  # the first failed resource of the deepest stack that failed
    rolled_back: tuple[tuple[str, tuple[str, ...]], ...]  # (stack path, "Resource STATUS" it undid)

    def lines(self) -> list[str]:
        out = []
        if self.failed is not None:
            f = self.failed
            out.append(f"root cause: {f.where} ({f.resource_type}) {f.status}: {f.reason or 'no reason given'}")
        for stack, resources in self.rolled_back:
            what = ", ".join(resources) if resources else "nothing to undo"
            out.append(f"rolled back {stack or 'the root stack'}: {what}")
        return out


def root_cause(events: list[Event]) -> RootCause:
    """The first failed resource in the deepest stack with a failure of its own (not a nested stack that
    failed because of its child, nor a sibling CloudFormation cancelled), and what each stack rolled back."""
    candidates = [
        e
        for e in events
        if e.failed
        and not e.own
        and not any(e.reason.startswith(c) for c in _CANCELLED)
        and not (e.resource_type == STACK_TYPE and e.reason.startswith(_EMBEDDED))
    ]
    failed = None
    if candidates:
        deepest = max(e.depth for e in candidates)
        failed = min((e for e in candidates if e.depth == deepest), key=lambda e: e.timestamp)
    return RootCause(failed, _rolled_back(events))


def _rolled_back(events: list[Event]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per stack that rolled back: the resources changed after its rollback began, with their last status."""
    by_stack: dict[str, list[Event]] = {}
    for event in sorted(events, key=lambda e: e.timestamp):
        by_stack.setdefault(event.stack, []).append(event)
    out = []
    for stack, stack_events in sorted(by_stack.items(), key=lambda item: (item[0].count("/"), item[0])):
        start = next((e.timestamp for e in stack_events if e.own and e.status.endswith("ROLLBACK_IN_PROGRESS")), None)
        if start is None:
            continue
        last: dict[str, str] = {}
        for event in stack_events:
            if event.timestamp >= start and not event.own and event.status.endswith("_COMPLETE"):
                last[event.logical_id] = event.status
        out.append((stack, tuple(f"{lid} {status}" for lid, status in sorted(last.items()))))
    return tuple(out)


def failure_report(cfn: Any, stack_id: str, stack_name: str) -> str:
    """For an error message: the root cause and the rollbacks of the stack's last operation, one indented
    line each ("" when the events cannot be read)."""
    log = EventLog(cfn, stack_id, stack_name)
    log.poll()
    return "".join(f"\n    {line}" for line in root_cause(log.events).lines())

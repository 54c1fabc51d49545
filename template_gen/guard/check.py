"""The data-loss guard: which changes in a change report replace, delete or move a stateful resource.

`check(stacks, allow)` answers with the refusals that stand; `assess` gives the whole verdict: refused,
allowed (by `--allow-data-loss LOGICAL_ID`), and kept (deleted from the stack but kept by its
DeletionPolicy, so orphaned rather than lost). It reads only `StackChanges`, so it judges what `diff`
predicts and what a CloudFormation change set says (`review`, and any command that makes a change set).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from template_gen.guard.adopt import identifier, import_command
from template_gen.guard.stateful import NESTED_STACK, STATEFUL
from template_gen.review.model import ResourceChange, StackChanges

# `diff` and `review`: a change would lose data and was not allowed (beside 0 ok, 1 user error, 2 internal
# error and 3 for changes with --exit-code). It wins over 3.
EXIT_DATA_LOSS = 4
ALLOW_FLAG = "--allow-data-loss"
Change = Literal["replace", "may replace", "remove", "move"]
_RETAINED = ("Retain",)  # CloudFormation's PolicyAction for DeletionPolicy Retain and RetainExceptOnCreate


@dataclass(frozen=True)
class Refusal:
    """A replacement, deletion or move that loses the data of a stateful resource."""

    stack_key: str  # "" for the root, else the nested stack's logical id path
    stack: str  # the stack as the report titles it: "compute.yaml (ComputeStack)"
    logical_id: str
    resource_type: str
    change: Change
    cause: str = ""  # the properties that cause the replacement, or the stack a resource moves to
    data: str = ""
    old_kept: bool = False  # a replacement whose UpdateReplacePolicy keeps the old resource (orphaned)

    def headline(self) -> str:
        what = f"{self.logical_id} ({self.resource_type}) in {self.stack}"
        if self.change == "move":
            return (
                f"{what}: moved to {self.cause}, which CloudFormation does by creating a new one and deleting this one"
            )
        if self.change == "remove":
            if self.resource_type == NESTED_STACK:
                return f"{what}: deleted, with every resource in it (the change set does not list them)"
            return f"{what}: deleted (it is no longer in the template)"
        verb = "replaced" if self.change == "replace" else "may be replaced"
        return f"{what}: {verb}, because of {self.cause or 'a change CloudFormation did not detail'}"

    def lines(self, allowed: bool = False) -> list[str]:
        data = self.data
        if self.old_kept:
            data += "; the old one is kept by its UpdateReplacePolicy, orphaned, and the new one starts empty"
        lines = [self.headline(), f"    data at risk: {data}"]
        if allowed:
            lines.append(f"    allowed by {ALLOW_FLAG} {self.logical_id}")
        elif self.change == "move":
            lines.append(
                "    to keep the data, move it with stack refactoring or resource import (docs/deploying.md); "
                f"to accept the loss: {ALLOW_FLAG} {self.logical_id}"
            )
        else:
            lines.append(f"    to accept the loss: {ALLOW_FLAG} {self.logical_id}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack_key or None,
            "logical_id": self.logical_id,
            "type": self.resource_type,
            "change": self.change,
            "cause": self.cause or None,
            "data": self.data,
            "old_kept": self.old_kept,
            "message": self.headline(),
        }


@dataclass(frozen=True)
class Kept:
    """A stateful resource deleted from its stack but kept by its DeletionPolicy: orphaned, not lost."""

    stack_key: str
    stack: str
    logical_id: str
    resource_type: str
    physical_id: str = ""
    data: str = ""

    def identifier(self) -> dict[str, str]:
        """The ResourceIdentifier a resource import needs (the schema's primary identifier)."""
        return identifier(self.resource_type, self.physical_id)

    def headline(self) -> str:
        return (
            f"{self.logical_id} ({self.resource_type}) in {self.stack}: removed from the stack but kept by its "
            "DeletionPolicy, so it is orphaned, not lost"
        )

    def lines(self) -> list[str]:
        return [
            self.headline(),
            f"    still there: {self.data}",
            f"    to adopt it again: {import_command(self.resource_type, self.logical_id, self.physical_id)}",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack_key or None,
            "logical_id": self.logical_id,
            "type": self.resource_type,
            "physical_id": self.physical_id or None,
            "resource_identifier": self.identifier(),
            "message": self.headline(),
        }


@dataclass(frozen=True)
class Verdict:
    refused: tuple[Refusal, ...] = ()  # not allowed: the command exits EXIT_DATA_LOSS
    allowed: tuple[Refusal, ...] = ()  # let through by --allow-data-loss
    kept: tuple[Kept, ...] = ()
    unmatched: tuple[str, ...] = ()  # --allow-data-loss ids that name no refused change

    @property
    def blocked(self) -> bool:
        return bool(self.refused)

    def exempt(self) -> dict[str, tuple[str, ...]]:
        """Per stack key, the logical ids a stack policy must let through for this update: the allowed
        losses and the resources kept by their DeletionPolicy (a removal is Update:Delete all the same)."""
        out: dict[str, set[str]] = {}
        pairs = [(r.stack_key, r.logical_id) for r in self.allowed] + [(k.stack_key, k.logical_id) for k in self.kept]
        for key, lid in pairs:
            out.setdefault(key, set()).add(lid)
        return {key: tuple(sorted(ids)) for key, ids in sorted(out.items())}

    def to_json(self) -> dict[str, Any]:
        return {
            "refused": [r.to_json() for r in self.refused],
            "allowed": [r.to_json() for r in self.allowed],
            "kept": [k.to_json() for k in self.kept],
            "unmatched_allow": list(self.unmatched),
        }


def check(stacks: Iterable[StackChanges], allow: Iterable[str] = ()) -> list[Refusal]:
    """The changes that would lose data and are not allowed; empty means the update may go ahead."""
    return list(assess(stacks, allow).refused)


def assess(stacks: Iterable[StackChanges], allow: Iterable[str] = ()) -> Verdict:
    stacks = tuple(stacks)
    allowed_ids = set(allow)
    listed = {s.key for s in stacks}
    added = {(r.logical_id, r.resource_type): s for s in stacks for r in s.resources if r.action in ("add", "import")}
    refusals: list[Refusal] = []
    kept: list[Kept] = []
    for stack in stacks:
        for change in stack.resources:
            found = _judge(stack, change, added, listed)
            if isinstance(found, Kept):
                kept.append(found)
            elif found is not None:
                refusals.append(found)
    matched = {r.logical_id for r in refusals}
    return Verdict(
        refused=tuple(r for r in refusals if r.logical_id not in allowed_ids),
        allowed=tuple(r for r in refusals if r.logical_id in allowed_ids),
        kept=tuple(kept),
        unmatched=tuple(sorted(allowed_ids - matched)),
    )


def _judge(
    stack: StackChanges, change: ResourceChange, added: dict[tuple[str, str], StackChanges], listed: set[str]
) -> Refusal | Kept | None:
    lid, type_ = change.logical_id, change.resource_type
    if type_ == NESTED_STACK and change.action == "remove":
        child = f"{stack.key}/{lid}" if stack.key else lid
        if child in listed:
            return None  # its resources are in the report and judged one by one
        return Refusal(stack.key, stack.title, lid, type_, "remove", data="whatever its stateful resources hold")
    entry = STATEFUL.get(type_)
    if entry is None:
        return None
    if change.action == "remove":
        destination = added.get((lid, type_))
        if destination is not None and destination.key != stack.key:
            return Refusal(stack.key, stack.title, lid, type_, "move", destination.title, entry.data)
        if change.policy_action in _RETAINED:
            return Kept(stack.key, stack.title, lid, type_, change.physical_id, entry.data)
        return Refusal(stack.key, stack.title, lid, type_, "remove", data=entry.data)
    if change.action == "modify" and change.replacement in ("True", "Conditional"):
        verb: Change = "replace" if change.replacement == "True" else "may replace"
        return Refusal(
            stack.key,
            stack.title,
            lid,
            type_,
            verb,
            _causes(change),
            entry.data,
            old_kept=change.policy_action == "ReplaceAndRetain",
        )
    return None


def _causes(change: ResourceChange) -> str:
    """The changed properties that replace it, strongest first, each named once."""
    paths: list[str] = []
    for level in ("True", "Conditional"):
        for d in change.details:
            if d.replacement == level and d.path not in paths:
                paths.append(d.path)
    return ", ".join(paths)


def text_lines(verdict: Verdict) -> list[str]:
    """The guard's block under the report (empty when nothing stateful is replaced or deleted)."""
    lines: list[str] = []
    for refusal in verdict.refused:
        first, *rest = refusal.lines()
        lines += [f"refused: {first}", *rest]
    for refusal in verdict.allowed:
        first, *rest = refusal.lines(allowed=True)
        lines += [f"allowed: {first}", *rest]
    for kept in verdict.kept:
        first, *rest = kept.lines()
        lines += [f"kept: {first}", *rest]
    return ["", *lines] if lines else []


def refusal_summary(verdict: Verdict) -> str:
    """The error line of a refused update."""
    count = len(verdict.refused)
    ids = " ".join(dict.fromkeys(f"{ALLOW_FLAG} {r.logical_id}" for r in verdict.refused))
    return f"{count} {'change' if count == 1 else 'changes'} would lose data; to accept the loss, pass {ids}"


def unmatched_warnings(verdict: Verdict) -> list[str]:
    return [f"{ALLOW_FLAG} {lid}: no change here would lose the data of {lid}" for lid in verdict.unmatched]

"""The change report both commands produce: stacks, their resource changes, and parameter/output changes.

Replacement uses CloudFormation's own vocabulary: "True" (the resource is replaced), "Conditional" (it
may be, depending on values only known at deploy time) and "False".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# `diff` and `review` with --exit-code: changes found. 1 and 2 keep their CLI-wide meaning (user error,
# internal error), so a script can tell "something would change" from "the command failed".
EXIT_CHANGES = 3

Replacement = Literal["True", "Conditional", "False"]
Action = Literal["add", "remove", "modify", "import", "dynamic"]

_RANK: dict[str, int] = {"False": 0, "Conditional": 1, "True": 2}


def strongest(values: Iterable[Replacement]) -> Replacement:
    best: Replacement = "False"
    for value in values:
        if _RANK[value] > _RANK[best]:
            best = value
    return best


class _Absent:
    """A property that is not set on one side (distinct from an explicit null)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Detail:
    """One changed value inside a resource, parameter or output."""

    path: str  # relative to `attribute`: "Port", "ContainerDefinitions[Name=quoting].Image"
    before: Any = ABSENT
    after: Any = ABSENT
    replacement: Replacement = "False"
    attribute: str = "Properties"  # Properties | DeletionPolicy | Metadata | ... (CloudFormation's Target.Attribute)
    cause: str = ""  # why it changes without being edited: "parameter VpcCidr", "resource Vpc (replaced)"
    note: str = ""  # instead of values: "content changed: catalog/platform/catalog.json"


@dataclass(frozen=True)
class ResourceChange:
    action: Action
    logical_id: str
    resource_type: str
    replacement: Replacement | None = None  # only for modify
    scope: tuple[str, ...] = ()
    details: tuple[Detail, ...] = ()
    physical_id: str = ""
    # CloudFormation's PolicyAction for a removal or replacement: Delete, Retain, ReplaceAndDelete,
    # ReplaceAndRetain, ... (from the change set, or from the old template's DeletionPolicy and
    # UpdateReplacePolicy in diff); "" when it does not apply.
    policy_action: str = ""

    @property
    def verb(self) -> str:
        """What the row says: add, remove, modify, replace (True) or replace? (Conditional)."""
        if self.action == "modify" and self.replacement == "True":
            return "replace"
        if self.action == "modify" and self.replacement == "Conditional":
            return "replace?"
        return self.action

    def sort_key(self) -> tuple[int, str]:
        order = {"replace": 0, "replace?": 1, "remove": 2, "modify": 3, "dynamic": 4, "import": 5, "add": 6}
        return order[self.verb], self.logical_id


@dataclass(frozen=True)
class ValueChange:
    """A parameter or output that was added, removed or changed."""

    action: Literal["add", "remove", "modify"]
    name: str
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class StackChanges:
    key: str  # "" for the root, else the nested stack's logical id path ("ComputeStack")
    title: str  # "compute.yaml (ComputeStack)"
    status: Literal["modified", "added", "removed", "unchanged"] = "modified"
    resources: tuple[ResourceChange, ...] = ()
    parameters: tuple[ValueChange, ...] = ()
    outputs: tuple[ValueChange, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # shown in JSON only: file, stack name, change set id

    @property
    def changed(self) -> bool:
        return bool(self.resources or self.parameters or self.outputs) or self.status in ("added", "removed")


@dataclass(frozen=True)
class Summary:
    add: int = 0
    change: int = 0
    replace: int = 0
    conditional: int = 0
    remove: int = 0
    parameters: int = 0
    outputs: int = 0

    @property
    def changed(self) -> bool:
        return any((self.add, self.change, self.remove, self.parameters, self.outputs))

    def line(self) -> str:
        if not self.changed:
            return "no changes"
        replaced = []
        if self.replace:
            replaced.append(f"{self.replace} {_plural(self.replace, 'replacement')}")
        if self.conditional:
            replaced.append(f"{self.conditional} conditional")
        change = f"{self.change} to change" + (f" ({', '.join(replaced)})" if replaced else "")
        text = f"{self.add} to add, {change}, {self.remove} to remove"
        others = []
        if self.parameters:
            others.append(f"{self.parameters} {_plural(self.parameters, 'parameter')}")
        if self.outputs:
            others.append(f"{self.outputs} {_plural(self.outputs, 'output')}")
        if others:
            text += f"; {' and '.join(others)} changed"
        return text


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


@dataclass(frozen=True)
class ChangeReport:
    stacks: tuple[StackChanges, ...]
    heading: str = ""  # first line of the text view: what was compared with what
    warnings: tuple[str, ...] = ()

    def summary(self) -> Summary:
        resources = [r for s in self.stacks for r in s.resources]
        return Summary(
            add=sum(r.action in ("add", "import") for r in resources),
            change=sum(r.action in ("modify", "dynamic") for r in resources),
            replace=sum(r.action == "modify" and r.replacement == "True" for r in resources),
            conditional=sum(r.action == "modify" and r.replacement == "Conditional" for r in resources),
            remove=sum(r.action == "remove" for r in resources),
            parameters=sum(len(s.parameters) for s in self.stacks),
            outputs=sum(len(s.outputs) for s in self.stacks),
        )

    @property
    def changed(self) -> bool:
        return self.summary().changed


def sorted_resources(changes: Sequence[ResourceChange]) -> tuple[ResourceChange, ...]:
    """Replacements first, then removals, modifications and additions (each by logical id)."""
    return tuple(sorted(changes, key=ResourceChange.sort_key))

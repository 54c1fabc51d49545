"""Changes nobody typed: a resource whose template text is the same still changes when a value it reads
changes. The root passes a new parameter value to a nested stack, a replaced resource gets a new id that
its dependents `Ref`, and a nested stack's output feeds the next stack's parameters. CloudFormation
reports these as `Dynamic` changes caused by a `ParameterReference` / `ResourceReference`; this module
predicts the same, stack by stack, until nothing new is found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from template_gen.review import schemas
from template_gen.review.model import Detail, Replacement, strongest
from template_gen.review.values import Path, format_path, intrinsic_name, leaves, references


@dataclass
class ResourceWork:
    action: Literal["add", "remove", "modify"]
    resource_type: str
    details: list[Detail] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)  # raw paths of Properties details, for overlap checks

    @property
    def replacement(self) -> Replacement:
        return strongest(d.replacement for d in self.details)


@dataclass
class StackWork:
    key: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    resources: dict[str, ResourceWork] = field(default_factory=dict)
    changed_outputs: set[str] = field(default_factory=set)  # outputs whose Value text changed
    passed: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # parameter -> root's value before, after
    content_changed: bool = False  # files under a CodeUri/ContentUri inside the build changed

    def resource(self, lid: str, resource_type: str) -> ResourceWork:
        return self.resources.setdefault(lid, ResourceWork("modify", resource_type))


@dataclass
class _Dirty:
    """Names in one stack whose resolved value may change, with how sure we are and why."""

    params: dict[str, tuple[Replacement, str]] = field(default_factory=dict)
    resources: dict[str, Replacement] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)


def propagate(stacks: dict[str, StackWork], region: str, max_rounds: int = 50) -> None:
    """Add the indirect changes to `stacks` (keyed by stack key, "" is the root) in place."""
    dirty = {key: _Dirty() for key in stacks}
    for _ in range(max_rounds):
        before = _size(stacks, dirty)
        _root_parameters(stacks, dirty)
        for stack in stacks.values():
            if stack.old is not None and stack.new is not None:
                _resources(stack, dirty, region)
                _outputs(stack, dirty[stack.key])
        if _size(stacks, dirty) == before:
            return
    raise AssertionError("change propagation did not settle")  # a cycle in templates CloudFormation would reject


def _size(stacks: dict[str, StackWork], dirty: dict[str, _Dirty]) -> tuple[int, ...]:
    details = sum(len(r.details) for s in stacks.values() for r in s.resources.values())
    marks = sum(len(d.params) + len(d.resources) + len(d.outputs) for d in dirty.values())
    levels = sum(v == "True" for d in dirty.values() for v in d.resources.values())
    return details, marks, levels


def _root_parameters(stacks: dict[str, StackWork], dirty: dict[str, _Dirty]) -> None:
    """A nested stack's parameter is dirty when the root passes it a value that changed or may change."""
    root = stacks.get("")
    if root is None:
        return
    for lid, res in root.resources.items():
        if lid not in stacks or res.action != "modify":
            continue
        for detail in res.details:
            name = detail.path.removeprefix("Parameters.")
            if detail.attribute != "Properties" or name == detail.path or "." in name or "[" in name:
                continue
            literal = not detail.cause and not _is_intrinsic_change(detail)
            level: Replacement = "True" if literal else "Conditional"
            cause = f"parameter {name}"
            old = dirty[lid].params.get(name)
            if old is None or (old[0] != "True" and level == "True"):
                dirty[lid].params[name] = (level, cause)


def _is_intrinsic_change(detail: Detail) -> bool:
    return bool(intrinsic_name(detail.before) or intrinsic_name(detail.after))


def _resources(stack: StackWork, dirty: dict[str, _Dirty], region: str) -> None:
    assert stack.old is not None and stack.new is not None
    mine = dirty[stack.key]
    old_resources = stack.old.get("Resources") or {}
    for lid, res in (stack.new.get("Resources") or {}).items():
        if lid not in old_resources:
            continue  # an addition is complete already
        if old_resources[lid].get("Type") != res.get("Type"):
            mine.resources[lid] = "True"
            continue
        work = stack.resources.get(lid)
        for path, value in leaves(res.get("Properties") or {}):
            if work is not None and any(_overlaps(path, p) for p in work.paths):
                continue
            causes = _causes(value, stack.key, mine, dirty)
            if not causes:
                continue
            work = stack.resource(lid, res["Type"])
            work.details.append(_indirect(res["Type"], region, path, value, causes, stack, mine))
            work.paths.append(path)
        if work is not None and work.replacement != "False":
            level = work.replacement
            if mine.resources.get(lid) != "True":
                mine.resources[lid] = level


def _overlaps(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _causes(value: Any, key: str, mine: _Dirty, dirty: dict[str, _Dirty]) -> list[tuple[str, str, Replacement]]:
    """(name, why, level) for every dirty name the value reads."""
    found: list[tuple[str, str, Replacement]] = []
    for name, attr in sorted(references(value)):
        if not attr and name in mine.params:
            level, why = mine.params[name]
            found.append((name, why, level))
        elif name in mine.resources:
            verb = "replaced" if mine.resources[name] == "True" else "may be replaced"
            found.append((name, f"{name} {verb}", "Conditional"))
        elif key == "" and attr.startswith("Outputs.") and name in dirty and attr[8:] in dirty[name].outputs:
            found.append((name, f"output {attr[8:]} of {name}", "Conditional"))
    return found


def _indirect(
    resource_type: str,
    region: str,
    path: Path,
    value: Any,
    causes: list[tuple[str, str, Replacement]],
    stack: StackWork,
    mine: _Dirty,
) -> Detail:
    replacement = schemas.replacement(resource_type, region, path, value, value)
    before = after = value
    ref = value.get("Ref") if isinstance(value, dict) and intrinsic_name(value) == "Ref" else None
    if ref is not None and ref in mine.params:
        # `Ref Param` and the root passes a different literal: show the values, and it is a sure change.
        before, after = stack.passed.get(ref, (value, value))
        if replacement != "False" and mine.params[ref][0] == "True":
            replacement = "True"
    cause = ", ".join(sorted({why for _, why, _ in causes}))
    return Detail(format_path(path), before, after, replacement, cause=cause)


def _outputs(stack: StackWork, mine: _Dirty) -> None:
    assert stack.new is not None
    for name, output in (stack.new.get("Outputs") or {}).items():
        if name in stack.changed_outputs:
            mine.outputs.add(name)
            continue
        value = output.get("Value") if isinstance(output, dict) else None
        for ref, attr in references(value):
            if (not attr and ref in mine.params) or ref in mine.resources:
                mine.outputs.add(name)

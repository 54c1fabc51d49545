"""The grouped view both commands print: one block per stack that changes, replacements and removals
first, then a summary line; and the same report as JSON (format in docs/review.md)."""

from __future__ import annotations

from typing import Any

from template_gen.console import Console
from template_gen.review.model import ABSENT, ChangeReport, Detail, ResourceChange, StackChanges, ValueChange
from template_gen.review.values import show

_VERB_STYLE = {
    "replace": ("red", "bold"),
    "replace?": ("yellow", "bold"),
    "remove": ("red",),
    "modify": ("yellow",),
    "dynamic": ("yellow",),
    "add": ("green",),
    "import": ("green",),
}
INDENT = "      "


def text_lines(report: ChangeReport, console: Console | None = None) -> list[str]:
    style = console.style if console else (lambda text, *_styles: text)
    lines: list[str] = [report.heading, ""] if report.heading else []
    for stack in report.stacks:
        if not stack.changed:
            continue
        status = {"added": " [new stack]", "removed": " [stack removed]"}.get(stack.status, "")
        lines.append(style(stack.title + status, "bold"))
        lines += _resource_lines(stack.resources, style)
        lines += _value_lines("parameter", stack.parameters)
        lines += _value_lines("output", stack.outputs)
    if lines and lines[-1]:
        lines.append("")
    lines.append(style(report.summary().line(), "bold"))
    return lines


def _resource_lines(resources: tuple[ResourceChange, ...], style: Any) -> list[str]:
    if not resources:
        return []
    verb_w = max(len(r.verb) for r in resources)
    lid_w = max(len(r.logical_id) for r in resources)
    type_w = max(len(r.resource_type) for r in resources)
    replacements = [f"replacement: {r.replacement}" if r.replacement is not None else "" for r in resources]
    rep_w = max(len(text) for text in replacements)
    lines = []
    for r, rep in zip(resources, replacements, strict=True):
        scope = f"scope: {', '.join(r.scope)}" if r.scope else ""
        verb = style(r.verb.ljust(verb_w), *_VERB_STYLE.get(r.verb, ()))
        row = f"  {verb}  {r.logical_id.ljust(lid_w)}  {r.resource_type.ljust(type_w)}  {rep.ljust(rep_w)}  {scope}"
        lines.append(row.rstrip())
        lines += [INDENT + detail_text(d) for d in r.details]
    return lines


def _value_lines(kind: str, changes: tuple[ValueChange, ...]) -> list[str]:
    lines = []
    for change in changes:
        lines.append(f"  {kind} {change.action}  {change.name}")
        lines += [INDENT + detail_text(d) for d in change.details]
    return lines


def detail_text(d: Detail) -> str:
    path = d.path  # below Properties; other attributes are named in the path (DeletionPolicy, Metadata.X)
    if d.note:
        text = f"{path}: {d.note}"
    elif d.before is ABSENT and d.after is ABSENT:
        text = path  # a change set without values
    elif d.before == d.after:
        text = f"{path}: {show(d.after)}"  # the text is the same; what it resolves to changes (see cause)
    else:
        text = f"{path}: {show(d.before)} -> {show(d.after)}"
    if d.cause:
        text += f" (via {d.cause})"
    if d.replacement != "False":
        text += f" [replacement: {d.replacement}]"
    return text


def to_json(report: ChangeReport, **meta: Any) -> dict[str, Any]:
    summary = report.summary()
    return {
        **meta,
        "changed": summary.changed,
        "summary": {
            "add": summary.add,
            "change": summary.change,
            "replace": summary.replace,
            "conditional_replace": summary.conditional,
            "remove": summary.remove,
            "parameters": summary.parameters,
            "outputs": summary.outputs,
        },
        "stacks": [_stack_json(s) for s in report.stacks],
        "warnings": list(report.warnings),
    }


def _stack_json(stack: StackChanges) -> dict[str, Any]:
    return {
        **stack.extra,
        "title": stack.title,
        "status": stack.status,
        "resources": [
            {
                "action": r.action,
                "logical_id": r.logical_id,
                "type": r.resource_type,
                "replacement": r.replacement,
                "scope": list(r.scope),
                **({"physical_id": r.physical_id} if r.physical_id else {}),
                "details": [_detail_json(d) for d in r.details],
            }
            for r in stack.resources
        ],
        "parameters": [_value_json(c) for c in stack.parameters],
        "outputs": [_value_json(c) for c in stack.outputs],
    }


def _value_json(change: ValueChange) -> dict[str, Any]:
    return {"action": change.action, "name": change.name, "details": [_detail_json(d) for d in change.details]}


def _detail_json(d: Detail) -> dict[str, Any]:
    out: dict[str, Any] = {"attribute": d.attribute, "path": d.path} if d.attribute else {"path": d.path}
    if d.before is not ABSENT:
        out["before"] = d.before
    if d.after is not ABSENT:
        out["after"] = d.after
    out["replacement"] = d.replacement
    if d.cause:
        out["cause"] = d.cause
    if d.note:
        out["note"] = d.note
    return out

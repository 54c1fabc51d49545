"""Compare two builds stack by stack, resource by resource: what `template-gen diff` reports.

Nested stacks are matched by logical id; a stack that appears or disappears adds or removes all of its
resources. Within a stack, each resource's changes are the differing leaves of its properties, each with
the replacement the resource schema predicts, plus the changes the new values cause elsewhere
(`propagate`). Parameters and outputs are compared the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from template_gen.aws_data import STACK_TYPE
from template_gen.review import schemas
from template_gen.review.model import (
    ABSENT,
    Detail,
    ResourceChange,
    StackChanges,
    ValueChange,
    sorted_resources,
)
from template_gen.review.propagate import ResourceWork, StackWork, propagate
from template_gen.review.templates import Build, StackTemplate, code_folders
from template_gen.review.values import diff_values, format_path, intrinsic_name

MAX_FILES_NAMED = 3


def diff_builds(old: Build, new: Build, region: str) -> tuple[tuple[StackChanges, ...], tuple[str, ...]]:
    """(one entry per stack, root first then the new build's order then removed stacks; warnings)."""
    keys = [s.key for s in new.stacks] + [s.key for s in old.stacks if new.stack(s.key) is None]
    works: dict[str, StackWork] = {}
    for key in keys:
        before, after = old.stack(key), new.stack(key)
        work = StackWork(key, before.template if before else None, after.template if after else None)
        _diff_resources(work, region)
        if work.old is not None and work.new is not None:
            work.changed_outputs = {
                change.name
                for change in _diff_named(work.old.get("Outputs"), work.new.get("Outputs"))
                if any(d.path == "Value" or d.path.startswith(("Value.", "Value[")) for d in change.details)
            }
        works[key] = work
    _record_passed_parameters(works)
    warnings = _code_changes(old, new, works, region)
    propagate(works, region)
    _nested_templates(works)
    return tuple(_stack_changes(works[key], old.stack(key), new.stack(key)) for key in keys), warnings


def _diff_resources(work: StackWork, region: str) -> None:
    before = (work.old or {}).get("Resources") or {}
    after = (work.new or {}).get("Resources") or {}
    for lid in sorted(set(before) | set(after)):
        if lid not in before:
            work.resources[lid] = ResourceWork("add", str(after[lid].get("Type", "")))
        elif lid not in after:
            work.resources[lid] = ResourceWork("remove", str(before[lid].get("Type", "")))
        else:
            res = _modified(before[lid], after[lid], region)
            if res.details:
                work.resources[lid] = res


def _modified(before: dict[str, Any], after: dict[str, Any], region: str) -> ResourceWork:
    type_ = str(after.get("Type", ""))
    res = ResourceWork("modify", type_)
    if before.get("Type") != type_:
        res.details.append(Detail("Type", before.get("Type"), type_, "True", attribute="Type"))
        return res
    for attr in sorted((set(before) | set(after)) - {"Type"}):
        if attr == "Properties":
            for path, old, new in diff_values(before.get(attr) or {}, after.get(attr) or {}):
                replacement = schemas.replacement(type_, region, path, old, new)
                res.details.append(Detail(format_path(path), old, new, replacement))
                res.paths.append(path)
        else:
            for path, old, new in diff_values(before.get(attr, ABSENT), after.get(attr, ABSENT), (attr,)):
                res.details.append(Detail(format_path(path), old, new, attribute=attr))
    return res


def _record_passed_parameters(works: dict[str, StackWork]) -> None:
    """The literal values the root passes to each nested stack, before and after, where they changed."""
    root = works.get("")
    if root is None:
        return
    for lid, res in root.resources.items():
        if lid in works and res.action == "modify":
            for d in res.details:
                name = d.path.removeprefix("Parameters.")
                if name != d.path and not (intrinsic_name(d.before) or intrinsic_name(d.after)):
                    works[lid].passed[name] = (d.before, d.after)


def _code_changes(old: Build, new: Build, works: dict[str, StackWork], region: str) -> tuple[str, ...]:
    """A CodeUri/ContentUri folder inside the build whose files changed (the service catalog layer) is a
    change of that property: the package uploaded for it will be new."""
    warnings = []
    old_folders = code_folders(old.stacks)
    for (key, lid), (prop, folder) in sorted(code_folders(new.stacks).items()):
        work = works[key]
        if (key, lid) not in old_folders or (lid in work.resources and work.resources[lid].action != "modify"):
            continue  # new resource or new property: reported already
        old_prop, old_folder = old_folders[(key, lid)]
        before, after = _files(old, old_folder), _files(new, folder)
        if not before and after:
            warnings.append(f"{old_folder}/ is not in the earlier build, so the content of {lid} was not compared")
            continue
        changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        if not changed or old_prop != prop:
            continue
        named = ", ".join(f"{folder}/{p}" for p in changed[:MAX_FILES_NAMED])
        if len(changed) > MAX_FILES_NAMED:
            named += f" and {len(changed) - MAX_FILES_NAMED} more"
        type_ = _type(work, lid)
        # Any two different values stand for "the uploaded package differs".
        replacement = schemas.replacement(type_, region, (prop,), "before", "after")
        res = work.resource(lid, type_)
        res.details.append(Detail(prop, old_folder, folder, replacement, note=f"content changed: {named}"))
        res.paths.append((prop,))
        work.content_changed = True
    return tuple(warnings)


def _files(build: Build, folder: str) -> dict[str, str]:
    prefix = f"{folder}/"
    return {path.removeprefix(prefix): text for path, text in build.files.items() if path.startswith(prefix)}


def _type(work: StackWork, lid: str) -> str:
    res = ((work.new or {}).get("Resources") or {}).get(lid) or {}
    return str(res.get("Type", ""))


def _nested_templates(works: dict[str, StackWork]) -> None:
    """The root's nested stack resource changes when its template does (CloudFormation updates it), and
    when a package it points at does (the packaged template then names a new S3 object)."""
    root = works.get("")
    if root is None or root.new is None:
        return
    for key, work in works.items():
        if not key or work.old is None or work.new is None:
            continue
        url = ((root.new.get("Resources") or {}).get(key) or {}).get("Properties", {}).get("TemplateURL")
        if url is None:
            continue
        if work.old != work.new:
            note = f"nested template {url} changed"
        elif work.content_changed:
            note = f"nested template {url} points at new content once packaged"
        else:
            continue
        root.resource(key, STACK_TYPE).details.append(Detail("TemplateURL", url, url, note=note))


def _stack_changes(work: StackWork, before: StackTemplate | None, after: StackTemplate | None) -> StackChanges:
    stack = after or before
    assert stack is not None
    status: Literal["modified", "added", "removed", "unchanged"] = (
        "added" if before is None else "removed" if after is None else "modified"
    )
    parameters: tuple[ValueChange, ...] = ()
    outputs: tuple[ValueChange, ...] = ()
    if before is not None and after is not None:
        parameters = _diff_named(before.template.get("Parameters"), after.template.get("Parameters"))
        outputs = _diff_named(before.template.get("Outputs"), after.template.get("Outputs"))
    old = (before.template.get("Resources") or {}) if before is not None else {}
    resources = sorted_resources([_policy(_finish(lid, res), old.get(lid)) for lid, res in work.resources.items()])
    if status == "modified" and not (resources or parameters or outputs):
        status = "unchanged"
    return StackChanges(
        key=stack.key,
        title=stack.title,
        status=status,
        resources=resources,
        parameters=parameters,
        outputs=outputs,
        extra={"file": stack.file_name, "logical_id": stack.key or None},
    )


def _finish(lid: str, res: ResourceWork) -> ResourceChange:
    details = tuple(sorted(res.details, key=lambda d: (d.attribute != "Properties", d.path)))
    return ResourceChange(
        action=res.action,
        logical_id=lid,
        resource_type=res.resource_type,
        replacement=res.replacement if res.action == "modify" else None,
        scope=tuple(sorted({_scope(d) for d in details})),
        details=details,
    )


def _policy(change: ResourceChange, old: Any) -> ResourceChange:
    """CloudFormation's PolicyAction for a removal or replacement, from the old template's policies."""
    if not isinstance(old, dict):
        return change
    if change.action == "remove":
        policy = str(old.get("DeletionPolicy", "Delete"))
        # RetainExceptOnCreate deletes only a resource its own stack creation failed to finish.
        action = "Retain" if policy in ("Retain", "RetainExceptOnCreate") else policy
    elif change.action == "modify" and change.replacement in ("True", "Conditional"):
        action = "ReplaceAnd" + str(old.get("UpdateReplacePolicy", "Delete"))
    else:
        return change
    return replace(change, policy_action=action)


def _scope(detail: Detail) -> str:
    """CloudFormation's Scope: Properties, Tags (a property, but reported apart), or the attribute."""
    if detail.attribute == "Properties":
        tags = detail.path == "Tags" or detail.path.startswith(("Tags.", "Tags["))
        return "Tags" if tags else "Properties"
    return detail.attribute


def _diff_named(before: Any, after: Any) -> tuple[ValueChange, ...]:
    """Parameters or Outputs: each one added, removed, or changed (with the changed fields)."""
    before, after = before or {}, after or {}
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, ABSENT), after.get(name, ABSENT)
        if old == new:
            continue
        details = tuple(Detail(format_path(p), b, a, attribute="") for p, b, a in diff_values(old, new))
        if old is ABSENT:
            details = tuple(Detail(k, ABSENT, v, attribute="") for k, v in sorted(new.items()))
            changes.append(ValueChange("add", name, details))
        elif new is ABSENT:
            details = tuple(Detail(k, v, ABSENT, attribute="") for k, v in sorted(old.items()))
            changes.append(ValueChange("remove", name, details))
        else:
            changes.append(ValueChange("modify", name, details))
    return tuple(changes)

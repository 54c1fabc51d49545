"""Template values: intrinsic functions, the names they reference, property paths, and a compact
one-line rendering (`!Ref VpcId`, `!GetAtt NetworkStack.Outputs.VpcId`) for the text view."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from template_gen.review.model import ABSENT

# A value is an intrinsic when it is a one-key mapping with one of these keys.
_CONDITION_FUNCTIONS = frozenset({"Condition"})
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")
MAX_SHOWN = 200
IDENTITY_FIELDS = ("Name", "Key", "Id", "PolicyName", "Sid")


@dataclass(frozen=True, order=True)
class Keyed:
    """A list element matched by an identifying field rather than its position: `Environment[Name=LOG_LEVEL]`."""

    field: str
    value: str


Segment = str | int | Keyed
Path = tuple[Segment, ...]


def format_path(path: Sequence[Segment]) -> str:
    text = ""
    for seg in path:
        if isinstance(seg, Keyed):
            text += f"[{seg.field}={seg.value}]"
        elif isinstance(seg, int):
            text += f"[{seg}]"
        else:
            text += f".{seg}" if text else seg
    return text


def intrinsic_name(value: Any) -> str | None:
    """`Ref`, `Fn::GetAtt`, ... when `value` is an intrinsic function call, else None."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")) or key in _CONDITION_FUNCTIONS:
            return str(key)
    return None


def contains_intrinsic(value: Any) -> bool:
    if intrinsic_name(value):
        return True
    if isinstance(value, dict):
        return any(contains_intrinsic(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_intrinsic(v) for v in value)
    return False


def references(value: Any) -> set[tuple[str, str]]:
    """Every (name, attribute) the value reads: `Ref X` -> (X, ""), `GetAtt X.Arn` -> (X, "Arn"), and the
    `${X}` / `${X.Arn}` variables of `Fn::Sub` that are not its own. Pseudo parameters are left out."""
    found: set[tuple[str, str]] = set()
    for name, attr in _walk_references(value):
        if not name.startswith("AWS::"):
            found.add((name, attr))
    return found


def _walk_references(value: Any) -> Iterator[tuple[str, str]]:
    func = intrinsic_name(value)
    if func == "Ref" and isinstance(value["Ref"], str):
        yield value["Ref"], ""
        return
    if func == "Fn::GetAtt":
        arg = value[func]
        if isinstance(arg, str) and "." in arg:
            name, attr = arg.split(".", 1)
            yield name, attr
            return
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            yield arg[0], arg[1] if isinstance(arg[1], str) else ""
            yield from _walk_references(arg[1])
            return
    if func == "Fn::Sub":
        arg = value[func]
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
        if isinstance(text, str):
            for var in _SUB_VARIABLE.findall(text):
                name, _, attr = var.partition(".")
                if name not in variables:
                    yield name, attr
        if isinstance(variables, dict):
            for v in variables.values():
                yield from _walk_references(v)
        return
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk_references(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_references(v)


def identity_field(*lists: list[Any]) -> str | None:
    """The field that identifies items of these lists (Tags by Key, Environment by Name), if any."""
    items = [item for lst in lists for item in lst]
    if not items or not all(isinstance(i, dict) and not intrinsic_name(i) for i in items):
        return None
    for name in IDENTITY_FIELDS:
        if all(isinstance(i.get(name), str) for i in items) and all(
            len({i[name] for i in lst}) == len(lst) for lst in lists
        ):
            return name
    return None


def leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every intrinsic or scalar inside a property value, with its path."""
    if isinstance(value, dict) and not intrinsic_name(value):
        for key in sorted(value):
            yield from leaves(value[key], (*path, key))
    elif isinstance(value, list):
        key = identity_field(value)
        for i, item in enumerate(value):
            yield from leaves(item, (*path, Keyed(key, item[key]) if key else i))
    else:
        yield path, value


def diff_values(before: Any, after: Any, path: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """(path, before, after) of every leaf that differs. Objects are compared key by key, lists item by
    item (by their identifying field when they have one, else by position when the lengths agree); an
    intrinsic function is compared as a whole, since only CloudFormation can resolve it."""
    if before == after:
        return
    if (
        isinstance(before, dict)
        and isinstance(after, dict)
        and not intrinsic_name(before)
        and not intrinsic_name(after)
    ):
        for key in sorted(set(before) | set(after)):
            yield from diff_values(before.get(key, ABSENT), after.get(key, ABSENT), (*path, key))
        return
    if isinstance(before, list) and isinstance(after, list):
        key = identity_field(before, after)
        if key:
            old = {item[key]: item for item in before}
            new = {item[key]: item for item in after}
            # A reordering is a change of the list itself; otherwise compare item by item.
            if [k for k in old if k in new] == [k for k in new if k in old]:
                for name in [*old, *(k for k in new if k not in old)]:
                    yield from diff_values(old.get(name, ABSENT), new.get(name, ABSENT), (*path, Keyed(key, name)))
                return
        elif len(before) == len(after):
            for i, (b, a) in enumerate(zip(before, after, strict=True)):
                yield from diff_values(b, a, (*path, i))
            return
        else:
            items = _inserted_or_deleted(before, after)
            if items is not None:
                for i, b, a in items:
                    yield (*path, i), b, a
                return
    yield path, before, after


def _inserted_or_deleted(before: list[Any], after: list[Any]) -> list[tuple[int, Any, Any]] | None:
    """When `after` only inserts into or only deletes from `before` (a security group rule added), the
    items that came or went, by their index on the side they are on; otherwise None."""
    old = [json.dumps(v, sort_keys=True) for v in before]
    new = [json.dumps(v, sort_keys=True) for v in after]
    ops = [op for op in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes() if op[0] != "equal"]
    if all(tag == "insert" for tag, *_ in ops):
        return [(j, ABSENT, after[j]) for _, _, _, j1, j2 in ops for j in range(j1, j2)]
    if all(tag == "delete" for tag, *_ in ops):
        return [(i, before[i], ABSENT) for _, i1, i2, _, _ in ops for i in range(i1, i2)]
    return None


def show(value: Any, limit: int = MAX_SHOWN) -> str:
    """One line, YAML short form for intrinsics, JSON for literals (so "30" and 30 look different)."""
    text = _show(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(not set)"
    func = intrinsic_name(value)
    if func:
        arg = value[func]
        short = func.removeprefix("Fn::")
        if func == "Ref":
            return f"!Ref {arg}"
        if func == "Fn::GetAtt" and isinstance(arg, list) and all(isinstance(a, str) for a in arg):
            return "!GetAtt " + ".".join(arg)
        return f"!{short} {_show(arg)}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)

"""Turn pydantic's validation errors into `Problem`s a person can act on.

pydantic locates errors with tuples such as `('ecs', 'alb', 'priority')` (the first element being the
discriminator tag of a union) and phrases them for programmers. Here the tags are dropped, the path is
written as `alb.priority` / `services[2]`, and the message says what was expected and what was found,
with a "did you mean" hint for misspelled keys.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from template_gen.errors import Problem

_DISCRIMINATORS = ("kind", "mode")


def format_path(parts: typing.Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _unwrap(annotation: Any, data: Any) -> Any:
    """Strip Annotated/Optional and pick the union member the data selects."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            chosen = members[0] if len(members) == 1 else None
            if chosen is None and isinstance(data, dict):
                for member in members:
                    base = _unwrap(member, None)
                    if isinstance(base, type) and issubclass(base, BaseModel):
                        for disc in _DISCRIMINATORS:
                            field = base.model_fields.get(disc)
                            if field is not None and data.get(disc) in typing.get_args(field.annotation):
                                chosen = member
            if chosen is None:
                return None
            annotation = chosen
            continue
        return annotation


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _walk(root: Any, data: Any, loc: tuple[Any, ...]) -> tuple[list[str | int], Any]:
    """Follow `loc` through the model and the data: the cleaned path and the type that holds its last key."""
    path: list[str | int] = []
    annotation = root
    parent = None
    for element in loc:
        if isinstance(data, dict) and element not in data and any(data.get(d) == element for d in _DISCRIMINATORS):
            continue  # a union tag, not a key
        parent = _unwrap(annotation, data)
        path.append(element)
        if isinstance(parent, type) and issubclass(parent, BaseModel):
            annotation = _field(parent, str(element))
        elif typing.get_origin(parent) in (dict, list):
            annotation = typing.get_args(parent)[-1]
        else:
            annotation = None
        if isinstance(data, dict):
            data = data.get(element)
        elif isinstance(data, list) and isinstance(element, int) and element < len(data):
            data = data[element]
        else:
            data = None
    return path, parent


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


# Error types that mean "wrong type": what was expected.
_EXPECTED = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    """A hint naming the closest of `choices`, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _message(error: Any, key: str | int | None, parent_model: Any) -> tuple[str, str]:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind in ("missing", "union_tag_not_found"):
        return "required field is missing", ""
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_describe(value)}", ""
    if kind == "extra_forbidden":
        refused = getattr(parent_model, "refused_fields", {}) if isinstance(parent_model, type) else {}
        if key in refused:  # a field another kind takes: say why this one does not
            return refused[key], ""
        allowed = _allowed_keys(parent_model) if isinstance(parent_model, type) else []
        hint = did_you_mean(str(key), allowed) or ("allowed fields: " + ", ".join(allowed) if allowed else "")
        return f"unknown field '{key}'", hint
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])), ""
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {_describe(value)})", ""
    if kind == "string_pattern_mismatch":
        return f"{_describe(value)} does not match the expected format {ctx.get('pattern')}", ""
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)", ""
    if kind == "too_long":
        return f"has more than the allowed {ctx.get('max_length')} item(s)", ""
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters", ""
    if kind == "string_too_short":
        return f"must be at least {ctx.get('min_length')} character(s) long", ""
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags')} (got {_describe(ctx.get('tag'))})", ""
    return str(error["msg"]), ""


def problems_from(exc: ValidationError, root: Any, data: Any, rel_path: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        path, parent = _walk(root, data, tuple(error["loc"]))
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path.append(str(error.get("ctx", {}).get("discriminator", "")).strip("'"))
        key = path[-1] if path else None
        message, hint = _message(error, key, parent)
        problems.append(Problem(rel_path, format_path(path), message, hint))
    return problems

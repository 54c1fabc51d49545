"""Markdown reference of every registry field, generated from the models (docs/registry-reference.md).

`python -m template_gen.registry.reference > docs/registry-reference.md` (or `make docs`); a test keeps
the committed file in step with the models.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from template_gen.registry.models import EcsService, LambdaService, Range, Registry, WorkerService


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base = _type_name(args[0])
        ranges = [a for a in args[1:] if isinstance(a, Range)]
        return f"{base} ({ranges[0].lo}..{ranges[0].hi})" if ranges else base
    if origin in (Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return getattr(annotation, "__name__", str(annotation))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    if value is PydanticUndefined or value is None:
        return "-"
    if isinstance(value, BaseModel):
        return "(see below)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value in ({}, []):
        return "empty"
    return f"`{value}`"


def _models(root: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    if root.__name__ in seen:
        return
    seen[root.__name__] = root
    for info in root.model_fields.values():
        for candidate in _nested(info.annotation):
            _models(candidate, seen)


def _nested(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_nested(arg))
    return out


def _table(model: type[BaseModel]) -> list[str]:
    lines = [f"### {model.__name__}", ""]
    doc = (model.__doc__ or "").strip()
    if doc and not doc.startswith("!!!"):
        lines += [doc.splitlines()[0], ""]
    lines += ["| field | type | default | description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        field = info.alias or name
        description = (info.description or "").replace("|", "\\|")
        type_name = _type_name(info.annotation)
        ranges = [m for m in info.metadata if isinstance(m, Range)]
        if ranges:
            type_name += f" ({ranges[0].lo}..{ranges[0].hi})"
        lines.append(f"| `{field}` | {type_name} | {_default(info)} | {description} |")
    return [*lines, ""]


def render() -> str:
    out = [
        "# Registry reference",
        "",
        "Generated from `template_gen/registry/models.py` by `make docs`; do not edit by hand.",
        "For a guided introduction see [registry.md](registry.md).",
        "",
    ]
    for title, root in (
        ("services/registry.yaml", Registry),
        ("services/<name>/service.yaml, kind: ecs", EcsService),
        ("services/<name>/service.yaml, kind: worker", WorkerService),
        ("services/<name>/service.yaml, kind: lambda", LambdaService),
    ):
        seen: dict[str, type[BaseModel]] = {}
        _models(root, seen)
        out += [f"## {title}", ""]
        for model in seen.values():
            out += _table(model)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")

"""The `service.yaml` that `template-gen new-service` writes, generated from the models: every field in the
models' order, with its description as a comment and its default as the value, except where the scaffold
chose one (name, path, port, priority, auth, health check path). A field added to the models appears in
new services with no edit here (as it does in docs/registry-reference.md)."""

from __future__ import annotations

import textwrap
import typing
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

WIDTH = 110  # comment lines wrap here

Chosen = Mapping[tuple[str, ...], Any]


def render(model: type[BaseModel], chosen: Chosen, header: str) -> str:
    """`header` (comment lines) then every field of `model`; `chosen` maps field paths to the scaffold's values."""
    body = "\n".join(_fields(model, None, chosen, ()))
    return f"{header.rstrip()}\n\n{body}\n"


def _fields(model: type[BaseModel], values: BaseModel | None, chosen: Chosen, prefix: tuple[str, ...]) -> Iterator[str]:
    indent = "  " * len(prefix)
    # The discriminator first: it says what the file is.
    for name, info in sorted(model.model_fields.items(), key=lambda item: item[0] != "kind"):
        key = info.alias or name
        path = (*prefix, key)
        for line in textwrap.wrap(info.description or "", WIDTH - len(indent) - 2):
            yield f"{indent}# {line}"
        nested = _model_of(info.annotation)
        inside = nested is not None and any(p[: len(path)] == path and p != path for p in chosen)
        if path in chosen:
            value = chosen[path]
        elif values is not None:
            value = getattr(values, name)
        elif inside and info.is_required():
            value = None  # a required block the scaffold fills in part: the rest is the block's defaults
        else:
            value = _default(info, path)
        if isinstance(value, BaseModel) and nested is not None:
            yield f"{indent}{key}:"
            yield from _fields(type(value), value, chosen, path)
        elif value is None and nested is not None and inside:
            yield f"{indent}{key}:"  # a block the scaffold fills in part
            yield from _fields(nested, None, chosen, path)
        else:
            yield f"{indent}{key}: {_flow(value)}"
        if not prefix:
            yield ""


def _default(info: FieldInfo, path: tuple[str, ...]) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    if info.default is PydanticUndefined:
        raise ValueError(f"{'.'.join(path)} is required: the scaffold must choose a value")
    return info.default


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (`Model` or `Model | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _flow(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True, exclude_none=True)
    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()

"""Read a CloudFormation template (YAML or JSON) into plain Python values, as cfn-lint's decoder reads it:
short-form intrinsics (`!Ref x`, `!GetAtt a.b`, `!Sub ...`) become their long form, and a mapping that
repeats a key is refused instead of silently keeping the last value. `diff` reads earlier builds with it,
without loading cfn-lint.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

try:
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader

_UNPREFIXED = ("Ref", "Condition")  # every other short form is Fn::<name>


class TemplateSyntaxError(ValueError):
    """The text is not a readable template; the message says where."""


class _Loader(_Base):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in lines:
                raise TemplateSyntaxError(f"key {key!r} is repeated (lines {lines[key]} and {line})")
            lines[key] = line
            mapping[key] = self.construct_object(value_node, deep=True)
        return mapping


def _map(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    return loader.construct_mapping(node, deep=True)


def _intrinsic(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in _UNPREFIXED else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)  # !GetAtt Resource.Attribute.Path
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_Loader.add_constructor("tag:yaml.org,2002:map", _map)
_Loader.add_multi_constructor("!", _intrinsic)


def loads(text: str) -> Any:
    """The template's data; raises TemplateSyntaxError naming the line of the problem."""
    if "&" in text and any(isinstance(t, yaml.AliasToken) for t in yaml.scan(text, Loader=_Base)):
        raise TemplateSyntaxError("it uses a YAML alias (*name), which CloudFormation does not accept")
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader with the intrinsic constructors
    except yaml.MarkedYAMLError as exc:
        try:
            return json.loads(text)  # JSON that YAML cannot read (tabs, some escapes)
        except ValueError:
            mark = exc.problem_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise TemplateSyntaxError(f"{exc.problem or exc.context}{where}") from exc
    except yaml.YAMLError as exc:
        raise TemplateSyntaxError(str(exc)) from exc
    return {} if data is None else data

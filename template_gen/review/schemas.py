"""Does changing a property replace the resource? Answered from the `createOnlyProperties` (always
replaces) and `conditionalCreateOnlyProperties` (may replace) of the CloudFormation resource schemas that
cfn-lint ships. The lists are extracted at build time into `create_only.json` (`make create-only`, checked
against cfn-lint by a test), so that `diff` starts without loading cfn-lint.

SAM resources (`AWS::Serverless::*`) have no create-only list of their own: the transform turns each into
a CloudFormation resource whose schema does. `SAM_RESOURCES` names that resource and the SAM properties
that are spelled differently there; every other answer still comes from the schema.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path as FilePath
from typing import Any

from template_gen.review.model import ABSENT, Replacement, strongest
from template_gen.review.values import Keyed, Path, contains_intrinsic, intrinsic_name

_API = {"DefinitionUri": "BodyS3Location", "DefinitionBody": "Body"}
SAM_RESOURCES: dict[str, tuple[str, dict[str, str]]] = {
    "AWS::Serverless::Function": ("AWS::Lambda::Function", {"CodeUri": "Code", "InlineCode": "Code"}),
    "AWS::Serverless::LayerVersion": ("AWS::Lambda::LayerVersion", {"ContentUri": "Content"}),
    "AWS::Serverless::Api": ("AWS::ApiGateway::RestApi", _API),
    "AWS::Serverless::HttpApi": ("AWS::ApiGatewayV2::Api", _API),
    "AWS::Serverless::SimpleTable": ("AWS::DynamoDB::Table", {}),
    "AWS::Serverless::StateMachine": ("AWS::StepFunctions::StateMachine", {}),
    "AWS::Serverless::Application": ("AWS::CloudFormation::Stack", {"Location": "TemplateURL"}),
}


@dataclass(frozen=True)
class CreateOnly:
    always: tuple[tuple[str, ...], ...]  # pointer segments below /properties, "*" for any list item
    conditional: tuple[tuple[str, ...], ...]


TABLE = FilePath(__file__).with_name("create_only.json")


@cache
def _table() -> dict[str, list[list[str]]]:
    types: dict[str, list[list[str]]] = json.loads(TABLE.read_text(encoding="utf-8"))["types"]
    return types


@cache
def create_only(resource_type: str, region: str) -> CreateOnly | None:
    """The create-only properties of a type, or None when no schema knows it. The lists are the same in
    every Region that has the type (the extraction checks it), so `region` does not change the answer."""
    if resource_type.startswith("Custom::"):  # as cfn-lint reads them: every custom resource is one type
        resource_type = "AWS::CloudFormation::CustomResource"
    if resource_type.endswith("::MODULE"):
        return CreateOnly((), ())  # a module's resources are its own; the module itself has no schema
    lists = _table().get(resource_type)
    if lists is None:
        return None
    always, conditional = lists
    return CreateOnly(tuple(_segments(p) for p in always), tuple(_segments(p) for p in conditional))


def _segments(pointer: str) -> tuple[str, ...]:
    parts = pointer.split("/")
    assert parts[:2] == ["", "properties"], pointer  # every schema pointer is below /properties
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in parts[2:])


def replacement(resource_type: str, region: str, path: Path, before: Any, after: Any) -> Replacement:
    """Replacement caused by one property change (`path` below Properties, values of that leaf).

    A change whose old or new value is an intrinsic function (Ref, GetAtt, Sub, ...) cannot be resolved
    offline, so a create-only hit there is "Conditional"; unknown types are "Conditional" too.
    """
    if resource_type in SAM_RESOURCES and path:
        resource_type, renamed = SAM_RESOURCES[resource_type]
        first = path[0]
        if isinstance(first, str) and first in renamed:
            path = (renamed[first], *path[1:])
    info = create_only(resource_type, region)
    if info is None:
        return "Conditional"
    hits: list[Replacement] = [_hit(p, path, before, after, "True") for p in info.always]
    hits += [_hit(p, path, before, after, "Conditional") for p in info.conditional]
    return strongest(hits)


def _hit(pointer: Sequence[str], path: Path, before: Any, after: Any, level: Replacement) -> Replacement:
    for i, part in enumerate(pointer):
        if i == len(path):
            # The change is above the create-only property (a whole list or object was swapped):
            # it replaces only if the create-only value inside differs.
            if intrinsic_name(before) or intrinsic_name(after):
                return "Conditional"
            rest = pointer[i:]
            old, new = _select(before, rest), _select(after, rest)
            return _level(old, new, level) if old != new else "False"
        seg = path[i]
        if part == "*":
            if not isinstance(seg, int | Keyed):
                return "False"
        elif seg != part:
            return "False"
    return _level(before, after, level)


def _level(before: Any, after: Any, level: Replacement) -> Replacement:
    return "Conditional" if contains_intrinsic(before) or contains_intrinsic(after) else level


def _select(value: Any, pointer: Sequence[str]) -> list[Any]:
    """The values at `pointer` inside `value` ("*" expands list items); an intrinsic stands for itself."""
    if not pointer:
        return [value]
    if intrinsic_name(value):
        return [value]
    head, rest = pointer[0], pointer[1:]
    if head == "*":
        return [v for item in value for v in _select(item, rest)] if isinstance(value, list) else []
    if isinstance(value, dict):
        return _select(value.get(head, ABSENT), rest)
    return [ABSENT]

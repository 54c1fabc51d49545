"""troposphere objects to plain data: exactly what `Template.to_dict()` returns, in one pass.

troposphere's `encode_to_dict` encodes each object's children inside its `to_dict()`, and the caller then
encodes the result again, so every value is walked once per ancestor; on a 1,000-service platform that was
a quarter of synth. This walks the tree once and validates each object as `to_dict()` does. The goldens
(byte-identical templates) and a test against `Template.to_dict()` keep the two the same.
"""

from __future__ import annotations

from typing import Any

from troposphere import AWSHelperFn, BaseAWSObject, Template

from template_gen.stacks import exemptions
from template_gen.stacks.common import ExemptedTemplate

_SCALARS = (str, int, float, bool, type(None))
_BASE_TO_DICT = BaseAWSObject.to_dict
_HELPER_TO_DICT = AWSHelperFn.to_dict  # Ref, GetAtt, Sub, ...: `encode_to_dict(self.data)`


def template_dict(template: Template) -> dict[str, Any]:
    """`template.to_dict()`, faster: the same sections in the same order."""
    sections: dict[str, Any] = {}
    for key, value in (
        ("Description", template.description),
        ("Metadata", template.metadata),
        ("Conditions", template.conditions),
        ("Mappings", template.mappings),
        ("Outputs", template.outputs),
        ("Parameters", template.parameters),
        ("AWSTemplateFormatVersion", template.version),
        ("Transform", template.transform),
        ("Rules", template.rules),
        ("Globals", template.globals),
    ):
        if value:
            sections[key] = value
    sections["Resources"] = template.resources
    result: dict[str, Any] = plain(sections)
    # What ExemptedTemplate.to_dict() adds: the scanner exemptions in each resource's Metadata.
    return exemptions.annotate(result) if isinstance(template, ExemptedTemplate) else result


def plain(value: Any) -> Any:
    kind = type(value)  # the common exact types first: most values are plain already
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {key: plain(item) for key, item in value.items()}
    if kind is list:
        return [plain(item) for item in value]
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, BaseAWSObject) and type(value).to_dict is _BASE_TO_DICT:
        if value.do_validation:
            value._validate_props()
            value.validate()
        if value.properties:
            return plain(value.resource)
        if hasattr(value, "resource_type"):
            return {key: plain(item) for key, item in value.resource.items() if key != "Properties"}
        return {}
    if isinstance(value, AWSHelperFn) and type(value).to_dict is _HELPER_TO_DICT:
        return plain(value.data)  # what its to_dict() returns, without troposphere's walk per ancestor
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if hasattr(value, "JSONrepr"):
        return plain(value.JSONrepr())
    return value

"""Templates to deterministic YAML: fixed section order, resource attributes in CloudFormation's usual
order, every other mapping sorted, no timestamps. Same input, byte-identical output."""

from __future__ import annotations

from typing import Any

import yaml

SECTION_ORDER = (
    "AWSTemplateFormatVersion", "Transform", "Description", "Metadata", "Parameters", "Mappings", "Conditions",
    "Resources", "Outputs",
)  # fmt: skip
RESOURCE_ORDER = (
    "Type", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "Metadata",
    "Properties",
)  # fmt: skip
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Multi-line strings (VTL templates, scripts) as literal blocks, readable in reviews."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    first = [k for k in order if k in mapping]
    rest = sorted(k for k in mapping if k not in order)
    return {k: mapping[k] for k in (*first, *rest)}


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalize(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value


def normalize_template(template: dict[str, Any]) -> dict[str, Any]:
    out = _ordered(template, SECTION_ORDER)
    for section, body in out.items():
        if section == "Resources":
            out[section] = {
                lid: _ordered({k: _normalize(v) for k, v in res.items()}, RESOURCE_ORDER)
                for lid, res in sorted(body.items())
            }
        elif isinstance(body, dict):
            out[section] = {k: _normalize(body[k]) for k in sorted(body)}
    return out


def to_yaml(template: dict[str, Any]) -> str:
    return yaml.dump(
        normalize_template(template),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=10_000,
    )

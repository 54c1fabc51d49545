"""Templates to deterministic YAML: fixed section order, resource attributes in CloudFormation's usual
order, every other mapping sorted, no timestamps. Same input, byte-identical output."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

SECTION_ORDER = (
    "AWSTemplateFormatVersion", "Transform", "Description", "Metadata", "Parameters", "Mappings", "Conditions",
    "Resources", "Outputs",
)  # fmt: skip
RESOURCE_ORDER = (
    "Type", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "Metadata",
    "Properties",
)  # fmt: skip


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    first = [k for k in order if k in mapping]
    rest = sorted(k for k in mapping if k not in order)
    return {k: mapping[k] for k in (*first, *rest)}


def normalize_template(template: dict[str, Any]) -> dict[str, Any]:
    """Section and resource-attribute order; deeper mappings are sorted as they are written."""
    out = _ordered(template, SECTION_ORDER)
    resources = out.get("Resources")
    if isinstance(resources, dict):
        out["Resources"] = {lid: _ordered(res, RESOURCE_ORDER) for lid, res in sorted(resources.items())}
    return out


# --------------------------------------------------------------------------------------------------
# A small YAML emitter for template data (mappings, lists, strings, numbers, booleans, null): several
# times faster than PyYAML's representer on large platforms. A string is written plain only when it
# cannot be read back as anything else; otherwise it is quoted (single quotes, or JSON's double-quoted
# form, which is also valid YAML). Multi-line strings are literal blocks, readable in reviews.
# --------------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_/$(][A-Za-z0-9 _./:$()@=+,*-]*")
# Compared lower-cased: YAML 1.1 booleans and null, the merge key, the value key.
_RESERVED = frozenset(["y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "<<", "="])
# Line and paragraph separators are line breaks to YAML: escaped, so that a key holding one stays one line.
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_PRINTABLE = re.compile(r"[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        text = repr(value).lower()  # YAML 1.1 reads 1e-05 as a string: write 1.0e-05
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text
    if isinstance(value, int):
        return repr(value)
    raise TypeError(f"cannot render {type(value).__name__} in a template")


@functools.lru_cache(maxsize=1 << 16)  # keys and many values repeat across resources: checked once each
def _string(value: str) -> str:
    if (
        _PLAIN.fullmatch(value)
        and value[-1] != " "
        and ": " not in value
        and not value.endswith(":")
        and value.lower() not in _RESERVED
    ):
        return value
    printable = bool(_PRINTABLE.fullmatch(value))
    if "'" not in value and printable:
        return f"'{value}'"
    # JSON's escapes (\n, \uXXXX) are valid in YAML double-quoted strings. JSON escapes control characters
    # below 0x20; the other characters YAML cannot carry raw are escaped here (astral ones stay as they are,
    # since surrogate-pair escapes do not read back as one character).
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def _block(value: str, indent: str) -> list[str] | None:
    """A multi-line string as a literal block, when one can carry it exactly."""
    if "\n" not in value or not _PRINTABLE.fullmatch(value.replace("\n", "")) or value[:1] in (" ", "\n"):
        return None
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else None)
    if chomp is None or any(line.endswith(" ") for line in body.split("\n")):
        return None
    return ["|" + chomp] + [f"{indent}{line}" if line else "" for line in body.split("\n")]


def _emit_member(item: Any, indent: str, out: list[str], lead: str, child_indent: str, ordered: bool = False) -> None:
    """Append `item` after `lead` ("key:" or "-"); mappings are sorted unless `ordered` (already in order)."""
    if isinstance(item, str):
        block = _block(item, child_indent) if "\n" in item else None
        if block is not None:
            out.append(f"{lead} {block[0]}")
            out.extend(block[1:])
        else:
            out.append(f"{lead} {_string(item)}")
        return
    if isinstance(item, dict) and item:
        deeper = child_indent + "  "
        if lead.endswith("-"):
            # "- key: value" with the mapping's other keys aligned under the first.
            keys = sorted(item.items())
            first_key, first_value = keys[0]
            _emit_member(first_value, child_indent, out, f"{lead} {_string(first_key)}:", deeper)
            for key, value in keys[1:]:
                _emit_member(value, child_indent, out, f"{child_indent}{_string(key)}:", deeper)
            return
        out.append(lead)
        for key, value in item.items() if ordered else sorted(item.items()):
            _emit_member(value, child_indent, out, f"{child_indent}{_string(key)}:", deeper)
        return
    if isinstance(item, list) and item:
        out.append(lead)
        # Lists under a key are not indented further (PyYAML's layout); nested lists are.
        list_indent = child_indent[:-2] if lead.endswith(":") else child_indent
        dash, deeper = list_indent + "-", list_indent + "  "
        for element in item:
            _emit_member(element, list_indent, out, dash, deeper)
        return
    if isinstance(item, dict):
        out.append(f"{lead} {{}}")
    elif isinstance(item, list):
        out.append(f"{lead} []")
    else:
        out.append(f"{lead} {_scalar(item)}")


def dump(data: dict[str, Any]) -> str:
    """YAML for a normalized template: its sections and resources in the given order, the rest sorted."""
    out: list[str] = []
    for key, value in data.items():
        if key == "Resources" and isinstance(value, dict) and value:
            out.append("Resources:")
            for lid, resource in value.items():
                _emit_member(resource, "  ", out, f"  {_string(lid)}:", "    ", ordered=True)
        else:
            _emit_member(value, "", out, f"{_string(key)}:", "  ")
    return "\n".join(out) + "\n"


def to_yaml(template: dict[str, Any]) -> str:
    return dump(normalize_template(template))

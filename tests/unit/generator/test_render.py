"""The template YAML emitter: whatever it writes reads back as exactly the data it was given."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from template_gen import render

keys = st.text(min_size=1, max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["yes", "No", "on", "null", "~", "10.0.0.0/16", "2010-09-09", "0x1F", "1e3", "a: b", "#x",
                     "- item", "line\nline\n", "tail\n\n", "'quoted'", '"double"', " lead", "trail ", "", "=", "<<"]),
)  # fmt: skip
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, documents, max_size=5))
def test_any_document_round_trips(data: dict[str, Any]) -> None:
    text = render.dump(data)
    assert yaml.safe_load(text) == (data or None)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, documents, max_size=5))
def test_rendering_is_stable(data: dict[str, Any]) -> None:
    text = render.dump(data)
    assert render.dump(yaml.safe_load(text) or {}) == text


def test_templates_keep_section_and_resource_attribute_order() -> None:
    template = {
        "Resources": {"B": {"Properties": {"z": 1, "a": [{"y": 1, "b": 2}]}, "Type": "T", "DependsOn": ["A"]}, "A": {"Type": "T"}},
        "Description": "d",
        "AWSTemplateFormatVersion": "2010-09-09",
    }  # fmt: skip
    assert render.to_yaml(template) == (
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Description: d\n"
        "Resources:\n"
        "  A:\n"
        "    Type: T\n"
        "  B:\n"
        "    Type: T\n"
        "    DependsOn:\n"
        "    - A\n"
        "    Properties:\n"
        "      a:\n"
        "      - b: 2\n"
        "        'y': 1\n"
        "      z: 1\n"
    )


def test_multi_line_strings_are_literal_blocks() -> None:
    assert render.dump({"k": "one\ntwo\n"}) == "k: |\n  one\n  two\n"
    assert render.dump({"k": "one\ntwo"}) == "k: |-\n  one\n  two\n"


def test_line_separators_are_escaped_so_keys_stay_on_one_line() -> None:
    text = render.dump({"\u2028": "a\u2029b"})
    assert text == '"\\u2028": "a\\u2029b"\n'
    assert yaml.safe_load(text) == {"\u2028": "a\u2029b"}


def test_an_empty_resources_section_reads_back_as_a_mapping() -> None:
    assert render.dump({"Resources": {}}) == "Resources: {}\n"
    assert yaml.safe_load(render.dump({"Resources": {}})) == {"Resources": {}}

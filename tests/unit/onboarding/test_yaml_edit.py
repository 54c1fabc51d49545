"""Editing hand-written YAML changes only the lines the edit is about."""

from __future__ import annotations

import pytest

from template_gen.project_files import yaml_edit

REGISTRY = """\
# The registry.
platform: acme   # the platform name
environments:
  dev:
    network: {mode: create}
    services:
      - quoting   # the first one
      - 'pricing'

  # prod is the real thing
  prod:
    network: {mode: create}
    services: [quoting]
  test:
    network: {mode: create}
"""


def test_append_to_block_list_adds_one_line_after_the_last_item_before_blank_lines_and_comments() -> None:
    out = yaml_edit.append_to_list(REGISTRY, ["environments", "dev", "services"], "billing", "r.yaml")
    assert out == REGISTRY.replace("      - 'pricing'\n", "      - 'pricing'\n      - billing\n")


def test_append_to_flow_list_keeps_it_a_flow_list() -> None:
    out = yaml_edit.append_to_list(REGISTRY, ["environments", "prod", "services"], "billing", "r.yaml")
    assert out == REGISTRY.replace("services: [quoting]", "services: [quoting, billing]")


def test_append_to_a_missing_list_creates_it_at_the_mapping_indentation() -> None:
    out = yaml_edit.append_to_list(REGISTRY, ["environments", "test", "services"], "billing", "r.yaml")
    assert out == REGISTRY + "    services:\n      - billing\n"


def test_append_quotes_names_yaml_would_read_as_something_else() -> None:
    out = yaml_edit.append_to_list(REGISTRY, ["environments", "prod", "services"], "on", "r.yaml")
    assert "services: [quoting, 'on']" in out


def test_append_to_an_empty_value_writes_a_flow_list() -> None:
    text = "environments:\n  dev:\n    services:\n"
    assert yaml_edit.append_to_list(text, ["environments", "dev", "services"], "a", "r.yaml") == (
        "environments:\n  dev:\n    services: [a]\n"
    )


def test_append_refuses_a_list_layout_it_cannot_splice() -> None:
    text = "environments:\n  dev:\n    services:\n      -\n        quoting\n"
    with pytest.raises(yaml_edit.EditFailed) as caught:
        yaml_edit.append_to_list(text, ["environments", "dev", "services"], "a", "r.yaml")
    assert str(caught.value) == (
        "r.yaml: cannot edit environments.dev.services automatically (unusual layout); edit it by hand"
    )


SERVICE = """\
kind: ecs
image:
  tag: null               # no image yet

# Per-environment overrides
environments: {}
"""


def test_set_value_replaces_a_scalar_and_keeps_its_comment() -> None:
    out = yaml_edit.set_value(SERVICE, ["image", "tag"], "1.0", "s.yaml")
    assert out == SERVICE.replace("tag: null   ", "tag: '1.0'   ")


def test_set_value_turns_an_empty_flow_mapping_into_a_block() -> None:
    out = yaml_edit.set_value(SERVICE, ["environments", "dev", "image", "tag"], "1.4.2", "s.yaml")
    assert out == SERVICE.replace("environments: {}\n", "environments:\n  dev:\n    image:\n      tag: 1.4.2\n")


def test_set_value_adds_an_environment_next_to_the_existing_ones_and_then_replaces_in_place() -> None:
    first = yaml_edit.set_value(SERVICE, ["environments", "dev", "image", "tag"], "1", "s.yaml")
    second = yaml_edit.set_value(first, ["environments", "prod", "image", "tag"], "2", "s.yaml")
    third = yaml_edit.set_value(second, ["environments", "dev", "image", "tag"], "3", "s.yaml")
    assert third == SERVICE.replace(
        "environments: {}\n",
        "environments:\n  dev:\n    image:\n      tag: '3'\n  prod:\n    image:\n      tag: '2'\n",
    )


def test_set_value_inside_a_flow_mapping_stays_flow() -> None:
    text = "kind: ecs\nenvironments: {prod: {cpu: 512}}\n"
    assert yaml_edit.set_value(text, ["environments", "prod", "image", "tag"], "v1", "s.yaml") == (
        "kind: ecs\nenvironments: {prod: {cpu: 512, image: {tag: v1}}}\n"
    )


def test_set_value_appends_a_missing_top_level_key_at_the_end_with_the_files_indentation() -> None:
    text = "kind: ecs\napi:\n    base_path: /x\n# trailing comment\n"
    assert yaml_edit.set_value(text, ["environments", "dev", "image", "tag"], "v1", "s.yaml") == (
        "kind: ecs\napi:\n    base_path: /x\nenvironments:\n    dev:\n        image:\n            tag: v1\n"
        "# trailing comment\n"
    )


def test_set_value_refuses_to_replace_a_mapping_with_a_scalar() -> None:
    with pytest.raises(yaml_edit.EditFailed) as caught:
        yaml_edit.set_value(SERVICE, ["image"], "x", "s.yaml")
    assert str(caught.value) == "s.yaml: cannot edit image automatically (unusual layout); edit it by hand"


def test_insert_first_adds_a_key_above_the_first_one_below_the_leading_comments() -> None:
    out = yaml_edit.insert_first(REGISTRY, "version", 1, "r.yaml")
    assert out == REGISTRY.replace("# The registry.\n", "# The registry.\nversion: 1\n\n")


def test_insert_first_refuses_a_key_that_is_already_set() -> None:
    with pytest.raises(yaml_edit.EditFailed) as raised:
        yaml_edit.insert_first(REGISTRY, "platform", "x", "r.yaml")
    assert str(raised.value) == "r.yaml: platform is already set"

"""The repository's own files agree with the registry: samconfig sections, committed JSON Schemas."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from template_gen import naming
from template_gen.registry import schema

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = yaml.safe_load((ROOT / "services/registry.yaml").read_text())


@pytest.mark.parametrize("env", sorted(REGISTRY["environments"]))
def test_samconfig_has_a_section_per_environment(env: str) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())[env]
    region = REGISTRY["environments"][env].get("region", REGISTRY["region"])
    assert config["global"]["parameters"] == {
        "stack_name": naming.stack_name(REGISTRY["platform"], env),
        "region": region,
    }
    assert config["validate"]["parameters"]["template_file"] == f"build/{env}/template.yaml"
    assert config["build"]["parameters"]["template_file"] == f"build/{env}/template.yaml"
    assert config["build"]["parameters"]["build_dir"] == f".aws-sam/{env}"
    deploy = config["deploy"]["parameters"]
    assert deploy["template_file"] == f".aws-sam/{env}/template.yaml"
    assert deploy["capabilities"] == "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
    assert deploy["tags"] == f'platform="{REGISTRY["platform"]}" environment="{env}"'


def test_committed_schemas_are_up_to_date() -> None:
    for name, generated in (
        (schema.REGISTRY_SCHEMA, schema.registry_schema()),
        (schema.SERVICE_SCHEMA, schema.service_schema()),
    ):
        committed = (ROOT / schema.SCHEMA_DIR / name).read_text()
        assert committed == schema.render(generated), f"{name} is stale: run `make schema`"


def test_example_files_validate_against_their_schemas_and_point_at_them() -> None:
    files = [(ROOT / "services/registry.yaml", schema.REGISTRY_SCHEMA)]
    files += [(p, schema.SERVICE_SCHEMA) for p in sorted((ROOT / "services").glob("*/service.yaml"))]
    for path, schema_name in files:
        text = path.read_text()
        relative = "_schema" if path.parent.name == "services" else "../_schema"
        assert text.startswith(f"# yaml-language-server: $schema={relative}/{schema_name}\n"), path
        document = json.loads((ROOT / schema.SCHEMA_DIR / schema_name).read_text())
        jsonschema.validate(yaml.safe_load(text), document, cls=jsonschema.Draft202012Validator)


def test_schema_catches_a_misspelled_key_inside_an_override() -> None:
    document = schema.service_schema()
    service = yaml.safe_load((ROOT / "services/quoting/service.yaml").read_text())
    service["environments"]["prod"]["desired_cont"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(service, document, cls=jsonschema.Draft202012Validator)


def test_registry_reference_doc_is_up_to_date() -> None:
    from template_gen.registry import reference

    assert (ROOT / "docs/registry-reference.md").read_text() == reference.render(), "run `make docs`"

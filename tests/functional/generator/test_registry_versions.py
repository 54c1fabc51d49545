"""Registry format versions: `version:` at the top of registry.yaml, what this template-gen refuses, the
warning for a registry without one, and `template-gen migrate`, one test per version step."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from support import REGISTRY, make_project, run_cli

from template_gen.registry import migrate, schema, versions

# A version 0 registry as people write them: comments, blank lines, flow mappings.
V0_REGISTRY = """\
# yaml-language-server: $schema=_schema/registry.schema.json
#
# The platform registry.

platform: acme   # prefix of every name
region: eu-west-1

environments:
  dev:
    network: {mode: create, cidr: 10.20.0.0/16}
    services:
      - quoting
      - product-pricing
"""


def v0_project(tmp_path: Path) -> Path:
    return make_project(tmp_path, V0_REGISTRY)


def test_every_older_version_has_a_migration_step() -> None:
    assert sorted(migrate.STEPS) == list(range(versions.OLDEST, versions.CURRENT))


def test_step_0_to_1_adds_the_version_at_the_top_and_keeps_every_other_line() -> None:
    files = {"services/registry.yaml": V0_REGISTRY, "services/quoting/service.yaml": "kind: ecs\n"}
    out = migrate.STEPS[0](files)
    assert out["services/registry.yaml"] == V0_REGISTRY.replace(
        "# The platform registry.\n\nplatform:", "# The platform registry.\n\nversion: 1\n\nplatform:"
    )
    assert out["services/quoting/service.yaml"] == "kind: ecs\n"


def test_migrate_rewrites_a_version_0_registry_and_its_schemas(tmp_path: Path) -> None:
    project = v0_project(tmp_path)
    (project / "services/_schema").mkdir()
    (project / "services/_schema/registry.schema.json").write_text("{}\n")
    result = run_cli("migrate", project=project)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "updated services/_schema/registry.schema.json",
        "updated services/_schema/service.schema.json",
        "updated services/registry.yaml",
        "migrated the registry from format version 0 to 1",
        "next: review the changes (git diff), then template-gen synth --env ENV",
    ]
    text = (project / "services/registry.yaml").read_text()
    assert text.splitlines()[3:6] == ["", "version: 1", ""]
    saved = json.loads((project / "services/_schema/registry.schema.json").read_text())
    assert saved["$comment"] == "template-gen registry format version 1"
    # Once migrated there is nothing left to do.
    again = run_cli("migrate", project=project)
    assert again.out.splitlines() == ["the registry is already in format version 1; nothing to do"]


def test_a_registry_without_version_is_read_with_a_warning(tmp_path: Path) -> None:
    result = run_cli("synth", "--env", "dev", project=v0_project(tmp_path))
    assert result.code == 0
    assert (
        "warning: services/registry.yaml has no version: field (format version 0); the current format is 1: run "
        "`template-gen migrate` to upgrade it"
    ) in result.err.splitlines()
    validate = run_cli("validate", project=v0_project(tmp_path / "again"))
    assert validate.err.splitlines()[0] == (
        "warning: services/registry.yaml has no version: field (format version 0); the current format is 1: run "
        "`template-gen migrate` to upgrade it"
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            2,
            [
                "services/registry.yaml: version: the registry is in format version 2, newer than this template-gen "
                "(0.1.0) reads versions 0 to 1",
                "    hint: upgrade template-gen (pip install --upgrade template-gen); see docs/upgrading.md",
            ],
        ),
        (
            "1.0",
            [
                "services/registry.yaml: version: '1.0' is not a registry format version; this template-gen (0.1.0) "
                "reads versions 0 to 1",
                "    hint: set version: 1, or remove the field and run `template-gen migrate`",
            ],
        ),
    ],
    ids=["newer", "not-a-number"],
)
@pytest.mark.parametrize("command", ["validate", "synth", "migrate"])
def test_an_unknown_or_newer_version_is_refused_before_anything_else(
    tmp_path: Path, version: object, expected: list[str], command: str
) -> None:
    registry = copy.deepcopy(REGISTRY) | {"version": version, "a_field_of_the_future": True}
    args = ["--env", "dev"] if command == "synth" else []
    result = run_cli(command, *args, project=make_project(tmp_path, registry))
    assert result.code == 1
    assert result.err.splitlines()[:-1] == expected


def test_the_schemas_carry_the_format_version() -> None:
    assert schema.registry_schema()["$comment"] == "template-gen registry format version 1"
    assert schema.service_schema()["$comment"] == "template-gen registry format version 1"
    version = schema.registry_schema()["properties"]["version"]
    assert (version["minimum"], version["maximum"], version["default"]) == (0, 1, 0)

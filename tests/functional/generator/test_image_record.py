"""The image record (services/environments/<env>.images.json): synth --image-tag writes it, a plain synth
reads it, a flag overrides it, a stale entry is ignored and a broken file is named."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from support import run_cli
from synth_cases import CASES, copy_project

from template_gen import deployed_images
from template_gen.registry.validate import load_registry


def quoting_image(project: Path, env: str = "dev") -> object:
    compute = yaml.safe_load((project / f"build/{env}/compute.yaml").read_text())
    return compute["Resources"]["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]["Fn::Join"][
        1
    ][-1]


def test_an_image_tag_given_once_is_kept_by_later_synths(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path / "project")
    first = run_cli("synth", "--env", "dev", "--image-tag", "quoting=1.4.2", project=project)
    assert first.code == 0, first.err
    assert "note: recorded the image tags in services/environments/dev.images.json (commit it)" in first.err
    assert json.loads((project / "services/environments/dev.images.json").read_text()) == {
        "version": 1,
        "images": {"quoting": {"tag": "1.4.2"}},
    }
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    assert quoting_image(project) == "1.4.2"
    assert (
        run_cli(
            "synth", "--env", "dev", "--image-tag", "quoting=1.5.0", "--out", str(tmp_path / "x"), project=project
        ).code
        == 0
    )
    # A build written elsewhere leaves the project's record alone, as it leaves its placement
    assert deployed_images.read(project, "dev")["quoting"] == {"tag": "1.4.2"}
    assert run_cli("synth", "--env", "dev", "--image-tag", "quoting=1.5.0", project=project).code == 0
    assert deployed_images.read(project, "dev")["quoting"] == {"tag": "1.5.0"}
    # prod has its own record: nothing recorded there yet.
    assert run_cli("synth", "--env", "prod", project=project).code == 0
    assert quoting_image(project, "prod") == "no-image-yet"


def test_a_record_of_a_service_no_longer_enabled_is_ignored(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path / "project")
    deployed_images.record(project, "dev", {"retired": {"tag": "9"}, "platform-info": {"tag": "1"}})
    result = run_cli("synth", "--env", "dev", project=project)
    assert (result.code, result.err) == (0, "")


def test_a_broken_record_is_named(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path / "project")
    (project / "services/environments/dev.images.json").write_text('{"version": 1, "images": {"quoting": {"tag": 3}}}')
    result = run_cli("synth", "--env", "dev", project=project)
    assert (result.code, result.err) == (
        1,
        "error: services/environments/dev.images.json: images.quoting.tag: expected a string\n",
    )


def test_a_workers_recorded_tag_is_kept_by_a_plain_synth(tmp_path: Path) -> None:
    project = copy_project(CASES["example"].project, tmp_path / "project")
    record = {"version": 1, "images": {"quote-notifier": {"tag": "2.0.0"}}}
    (project / "services/environments/dev.images.json").write_text(json.dumps(record))
    assert deployed_images.recorded_tags(load_registry(project, ["dev"]), "dev") == {"quote-notifier": "2.0.0"}

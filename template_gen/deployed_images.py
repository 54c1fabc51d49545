"""The image each container service runs, per environment: `services/environments/<env>.images.json`.

`publish` (a build or a promotion) and `synth --image-tag` record the tag there, so a later plain `synth`
deploys the same image instead of going back to the service file's `image.tag`. Precedence, highest
first: `--image-tag`, this record, `image.tag` in the service file. Commit the file, like the placement
file beside it.

    {"version": 1, "images": {"quoting": {"tag": "1.4.2", "digest": "sha256:..."}}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from template_gen.errors import UsageError
from template_gen.project_files.transaction import FileTransaction
from template_gen.registry.validate import ValidRegistry

FOLDER = "services/environments"
VERSION = 1


def rel_path(env_name: str) -> str:
    return f"{FOLDER}/{env_name}.images.json"


def read(project_dir: Path, env_name: str) -> dict[str, dict[str, str]]:
    """{service: {"tag": ..., "digest": ...}}; {} when nothing is recorded."""
    rel = rel_path(env_name)
    path = project_dir / rel
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{rel}: not valid JSON ({exc}); fix it or delete it and publish again") from exc
    images = data.get("images") if isinstance(data, dict) else None
    if data.get("version") != VERSION or not isinstance(images, dict):
        raise UsageError(f'{rel}: expected {{"version": {VERSION}, "images": {{SERVICE: {{"tag": ...}}}}}}')
    out: dict[str, dict[str, str]] = {}
    for name, entry in images.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("tag"), str):
            raise UsageError(f"{rel}: images.{name}.tag: expected a string")
        out[str(name)] = {k: str(v) for k, v in entry.items() if isinstance(v, str)}
    return out


def recorded_tags(valid: ValidRegistry, env_name: str) -> dict[str, str]:
    """The recorded tags of the environment's enabled container services (a record of a service that was
    disabled or became a Lambda service is ignored, not an error)."""
    ecs = {s.name for s in valid.environments[env_name].services if s.model.kind != "lambda"}  # ecs, worker
    return {name: entry["tag"] for name, entry in read(valid.project_dir, env_name).items() if name in ecs}


def updated_text(project_dir: Path, env_name: str, images: Mapping[str, Mapping[str, str]]) -> str | None:
    """The record with `images` ({service: {"tag", "digest"?}}) merged in, or None when nothing changes. A new
    tag without a digest drops the old digest (it belonged to the old tag)."""
    current = read(project_dir, env_name)
    merged = dict(current)
    for name, entry in images.items():
        merged[name] = {k: v for k, v in entry.items() if v}
    if merged == current:
        return None
    return _dump({"version": VERSION, "images": {k: dict(sorted(v.items())) for k, v in sorted(merged.items())}})


def record(project_dir: Path, env_name: str, images: Mapping[str, Mapping[str, str]]) -> bool:
    """Merge `images` into the record on disk (publish); True when the file changed."""
    text = updated_text(project_dir, env_name, images)
    if text is None:
        return False
    tx = FileTransaction(project_dir)
    rel = rel_path(env_name)
    if (project_dir / rel).exists():
        tx.replace(rel, text)
    else:
        tx.create(rel, text)
    return True


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"

"""The two sides of `template-gen diff`: the templates synth would write now (rendered in memory, nothing
written), and the earlier build named by `--against`: a folder, or a git revision.

`build/` is git-ignored, so at a revision the build is usually not there: then that revision's
`services/` and `functions/` are extracted to a temporary folder and synthesized with this template-gen
(synth is deterministic, so this is the build that revision produced, as long as the generator has not
changed since). When a project does commit `build/<env>/`, that is used as it is.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from template_gen import lookup
from template_gen.errors import RegistryError, TemplateGenError, UsageError
from template_gen.pipeline import ROOT_FILE, load_registry, placed_spec, render
from template_gen.registry.validate import ValidRegistry
from template_gen.review.templates import Build, from_folder, from_rendered
from template_gen.stacks.common import RenderContext

Kind = Literal["folder", "git-build", "git-synth"]


@dataclass(frozen=True)
class Earlier:
    kind: Kind
    label: str  # the folder or revision as the user gave it
    commit: str  # full commit id for git kinds, "" for a folder
    description: str  # for the heading: "build/dev/ as committed at HEAD~1 (1a2b3c4)"
    build: Build


def _offline(env_name: str) -> Callable[[str], Any]:
    return lookup.offline(
        f"environment '{env_name}': its network lookup is not cached, and diff never calls AWS; "
        f"run `template-gen synth --env {env_name}` once with credentials, then commit the cache"
    )


def rendered_build(valid: ValidRegistry, env_name: str, image_tags: Mapping[str, str] | None = None) -> Build:
    """What `template-gen synth --env ENV` would write to build/ENV of `valid`'s project, without writing it."""
    spec = placed_spec(valid, env_name, image_tags, _offline(env_name))
    build = render(spec, RenderContext(valid.project_dir))
    return from_rendered(build.stacks, build.files)


def earlier_build(project_dir: Path, env_name: str, against: str, cwd: Path | None = None) -> Earlier:
    """Resolve `--against`: an existing folder wins; anything else must be a git revision."""
    folder = (cwd or Path.cwd()) / against
    if folder.is_dir():
        return Earlier("folder", against, "", f"the build in {against}", from_folder(folder, against))
    if folder.exists():
        raise UsageError(f"--against {against}: is a file; pass the folder that holds {ROOT_FILE} (or a git revision)")
    return _from_git(project_dir, env_name, against)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def _from_git(project_dir: Path, env_name: str, ref: str) -> Earlier:
    inside = _git(project_dir, "rev-parse", "--show-toplevel", "--show-prefix")
    if inside.returncode != 0:
        raise UsageError(f"--against {ref}: no such folder, and the project is not in a git repository")
    # Every later git command runs at the top of the repository, with paths from there.
    top, prefix = [*inside.stdout.decode().splitlines(), ""][:2]  # prefix: the project's folder, "" at the top
    repo = Path(top)
    found = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise UsageError(f"--against {ref}: no such folder, and not a revision of this git repository")
    commit = found.stdout.decode().strip()
    short = commit[:7]
    build_dir = f"{prefix}build/{env_name}"
    if _exists(repo, commit, f"{build_dir}/{ROOT_FILE}"):
        with tempfile.TemporaryDirectory(prefix="template-gen-diff-") as tmp:
            _extract(repo, commit, [build_dir], Path(tmp))
            build = from_folder(Path(tmp) / build_dir, f"{ref}:build/{env_name}")
        where = f"build/{env_name}/ as committed at {ref} ({short})"
        return Earlier("git-build", ref, commit, where, build)
    if not _exists(repo, commit, f"{prefix}services/registry.yaml"):
        raise UsageError(
            f"--against {ref}: {ref} ({short}) has neither build/{env_name}/ nor services/registry.yaml, "
            "so there is nothing to compare with"
        )
    parts = [f"{prefix}{p}" for p in ("services", "functions") if _exists(repo, commit, f"{prefix}{p}")]
    with tempfile.TemporaryDirectory(prefix="template-gen-diff-") as tmp:
        _extract(repo, commit, parts, Path(tmp))
        old_project = Path(tmp) / prefix
        try:
            valid = load_registry(old_project, [env_name])
        except RegistryError as exc:
            problems = "\n".join(str(p) for p in exc.problems)
            raise TemplateGenError(
                f"--against {ref}: the registry at {ref} ({short}) does not validate with this template-gen, "
                f"so its build cannot be reproduced:\n{problems}"
            ) from exc
        build = rendered_build(valid, env_name)
    where = f"{ref} ({short}), synthesized from its services/ and functions/ (build/{env_name}/ is not committed there)"
    return Earlier("git-synth", ref, commit, where, build)


def _exists(repo: Path, commit: str, path: str) -> bool:
    listed = _git(repo, "ls-tree", "--name-only", commit, "--", path)
    return listed.returncode == 0 and bool(listed.stdout.strip())


def _extract(repo: Path, commit: str, paths: Sequence[str], target: Path) -> None:
    archive = _git(repo, "archive", "--format=tar", commit, "--", *paths)
    if archive.returncode != 0:
        raise TemplateGenError(f"git archive {commit[:7]} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")

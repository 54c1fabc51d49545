"""template-gen as users get it: the wheel built with `python -m build`, installed with pip into a fresh
virtual environment, then `template-gen init`, `synth` and cfn-lint from an empty folder, outside this
repository.

Offline on purpose. The wheel is built with `--no-isolation` (the build backend pinned in the dev extras,
no download). The fresh venv gets template-gen from the wheel only (`pip install --no-deps --no-index`);
its dependencies come from this test's own environment through a `.pth` line naming that environment's
site-packages. `--system-site-packages` would not do: this environment is itself a venv, and that flag
exposes the base interpreter's packages, not the venv's. A plain path line in a `.pth` file adds the folder
after the new venv's own site-packages and does not run that folder's `.pth` files, so the editable install
of this checkout stays out of the way: the test asserts that template_gen is imported from the wheel."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from support import lint_matches

from template_gen import platform_code

REPO = Path(__file__).resolve().parents[3]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "template_gen", "functions")


def run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_installs_into_a_fresh_venv_and_builds_a_new_platform(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_CONSTRAINT")}
    # GIVEN the package's sources, copied so the build leaves nothing in the checkout
    src = tmp_path / "src"
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    # WHEN the sdist and the wheel are built, and the wheel installed into a fresh venv
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp_path / "dist", src], tmp_path, env)
    wheels = sorted((tmp_path / "dist").glob("template_gen-*.whl"))
    assert [w.name for w in wheels] == ["template_gen-0.1.0-py3-none-any.whl"]
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path, env)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheels[0]], tmp_path, env)
    venv_site = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path, env).strip()
    )
    (venv_site / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    # THEN template-gen runs from the wheel, with the platform functions inside it
    where = run([python, "-c", "import template_gen; print(template_gen.__file__)"], tmp_path, env).strip()
    assert Path(where) == venv_site / "template_gen" / "__init__.py"
    packaged = venv_site / "template_gen" / "platform_functions"
    assert sorted(p.name for p in packaged.iterdir() if p.is_dir()) == sorted(platform_code.PACKAGED_FUNCTIONS)

    # AND from an empty folder: init, synth (the new repository's Makefile), cfn-lint
    empty = tmp_path / "work"
    empty.mkdir()
    template_gen = venv / "bin" / "template-gen"
    run([template_gen, "init", "shop", "--platform", "shop"], empty, env)
    project = empty / "shop"
    # `make synth` synthesizes every environment of the registry with the installed template-gen.
    run(["make", "synth", f"TEMPLATE_GEN={template_gen}", f"PYTHON={python}"], project, env)
    for env_name in ("dev", "prod"):
        templates = sorted((project / "build" / env_name).glob("*.yaml"))
        assert [t.name for t in templates] == [
            "api-stage.yaml",
            "api.yaml",
            "compute.yaml",
            "network.yaml",
            "observability.yaml",
            "template.yaml",
        ]
        for template in templates:
            assert lint_matches(template.read_text()) == [], template.name
        for name in platform_code.PLATFORM_FUNCTIONS:
            built = project / "build" / env_name / "functions" / name / "app.py"
            assert built.read_text() == (REPO / "functions" / name / "app.py").read_text()
    assert not (project / "functions").exists()

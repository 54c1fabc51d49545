"""`python -m template_gen.registry.environments`: the registry's environment names, one a line (the
Makefile's synth target takes its environments from here)."""

from __future__ import annotations

import sys
from pathlib import Path

from template_gen.registry.loader import REGISTRY_FILE, find_project_dir, read_yaml


def names(project_dir: Path) -> list[str]:
    data = read_yaml(project_dir, REGISTRY_FILE).data
    environments = data.get("environments") if isinstance(data, dict) else None
    return [str(name) for name in environments] if isinstance(environments, dict) else []


def main() -> int:
    project_dir = find_project_dir(Path.cwd())
    if project_dir is None:
        print(f"no {REGISTRY_FILE} in the current folder or any parent", file=sys.stderr)
        return 1
    print("\n".join(names(project_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

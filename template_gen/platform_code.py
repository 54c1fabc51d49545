"""The platform functions' code: shipped inside the package, overridable by the project.

The platform Lambdas (the API key validator, onboarding, and the JWT authorizer that `auth: jwt` routes
use) ship with template-gen as package data, so a platform repository needs no `functions/` of its own. A
project that has `functions/<name>/` overrides the packaged copy of that function with its own code."""

from __future__ import annotations

from pathlib import Path

# Folder names under functions/ that are also the keys of `platform_functions:` in the registry.
PLATFORM_FUNCTIONS: tuple[str, ...] = ("api_key_validator", "onboarding")
# Every function folder shipped inside the package: the platform functions, and the JWT authorizer (one
# per `authorizers:` entry of type jwt in use). setup.py reads this tuple.
PACKAGED_FUNCTIONS: tuple[str, ...] = ("api_key_validator", "onboarding", "jwt_authorizer")
PACKAGED_DIR = "platform_functions"  # template_gen/platform_functions/<name> in an installed package


def packaged_root() -> Path:
    """Where the packaged functions are: inside the installed package, or, when template-gen runs from
    its source checkout, that checkout's functions/."""
    here = Path(__file__).resolve().parent
    installed = here / PACKAGED_DIR
    return installed if installed.is_dir() else here.parent / "functions"


def project_override(project_dir: Path, name: str) -> Path | None:
    """The project's own `functions/<name>`, when it has one."""
    folder = project_dir / "functions" / name
    return folder if folder.is_dir() else None


def source_of(project_dir: Path, code_dir: str) -> Path:
    """The folder a function's code is copied from: the project's `code_dir` when it exists, else, for a
    packaged function, the packaged copy."""
    own = project_dir / code_dir
    parts = Path(code_dir).parts
    if own.is_dir() or len(parts) != 2 or parts[0] != "functions" or parts[1] not in PACKAGED_FUNCTIONS:
        return own
    return packaged_root() / parts[1]

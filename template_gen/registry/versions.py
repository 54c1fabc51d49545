"""The registry's format version: `version:` at the top of services/registry.yaml.

A registry written for a newer template-gen is refused before anything else is read, with the version it
needs, rather than failing field by field. A registry without `version:` is version 0, the format before
versions existed: it is read (versions 0 and 1 differ only by the field) with a warning that
`template-gen migrate` adds it."""

from __future__ import annotations

from typing import Any

from template_gen import __version__
from template_gen.errors import Problem
from template_gen.registry.loader import REGISTRY_FILE

CURRENT = 1  # the format this template-gen writes (init) and migrates to
OLDEST = 0  # a registry without `version:`
FIELD = "version"


def declared(data: dict[str, Any]) -> Any:
    """The version the file declares: 0 when it has no `version:` field."""
    return data.get(FIELD, OLDEST)


def problem(data: dict[str, Any]) -> Problem | None:
    """Why this template-gen cannot read the registry's format, if it cannot."""
    version = declared(data)
    readable = f"this template-gen ({__version__}) reads versions {OLDEST} to {CURRENT}"
    if isinstance(version, bool) or not isinstance(version, int) or version < OLDEST:
        return Problem(
            REGISTRY_FILE,
            FIELD,
            f"{version!r} is not a registry format version; {readable}",
            f"set {FIELD}: {CURRENT}, or remove the field and run `template-gen migrate`",
        )
    if version > CURRENT:
        return Problem(
            REGISTRY_FILE,
            FIELD,
            f"the registry is in format version {version}, newer than {readable}",
            "upgrade template-gen (pip install --upgrade template-gen); see docs/upgrading.md",
        )
    return None


def warning(version: int) -> str | None:
    """An older format is read as it is, with a note that `migrate` brings it up to date."""
    if version >= CURRENT:
        return None
    given = f"is in format version {version}"
    if version == OLDEST:
        given = f"has no {FIELD}: field (format version {OLDEST})"
    return f"{REGISTRY_FILE} {given}; the current format is {CURRENT}: run `template-gen migrate` to upgrade it"

"""Typed errors. Every user-facing failure is one of these; anything else is an internal error (exit 2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the user's input, located by file and field path."""

    file: str
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        text = where + self.message
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class TemplateGenError(Exception):
    """Base class: a problem the user can fix. The CLI prints it and exits with 1."""


class RegistryError(TemplateGenError):
    """The registry is invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        body = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{body}\n{count} {noun} found in the registry")


class UsageError(TemplateGenError):
    """A command-line flag or argument is wrong."""


class LookupFailed(TemplateGenError):
    """A network lookup (describe VPCs/subnets) could not be done or gave an unusable answer."""


class AwsError(TemplateGenError):
    """An AWS call made on the user's behalf (review, publish) failed in a way the user must act on."""

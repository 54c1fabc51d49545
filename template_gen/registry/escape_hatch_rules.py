"""Rules on the escape hatches that need no built template (the rest is checked once the templates are
built, in template_gen/escape_hatches/apply.py)."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen.registry.context import EnvironmentContext
from template_gen.registry.rules import Finding


def registry_patches_take_their_stack_from_the_key(ctx: EnvironmentContext) -> Iterator[Finding]:
    """In registry.yaml a patch's stack is its key (`overrides.network`); `stage:` is for service files."""
    for stage, ops in ctx.env.overrides.items():
        for index, op in enumerate(ops):
            if op.stage is not None:
                yield Finding(
                    ("overrides", stage, index, "stage"),
                    f"the stack is the key here ('{stage}'); stage: is for the overrides of a service file",
                    "remove stage:, or move the patch under the key of the stack to patch",
                )

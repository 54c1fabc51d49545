"""Checks that run on a reviewed change set before `deploy` executes it.

A check takes every stack's changes (root first, then each nested change set, as `review` reads them) and
returns refusals: one sentence each, naming the stack and resource. Any refusal stops the deploy before
execution, and the change set is deleted. Add a check by appending it to `PRE_EXECUTE_CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from template_gen.review.model import StackChanges

PreExecuteCheck = Callable[[Sequence[StackChanges]], Iterable[str]]

PRE_EXECUTE_CHECKS: tuple[PreExecuteCheck, ...] = ()


def refusals(stacks: Sequence[StackChanges], checks: Sequence[PreExecuteCheck] = PRE_EXECUTE_CHECKS) -> list[str]:
    return [refusal for check in checks for refusal in check(stacks)]

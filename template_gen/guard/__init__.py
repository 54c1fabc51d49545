"""No data lost on an update: the stateful resource types (`stateful`), the guard that refuses a change
replacing, deleting or moving one of them (`check`), and the stack policies that make CloudFormation
refuse it too (`policy`, set on deployed stacks by `apply`)."""

from __future__ import annotations

from template_gen.guard.check import ALLOW_FLAG, EXIT_DATA_LOSS, Kept, Refusal, Verdict, assess, check
from template_gen.guard.policy import policy_body, stack_policy
from template_gen.guard.stateful import STATEFUL, Stateful

__all__ = [
    "ALLOW_FLAG",
    "EXIT_DATA_LOSS",
    "STATEFUL",
    "Kept",
    "Refusal",
    "Stateful",
    "Verdict",
    "assess",
    "check",
    "policy_body",
    "stack_policy",
]

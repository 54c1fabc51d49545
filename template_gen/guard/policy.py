"""Stack policies that make CloudFormation itself refuse to replace or delete a stateful resource.

A stack policy is CloudFormation's own fail-safe for updates: once a stack has one, every update action
it does not allow is denied, and an update that needs a denied action fails and rolls back. The policy
here allows everything (`Update:*`) except `Update:Replace` and `Update:Delete` on the stateful types
(`guard.stateful`), matched by the `ResourceType` condition, so a stateful resource added later is
protected without a new policy. A policy protects only the resources of its own stack: every nested stack
needs its own.

For one update that is allowed to lose data, the same policy with the allowed logical ids left out
(`NotResource`) is the temporary policy: `StackPolicyDuringUpdateBody` of UpdateStack, or, for a change
set (ExecuteChangeSet takes no policy), set before the execution and put back afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from template_gen.errors import UsageError
from template_gen.guard.stateful import STATEFUL

DENIED_ACTIONS = ("Update:Replace", "Update:Delete")
POLICY_BODY_MAX = 16_384  # SetStackPolicy's StackPolicyBody and UpdateStack's StackPolicyDuringUpdateBody


def protected_types() -> tuple[str, ...]:
    """The stateful types as a deployed stack names them: the SAM transform has already turned
    `AWS::Serverless::*` into CloudFormation types when a policy is evaluated."""
    return tuple(sorted(t for t in STATEFUL if not t.startswith("AWS::Serverless::")))


def stack_policy(exempt: Iterable[str] = ()) -> dict[str, Any]:
    """The policy for a stack; `exempt` logical ids may be replaced or deleted (one update's override)."""
    deny: dict[str, Any] = {"Effect": "Deny", "Action": list(DENIED_ACTIONS), "Principal": "*"}
    ids = sorted(set(exempt))
    # A statement with neither Resource nor NotResource matches nothing, so its Condition never applies
    # and the Deny protects nothing (serverless/serverless#5012).
    if ids:
        deny["NotResource"] = [f"LogicalResourceId/{lid}" for lid in ids]
    else:
        deny["Resource"] = "*"
    deny["Condition"] = {"StringEquals": {"ResourceType": list(protected_types())}}
    # Without an explicit Allow, a stack policy denies every update of every resource.
    allow = {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
    return {"Statement": [allow, deny]}


def policy_body(exempt: Iterable[str] = ()) -> str:
    """`stack_policy` as the JSON text SetStackPolicy and UpdateStack take."""
    body = json.dumps(stack_policy(exempt), indent=2)
    if len(body.encode("utf-8")) > POLICY_BODY_MAX:
        raise UsageError(
            f"the stack policy that lets {len(set(exempt))} resources through is {len(body):,} bytes, over "
            f"CloudFormation's {POLICY_BODY_MAX:,}; allow fewer --allow-data-loss ids in one update"
        )
    return body

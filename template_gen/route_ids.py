"""Logical IDs of API resources: stable and injective.

A resource's ID is its camel-cased path (`/orders/v1` -> `OrdersV1`), which is not injective: `/orders-v1`,
`/orders_v1` and `/orders.v1` give the same words. When two paths of one API want the same fragment, the
later one gets a suffix from the hash of its path. Which one is "later" must never change once deployed:
renaming a deployed resource makes CloudFormation create a second resource with the same path under the
same parent, which API Gateway rejects ("Another resource with the same parent already has this name").

So the fragments are recorded in the placement file, per API, and a recorded path keeps its fragment for
as long as it exists. A new path takes its plain fragment when no recorded path and no path of its route
stack has it, else the hashed one. Without a record (a platform generated before this rule), the fragments
come out as they always did: plain, with a hash for the later of two paths in the same route stack.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from template_gen import naming

ROOT = "/"
PROXY = "{proxy+}"


def plain(path: str) -> str:
    """`/orders/v1/{proxy+}` -> `OrdersV1Proxy`; the API's root `/` -> `Root`."""
    if path == ROOT:
        return "Root"
    return naming.camel(*(("proxy" if part == PROXY else part) for part in path.strip("/").split("/")))


def hashed(path: str, length: int = 6) -> str:
    return plain(path) + hashlib.sha256(path.encode()).hexdigest()[:length]


def assign(
    paths: Iterable[tuple[str, int]], previous: Mapping[str, str], recorded: Iterable[str] = ()
) -> dict[str, str]:
    """Fragments of one API's resources. `paths`: (path, route stack) in the order the builders create them;
    `previous`: the recorded fragment of each path; `recorded`: every fragment recorded for this API.
    Returns a fragment for each current path (a removed path's record is dropped with it)."""
    out: dict[str, str] = {}
    taken_everywhere = set(recorded) | set(previous.values())
    taken_in_stack: dict[int, set[str]] = {}
    pending: dict[str, int] = {}  # path -> its stack, in order
    for path, stack in paths:
        if path in out or path in pending:
            continue
        if path in previous:
            out[path] = previous[path]
            taken_in_stack.setdefault(stack, set()).add(previous[path])
        else:
            pending[path] = stack
    # Without any record (the first synth, or a platform generated before the record), a fragment only
    # has to be unique in its route stack, as it always was; from then on, in the whole API.
    legacy = not taken_everywhere
    assigned = set(out.values())
    for path, stack in pending.items():
        in_stack = taken_in_stack.setdefault(stack, set())
        fragment, length = plain(path), 6
        # the hash suffix grows until it is free: the result stays injective
        while fragment in taken_everywhere or fragment in in_stack or (not legacy and fragment in assigned):
            fragment = hashed(path, length)
            length += 2
        out[path] = fragment
        in_stack.add(fragment)
        assigned.add(fragment)
    return out

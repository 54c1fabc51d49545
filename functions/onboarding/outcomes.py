"""Failed or unknown: what a write that answered with an error really did.

A write can take effect and still answer with an error: the response is lost (a read timeout after
the commit), or botocore retries a call that had committed and the retry conflicts with the first
attempt's own effect. So an error never means "nothing happened" by itself. `confirm` runs the write
and, on any error, reads the state back (consistent reads only) and decides:

- the effect is there: the step is done (a warning is logged, the caller goes on);
- the effect is not there: `StepFailed`, and it is safe to undo what came before;
- the read-back fails too: `StepUnknown`, and nothing that might now be referenced may be undone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

T = TypeVar("T")

logger = Logger(child=True)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, (StepFailed, StepUnknown)):
        return exc.code
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(exc).__name__))


class StepFailed(Exception):
    """The write did not take effect (read back and confirmed)."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"{step} failed ({error_code(cause)})")
        self.step = step
        self.code = error_code(cause)


class StepUnknown(Exception):
    """The write answered an error and the state could not be read back: it may or may not be done."""

    def __init__(self, step: str, cause: BaseException, read_error: BaseException) -> None:
        super().__init__(f"{step}: outcome unknown ({error_code(cause)}, then {error_code(read_error)} reading back)")
        self.step = step
        self.code = error_code(cause)
        self.read_code = error_code(read_error)


def confirm(step: str, write: Callable[[], T], read_back: Callable[[], T | None], **log: Any) -> T:
    """`write()`; on an error, `read_back()` decides: a value (not None) means the write is done
    and is returned in place of the lost answer, None means it did not happen."""
    try:
        return write()
    except Exception as exc:
        try:
            found = read_back()
        except Exception as read_exc:
            logger.error(
                "write outcome unknown",
                extra={"step": step, "error": error_code(exc), "read_error": error_code(read_exc), **log},
            )
            raise StepUnknown(step, exc, read_exc) from exc
        if found is None:
            raise StepFailed(step, exc) from exc
        logger.warning("write answered an error but took effect", extra={"step": step, "error": error_code(exc), **log})
        return found

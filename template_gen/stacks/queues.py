"""An SQS queue with its dead-letter queue: what a Lambda service's queue event and a worker's own queue
both create (the same encryption, retention and redrive)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from troposphere import GetAtt, sqs

from template_gen.spec import EnvironmentSpec
from template_gen.stacks import encryption
from template_gen.stacks.common import StackBuilder

DEAD_LETTER_RETENTION_SECONDS = 14 * 86400


def with_dead_letters(
    b: StackBuilder,
    env: EnvironmentSpec,
    key: str,
    tags: Iterable[tuple[str, str]],
    visibility_timeout: int,
    options: Any,
) -> tuple[sqs.Queue, sqs.Queue]:
    """`<key>Queue` and `<key>DeadLetterQueue`; `options` carries fifo, retention_days and max_receive_count."""
    tags = tuple(tags)
    encrypted = encryption.queue_properties(env)
    fifo = {"FifoQueue": True} if options.fifo else {}
    dead_letters = b.add(
        sqs.Queue(
            f"{key}DeadLetterQueue",
            MessageRetentionPeriod=DEAD_LETTER_RETENTION_SECONDS,
            **encrypted,
            **fifo,
        ),
        tags,
    )
    queue = b.add(
        sqs.Queue(
            f"{key}Queue",
            VisibilityTimeout=visibility_timeout,
            MessageRetentionPeriod=options.retention_days * 86400,
            **encrypted,
            RedrivePolicy=sqs.RedrivePolicy(
                deadLetterTargetArn=GetAtt(dead_letters, "Arn"), maxReceiveCount=options.max_receive_count
            ),
            **fifo,
        ),
        tags,
    )
    return queue, dead_letters

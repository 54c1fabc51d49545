"""Waiting on a change set or a stack: one line per status change, a bounded number of reads, and AWS
errors reported with what was being read."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from template_gen.errors import AwsError
from template_gen.review import changeset
from template_gen.review.changeset import Polling


class Cfn:
    """Answers describe_change_set / describe_stacks with the next status (the last one repeats)."""

    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.reads = 0

    def _next(self) -> str:
        self.reads += 1
        return self.statuses[min(self.reads, len(self.statuses)) - 1]

    def describe_change_set(self, ChangeSetName: str) -> dict[str, Any]:
        return {"ChangeSetName": ChangeSetName, "Status": self._next()}

    def execute_change_set(self, ChangeSetName: str) -> None:
        pass

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "StackStatus": self._next()}]}


def polling(sleeps: list[float], max_polls: int = 4) -> Polling:
    return Polling(delay=2.0, max_polls=max_polls, sleep=sleeps.append)


def test_waiting_for_a_change_set_says_each_status_once_and_sleeps_between_reads() -> None:
    said: list[str] = []
    sleeps: list[float] = []
    cfn = Cfn(["CREATE_PENDING", "CREATE_PENDING", "CREATE_COMPLETE"])
    response = changeset.wait_created(cfn, "cs-id", "cs", said.append, polling(sleeps))
    assert response == {"ChangeSetName": "cs-id", "Status": "CREATE_COMPLETE"}
    assert said == ["change set cs: CREATE_PENDING", "change set cs: CREATE_COMPLETE"]
    assert sleeps == [2.0, 2.0]


def test_a_change_set_that_never_settles_stops_after_max_polls() -> None:
    sleeps: list[float] = []
    cfn = Cfn(["CREATE_IN_PROGRESS"])
    with pytest.raises(AwsError) as caught:
        changeset.wait_created(cfn, "cs-id", "cs", lambda _line: None, polling(sleeps, max_polls=3))
    assert str(caught.value) == "change set cs is still CREATE_IN_PROGRESS after 3 checks"
    assert (cfn.reads, sleeps) == (3, [2.0, 2.0])


def test_an_unreadable_change_set_names_what_could_not_be_read() -> None:
    class Failing(Cfn):
        def describe_change_set(self, ChangeSetName: str) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeChangeSet")

    with pytest.raises(AwsError, match=r"^could not read change set cs: "):
        changeset.wait_created(Failing([]), "cs-id", "cs", lambda _line: None, polling([]))


def test_an_execution_that_never_settles_stops_after_max_polls() -> None:
    said: list[str] = []
    cfn = Cfn(["UPDATE_IN_PROGRESS"])
    with pytest.raises(AwsError) as caught:
        changeset.execute(cfn, "cs-id", "stack-id", "acme-dev", said.append, polling([], max_polls=2))
    assert str(caught.value) == "stack acme-dev is still UPDATE_IN_PROGRESS after 2 checks"
    assert said == ["stack acme-dev: UPDATE_IN_PROGRESS"]

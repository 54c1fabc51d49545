"""guard.apply against a stubbed CloudFormation client: the override before one update, the standing
policy after it, and an update's own error kept when the policy cannot be put back."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from template_gen.errors import AwsError
from template_gen.guard.apply import run_protected
from template_gen.guard.check import Refusal, Verdict
from template_gen.guard.policy import policy_body

ROOT = "arn:aws:cloudformation:eu-west-1:123456789012:stack/acme-dev/1a2b3c40-c9a1-11ef-9d2e-0a1b2c3d4e5f"
COMPUTE = "acme-dev-ComputeStack-1OX1E2C4JT3DH"
ALLOWED = Refusal("ComputeStack", "ComputeStack", "QuotingLogGroup", "AWS::Logs::LogGroup", "replace")


def test_a_failed_update_keeps_its_error_when_the_standing_policy_cannot_be_put_back() -> None:
    cfn = boto3.client("cloudformation", region_name="eu-west-1")
    said: list[str] = []
    with Stubber(cfn) as stub:
        stub.add_response("set_stack_policy", {}, {"StackName": ROOT, "StackPolicyBody": policy_body()})
        stub.add_response(
            "set_stack_policy", {}, {"StackName": COMPUTE, "StackPolicyBody": policy_body(["QuotingLogGroup"])}
        )
        stub.add_client_error(
            "list_stack_resources", "Throttling", "Rate exceeded", 400, expected_params={"StackName": ROOT}
        )

        def update() -> str:
            raise AwsError("stack acme-dev ended UPDATE_ROLLBACK_COMPLETE")

        with pytest.raises(AwsError, match=r"^stack acme-dev ended UPDATE_ROLLBACK_COMPLETE$"):
            run_protected(
                cfn, ROOT, [("", ROOT), ("ComputeStack", COMPUTE)], Verdict(allowed=(ALLOWED,)), update, said.append
            )
        stub.assert_no_pending_responses()
    assert said == [
        f"warning: could not list the resources of stack {ROOT}: An error occurred (Throttling) when calling the "
        "ListStackResources operation: Rate exceeded"
    ]

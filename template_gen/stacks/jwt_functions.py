"""The Lambda REQUEST authorizers of `auth: jwt` (functions/jwt_authorizer), one per JWT authorizer of the
environment that a route uses, in the first compute shard beside the platform's other functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from troposphere import GetAtt

from template_gen import naming
from template_gen.registry.route_rules import JWT_CODE
from template_gen.stacks.lambda_function import FunctionSpec

if TYPE_CHECKING:
    from template_gen.stacks.compute import ComputeStage

CODE_DIR = JWT_CODE


def function_output(name: str) -> str:
    """The compute output (and API stack parameter) with the function ARN of JWT authorizer `name`."""
    return f"JwtAuthorizer{naming.camel(name)}FunctionArn"


def add(stage: ComputeStage) -> None:
    env = stage.env
    runtime = env.lambda_runtime
    for name, settings in env.api.jwt_authorizers:
        if not any(r.auth == "jwt" and r.authorizer == name for r in env.routes):
            continue
        fn = stage._function(
            FunctionSpec(
                logical=naming.logical_id("jwt-authorizer", name),
                name=f"jwt-{name}",
                description=f"REQUEST authorizer: JWTs of {settings.issuer}",
                code_uri=stage._code(CODE_DIR),
                handler="app.lambda_handler",
                memory_size=runtime.memory_size,
                # A cold start fetches the issuer's JWKS (3 s timeout): leave room to answer.
                timeout_seconds=max(runtime.timeout_seconds, 5),
                log_retention_days=env.log_retention_days,
                environment={
                    "JWT_ISSUER": settings.issuer,
                    "JWT_AUDIENCES": ",".join(settings.audiences),
                    "JWKS_URL": settings.jwks_url or settings.issuer.rstrip("/") + "/.well-known/jwks.json",
                    "CLOCK_SKEW_SECONDS": str(settings.clock_skew_seconds),
                    "JWKS_CACHE_SECONDS": str(settings.jwks_cache_seconds),
                },
                statements=[],  # it calls no AWS API: the issuer's JWKS is public
            )
        )
        stage.b.output(function_output(name), GetAtt(fn.function, "Arn"), f"JWT authorizer '{name}'")

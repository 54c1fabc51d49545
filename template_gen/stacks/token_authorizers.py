"""The token authorizers of one REST API (`api.authorizers` that its routes use): a COGNITO_USER_POOLS
authorizer per Cognito authorizer, and a Lambda REQUEST authorizer per JWT authorizer, backed by its
function in the compute stage (functions/jwt_authorizer). Outputs their ids for the other route stacks."""

from __future__ import annotations

from troposphere import Ref
from troposphere import apigateway as apigw

from template_gen.registry.route_models import CognitoAuthorizer
from template_gen.spec import EnvironmentSpec
from template_gen.stacks.common import StackBuilder, StageOutput
from template_gen.stacks.jwt_functions import function_output
from template_gen.stacks.rest_api import ApiCore, authorizer_permission, lambda_uri
from template_gen.stacks.routes import token_authorizer_id


def build(b: StackBuilder, env: EnvironmentSpec, core: ApiCore) -> None:
    p = core.prefix
    for name in core.token_authorizers:
        settings = env.api.authorizer(name)
        logical = token_authorizer_id(p, name)
        if isinstance(settings, CognitoAuthorizer):
            authorizer = b.add(
                apigw.Authorizer(
                    logical,
                    RestApiId=Ref(f"{p}Api"),
                    Name=f"cognito-{name}",
                    Type="COGNITO_USER_POOLS",
                    ProviderARNs=list(settings.user_pool_arns),
                    IdentitySource=f"method.request.header.{settings.identity_header}",
                )
            )
        else:
            output = function_output(name)
            if output not in b.template.parameters:
                b.parameter(output, StageOutput("compute", output), description=f"JWT authorizer '{name}' function")
            authorizer = b.add(
                apigw.Authorizer(
                    logical,
                    RestApiId=Ref(f"{p}Api"),
                    Name=f"jwt-{name}",
                    Type="REQUEST",
                    AuthorizerUri=lambda_uri(Ref(output)),
                    # A request without the header is answered 401 by API Gateway, never reaching the function.
                    IdentitySource="method.request.header.Authorization",
                    AuthorizerResultTtlInSeconds=settings.result_cache_seconds,
                )
            )
            b.add(authorizer_permission(f"{logical}Permission", Ref(output), f"{p}Api", logical))
        core.hashed.append(authorizer.to_dict())
        b.output(f"{logical}Id", Ref(authorizer), f"{core.which} API: token authorizer '{name}'")

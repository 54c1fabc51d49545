"""TLS from API Gateway to the internal ALBs (`security.alb_certificate_arn` and `security.alb_tls_hostname`,
docs/security.md). Off, the hop behind the VPC link is plain HTTP on port 80. On:

- each ALB listens with HTTPS on 443, with the certificate and a TLS 1.2/1.3 policy; the service rules and
  the health rule attach to that listener;
- `nlb-alb`: the NLB's TCP listeners (443, 444, ... one per ALB) pass TLS through to target groups of type
  `alb` on 443, which health-check the ALB with HTTPS; `alb-direct`: the VPC link v2 connects to 443;
- the integrations' URIs are `https://<alb_tls_hostname>[:port]/...`: API Gateway sends that host name as
  Host and checks the ALB's certificate against it, while the VPC link carries the connection.

The listeners and target groups get new logical IDs rather than new properties: an ALB listener cannot be
removed from a port while an NLB target group has the ALB registered on it (ResourceInUse, "Listener port
'80' is in use by registered target", terraform-provider-aws#34860), a target group's port is create-only,
and a TCP target group's health-check protocol cannot be changed in place ("You cannot change the health
check protocol for a target group with the TCP protocol", cloudformation-coverage-roadmap#1125).
So on the update that turns TLS on, CloudFormation creates the HTTPS path beside the HTTP one and deletes the
old listeners and target groups in its cleanup, in the old template's order (NLB listener, target group,
then the ALB listener the target group depended on)."""

from __future__ import annotations

from typing import Any

from troposphere import elasticloadbalancingv2 as elbv2

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks.security import ALB_PORT, NLB_ID

HTTPS_PORT = 443
# TLS 1.3 and 1.2 with forward secrecy: the policy AWS recommends for ALB listeners.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def enabled(env: EnvironmentSpec) -> bool:
    return env.security.alb_certificate_arn is not None


def protocol(env: EnvironmentSpec) -> str:
    """What the hop in front of the ALB speaks: HTTPS with TLS to the ALB, HTTP without."""
    return "HTTPS" if enabled(env) else "HTTP"


def alb_port(env: EnvironmentSpec) -> int:
    return HTTPS_PORT if enabled(env) else ALB_PORT


def alb_listener_id(alb_name: str, env: EnvironmentSpec) -> str:
    return f"{alb_name}HttpsListener" if enabled(env) else f"{alb_name}Listener"


def alb_listener_settings(env: EnvironmentSpec) -> dict[str, Any]:
    """Port and protocol of the ALB's listener; with TLS, its certificate and security policy."""
    settings: dict[str, Any] = {"Port": alb_port(env), "Protocol": protocol(env)}
    if enabled(env):
        # The ARN itself, not a parameter: the Control Tower and Guard Rules Registry certificate rules
        # (CT.ELASTICLOADBALANCING.PR.2, ELBV2_ACM_CERTIFICATE_REQUIRED) read it as an ACM ARN.
        settings["Certificates"] = [elbv2.Certificate(CertificateArn=env.security.alb_certificate_arn)]
        settings["SslPolicy"] = TLS_POLICY
    return settings


def nlb_listener_id(index: int, env: EnvironmentSpec) -> str:
    suffix = "" if index == 1 else str(index)
    return f"{NLB_ID}{'TlsListener' if enabled(env) else 'Listener'}{suffix}"


def nlb_target_group_id(index: int, env: EnvironmentSpec) -> str:
    return f"{NLB_ID}To{naming.alb_id(index)}{'Tls' if enabled(env) else ''}TargetGroup"


def nlb_port(index: int, env: EnvironmentSpec) -> int:
    """The NLB listener port in front of the `index`-th ALB (the integrations' URI port)."""
    return naming.nlb_tls_port(index) if enabled(env) else naming.nlb_port(index)


def integration_host(env: EnvironmentSpec) -> str | None:
    """The host name of the integrations' URIs with TLS (the certificate's name); None without."""
    return env.security.alb_tls_hostname if enabled(env) else None


def note(env: EnvironmentSpec) -> str | None:
    """What synth reminds the user of when TLS to the ALB is on."""
    if not enabled(env):
        return None
    return (
        f"TLS to the internal ALB (security.alb_certificate_arn): the certificate must cover "
        f"{env.security.alb_tls_hostname} and come from a public certificate authority (an ACM public certificate "
        "does; API Gateway does not trust ACM Private CA), or API Gateway answers every request to a container "
        "service with 500 ('Execution failed due to configuration error' in the execution log)"
    )

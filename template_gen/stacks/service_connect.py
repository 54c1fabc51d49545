"""ECS Service Connect: the environment's Cloud Map namespace (the cluster's default) and each service's
Service Connect configuration (its named port, client alias and proxy logs).

Deploy-time behaviour this module is shaped by:
- The namespace must exist before a service names it: services take its ARN (a reference in the first
  compute shard, a parameter fed by that shard's output in the others), so CloudFormation orders them.
- Deleting the namespace fails while Cloud Map services that ECS created in it remain ("Namespace has
  associated services", sst#5931): the same references make CloudFormation delete every ECS service (and
  ECS its Cloud Map services) before the namespace.
- Turning Service Connect on or off, or changing a service's alias or port name, starts a new ECS
  deployment: every task is replaced (the proxy is injected at task launch), so roll it out per environment.
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, ecs, servicediscovery

from template_gen.spec import EcsServiceSpec, EnvironmentSpec
from template_gen.stacks.common import StackBuilder

PROXY_LOG_PREFIX = "service-connect"


def namespace(b: StackBuilder, env: EnvironmentSpec) -> servicediscovery.HttpNamespace:
    """The environment's namespace (an HTTP namespace: Service Connect needs no DNS zone)."""
    ns = b.add(
        servicediscovery.HttpNamespace(
            "ServiceConnectNamespace",
            Name=env.service_connect_namespace,
            Description=f"{env.stack_name}: Service Connect names of the environment's services",
        )
    )
    b.output("ServiceConnectNamespaceArn", GetAtt(ns, "Arn"), "Cloud Map namespace of Service Connect (ARN)")
    b.output("ServiceConnectNamespaceName", env.service_connect_namespace, "Cloud Map namespace of Service Connect")
    return ns


def cluster_defaults(ns: servicediscovery.HttpNamespace) -> ecs.ServiceConnectDefaults:
    return ecs.ServiceConnectDefaults(Namespace=GetAtt(ns, "Arn"))


def port_mapping(svc: EcsServiceSpec, port: int) -> ecs.PortMapping:
    """The app's port, named after the service (Service Connect refers to ports by name)."""
    return ecs.PortMapping(ContainerPort=port, Protocol="tcp", Name=svc.name, AppProtocol=svc.protocol)


def configuration(svc: EcsServiceSpec, namespace_arn: Any, log_config: ecs.LogConfiguration) -> Any:
    """A served service is a client and a server (`http://<dns_name>:<port>`); a worker is a client only."""
    props: dict[str, Any] = {"Enabled": True, "Namespace": namespace_arn, "LogConfiguration": log_config}
    if svc.port is not None:
        props["Services"] = [
            ecs.ServiceConnectService(
                PortName=svc.name,
                DiscoveryName=svc.name,
                ClientAliases=[ecs.ServiceConnectClientAlias(DnsName=svc.dns_name, Port=svc.port)],
            )
        ]
    return ecs.ServiceConnectConfiguration(**props)

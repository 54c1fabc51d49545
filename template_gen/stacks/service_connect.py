"""ECS Service Connect: the environment's Cloud Map namespace (the cluster's default) and each service's
Service Connect configuration (its named port, client alias and proxy logs).

Deploy-time behaviour this module is shaped by:
- The namespace must exist before a service names it: services take its ARN (a reference in the first
  compute shard, a parameter fed by that shard's output in the others), so CloudFormation orders them.
- Deleting the namespace fails while Cloud Map services that ECS created in it remain ("Namespace has
  associated services", sst#5931): the same references make CloudFormation delete every ECS service (and
  ECS its Cloud Map services) before the namespace.
- A task resolves only the endpoints that existed when it started ("Existing tasks can't resolve and
  connect to the new endpoint", ECS developer guide, Service Connect components): a caller's ECS service
  is created after the services it calls when both are in one stack (`start_after`). Across two call
  cycles' members, or a caller in an earlier shard than its callee, the caller resolves the callee from
  its next deployment on.
- Turning Service Connect on or off, or changing a service's alias or port name, starts a new ECS
  deployment: every task is replaced (the proxy is injected at task launch), so roll it out per environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def order(services: Mapping[str, ecs.Service], specs: Sequence[EcsServiceSpec]) -> None:
    """Make each ECS service of one stack depend on the services it calls (see `start_after`)."""
    for name, callees in start_after(specs).items():
        before = services[name].resource.get("DependsOn") or []
        services[name].DependsOn = [*before, *(services[c].title for c in callees)]


def start_after(services: Sequence[EcsServiceSpec]) -> dict[str, list[str]]:
    """For each service of one stack, the services of the same stack it calls and must be created after
    (its tasks then resolve their names at first start). Calls inside a cycle are left out, since
    CloudFormation refuses circular dependencies: the components of the call graph are ordered instead."""
    names = {s.name for s in services if s.port is not None}
    calls = {s.name: [c for c in s.calls if c in names and c != s.name] for s in services}
    component = _components(calls)
    return {
        name: sorted({c for c in callees if component[c] != component[name]})
        for name, callees in calls.items()
        if any(component[c] != component[name] for c in callees)
    }


def _components(graph: dict[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan), iteratively: node -> component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    component: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, []))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                number = len(set(component.values()))
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = number
                    if member == node:
                        break
    return component

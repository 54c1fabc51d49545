"""The architecture of one environment as a diagram, built from its validated spec (never from AWS).

`build(spec)` makes a neutral graph (nodes, edges, clusters); `to_mermaid` and `to_dot` render it, and
`render_image` runs Graphviz's `dot` for SVG or PNG.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

from template_gen.errors import TemplateGenError, UsageError
from template_gen.route_table import ADMIN
from template_gen.spec import EcsServiceSpec, EnvironmentSpec

IMAGE_FORMATS = ("svg", "png")
FORMATS = ("mermaid", "dot", *IMAGE_FORMATS)


@dataclass(frozen=True)
class Node:
    id: str
    label: tuple[str, ...]  # one entry per line
    shape: str = "box"  # box | round | stadium | hexagon


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dotted: bool = False


@dataclass
class Cluster:
    id: str
    label: str
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Graph:
    name: str
    loose: list[Node] = field(default_factory=list)  # nodes outside any cluster
    clusters: list[Cluster] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def _sid(prefix: str, name: str) -> str:
    return f"{prefix}_{name.replace('-', '_')}"


def build(spec: EnvironmentSpec) -> Graph:
    graph = Graph(spec.stack_name)
    client = Node("client", ("Client",), "stadium")
    graph.loose.append(client)

    # What each API routes: ECS base paths through the VPC link, Lambda services and the admin route.
    ecs_paths: dict[str, list[str]] = {"public": [], "private": []}
    lambda_edges: list[Edge] = []
    lambda_paths: dict[tuple[str, str], list[str]] = {}  # (API, service) -> its paths, in route order
    admin_edges: list[Edge] = []
    # In service order, public before private, the admin route last.
    for route in sorted(spec.routes, key=lambda r: (r.name == ADMIN, r.name, r.api != "public")):
        if route.name == ADMIN:
            admin_edges.append(Edge(f"{route.api}_api", "fn_onboarding", f"{route.base_path} (IAM auth)"))
        elif route.backend == "vpc_link":
            if route.base_path not in ecs_paths[route.api]:  # a path with several routes (methods) is one label
                ecs_paths[route.api].append(route.base_path)
        else:
            lambda_paths.setdefault((route.api, route.name), []).append(route.base_path)
    for (api, name), fn_paths in lambda_paths.items():
        label = ", ".join(dict.fromkeys(fn_paths)) + " (Lambda proxy)"
        lambda_edges.append(Edge(f"{api}_api", _sid("fn", name), label))
    lambda_edges += admin_edges
    apis = [w for w in ("public", "private") if ecs_paths[w] or any(e.source == f"{w}_api" for e in lambda_edges)]

    gateway = Cluster("api_gateway", "API Gateway")
    titles = {"public": ("Public REST API", "regional"), "private": ("Private REST API", "VPC endpoint only")}
    gateway.nodes += [Node(f"{which}_api", titles[which]) for which in apis]
    authorized = [
        s for s in spec.services if spec.validator_enabled and s.api.auth == "authorizer" and s.api.exposure != "none"
    ]
    if authorized:
        gateway.nodes.append(Node("validator", ("API key validator", "Lambda authorizer"), "hexagon"))
    alb_direct = spec.network.ingress == "alb-direct"
    if spec.ecs_services and any(ecs_paths.values()):
        gateway.nodes.append(Node("vpc_link", ("VPC link v2",) if alb_direct else ("VPC link",)))

    net = spec.network
    vpc_title = f"VPC {net.vpc_cidr}" if net.creates_vpc else f"VPC {net.vpc_id} ({net.vpc_cidr})"
    vpc = Cluster("vpc", vpc_title)
    if spec.ecs_services:
        if not alb_direct:
            vpc.nodes.append(Node("nlb", ("Internal NLB",)))
        vpc.nodes.append(Node("alb", ("Internal ALB",)))
        vpc.nodes += [Node(_sid("ecs", s.name), (s.name, _ecs_label(s))) for s in spec.ecs_services]

    functions = Cluster("lambda", "Lambda")
    functions.nodes += [Node(_sid("fn", s.name), (s.name,), "round") for s in spec.lambda_services]
    if spec.onboarding_enabled:
        functions.nodes.append(Node("fn_onboarding", ("onboarding", "consumer admin"), "round"))

    graph.clusters = [c for c in (gateway, vpc, functions) if c.nodes]
    edges = graph.edges
    for which in apis:
        edges.append(Edge("client", f"{which}_api", "through the VPC endpoint" if which == "private" else ""))
    for which in apis:
        if ecs_paths[which] and spec.ecs_services:
            edges.append(Edge(f"{which}_api", "vpc_link", ", ".join(sorted(ecs_paths[which]))))
    if spec.ecs_services:
        if any(ecs_paths.values()):
            edges += [Edge("vpc_link", "alb")] if alb_direct else [Edge("vpc_link", "nlb"), Edge("nlb", "alb")]
        for svc in spec.ecs_services:
            if not svc.behind_alb:
                continue  # an internal service or a worker: reached through Service Connect, or not at all
            paths = svc.api.base_path or ", ".join(svc.path_patterns)  # unexposed: the ALB routes by its patterns
            edges.append(Edge("alb", _sid("ecs", svc.name), f"{paths} (priority {svc.priority})"))
    edges += lambda_edges
    for authorized_svc in authorized:
        prefix = "ecs" if isinstance(authorized_svc, EcsServiceSpec) else "fn"
        edges.append(Edge("validator", _sid(prefix, authorized_svc.name), "authorizes", dotted=True))
    edges += _call_edges(spec)
    return graph


def _ecs_label(svc: EcsServiceSpec) -> str:
    if svc.kind == "worker":
        return "ECS worker (queue)" if svc.queue is not None else "ECS worker"
    if svc.behind_alb:
        return "ECS Fargate"
    return "ECS Fargate, internal" + ("" if svc.protocol == "http" else f" ({svc.protocol})")


def _call_edges(spec: EnvironmentSpec) -> list[Edge]:
    """East-west calls: `calls:` of each service, labelled with the address the caller uses."""
    by_name = {s.name: s for s in spec.services}
    out = []
    for caller in spec.services:
        source = _sid("ecs" if isinstance(caller, EcsServiceSpec) else "fn", caller.name)
        for name in caller.calls:
            callee = by_name.get(name)
            if not isinstance(callee, EcsServiceSpec) or callee.port is None:
                continue
            if spec.service_connect_namespace:
                label = f"calls {callee.dns_name}:{callee.port}"  # the Service Connect address the caller uses
            else:
                label = f"calls on port {callee.port}"
            out.append(Edge(source, _sid("ecs", name), label, dotted=True))
    return out


# --------------------------------------------------------------------------------------------------
# renderers
# --------------------------------------------------------------------------------------------------

_MERMAID_SHAPES = {"box": ('["', '"]'), "round": ('("', '")'), "stadium": ('(["', '"])'), "hexagon": ('{{"', '"}}')}


def _mermaid_node(node: Node) -> str:
    left, right = _MERMAID_SHAPES[node.shape]
    return f"{node.id}{left}{'<br/>'.join(node.label)}{right}"


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    lines += [f"    {_mermaid_node(n)}" for n in graph.loose]
    for cluster in graph.clusters:
        lines.append(f'    subgraph {cluster.id}["{cluster.label}"]')
        lines += [f"        {_mermaid_node(n)}" for n in cluster.nodes]
        lines.append("    end")
    for edge in graph.edges:
        arrow = "-.->" if edge.dotted else "-->"
        label = f'|"{edge.label}"|' if edge.label else ""
        lines.append(f"    {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


_DOT_SHAPES = {
    "box": "shape=box",
    "round": 'shape=box, style="rounded"',
    "stadium": 'shape=box, style="rounded,bold"',
    "hexagon": "shape=hexagon",
}


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_node(node: Node) -> str:
    label = _dot_string("\n".join(node.label)).replace("\n", "\\n")  # dot's own line break
    return f"{node.id} [label={label}, {_DOT_SHAPES[node.shape]}];"


def to_dot(graph: Graph) -> str:
    lines = [
        f"digraph {_dot_string(graph.name)} {{",
        "    rankdir=LR;",
        '    node [fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=9];',
    ]
    lines += [f"    {_dot_node(n)}" for n in graph.loose]
    for cluster in graph.clusters:
        lines.append(f"    subgraph cluster_{cluster.id} {{")
        lines.append(f'        label={_dot_string(cluster.label)}; style="rounded,dashed";')
        lines += [f"        {_dot_node(n)}" for n in cluster.nodes]
        lines.append("    }")
    for edge in graph.edges:
        attrs = []
        if edge.label:
            attrs.append(f"label={_dot_string(edge.label)}")
        if edge.dotted:
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"    {edge.source} -> {edge.target}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_image(dot_text: str, fmt: str, program: str = "dot") -> bytes:
    """SVG or PNG bytes from Graphviz. Refuses clearly when Graphviz is not installed."""
    executable = shutil.which(program)
    if executable is None:
        raise UsageError(
            f"--format {fmt} needs Graphviz's `{program}` program, which is not on PATH; install Graphviz "
            "(apt-get install graphviz, brew install graphviz) or use --format mermaid or --format dot"
        )
    try:
        done = subprocess.run(
            [executable, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TemplateGenError(f"`{program} -T{fmt}` could not run: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise TemplateGenError(f"`{program} -T{fmt}` failed (exit {done.returncode}): {detail}")
    return done.stdout


def render(spec: EnvironmentSpec, fmt: str) -> str | bytes:
    graph = build(spec)
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    if fmt not in IMAGE_FORMATS:
        raise UsageError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    return render_image(to_dot(graph), fmt)

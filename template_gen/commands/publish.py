"""template-gen publish: build a container service's image, push it to its ECR repository, record the tag."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from template_gen import publish
from template_gen.console import Console
from template_gen.review import aws


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "publish",
        parents=parents,
        description="Build a container service's image with docker, push it to the service's ECR repository "
        "(read from the deployed stack) and record the tag in its service.yaml. Needs AWS credentials.",
        epilog="example:\n  template-gen publish quoting --env dev --tag 1.4.2 --context ../quoting",
    )
    p.add_argument("service", metavar="SERVICE", help="the container service to publish")
    p.add_argument("--env", required=True, metavar="ENV", help="environment whose repository receives the image")
    p.add_argument("--tag", required=True, metavar="TAG", help="image tag, e.g. 1.4.2 or a commit id")
    p.add_argument("--context", type=Path, metavar="DIR", help="docker build context (default: the current folder)")
    p.add_argument("--dockerfile", type=Path, metavar="FILE", help="Dockerfile (default: DIR/Dockerfile)")
    p.set_defaults(run=run)


@dataclass(frozen=True)
class Published:
    image: str  # repository URI:tag
    service_file: str
    field: str


def do_publish(
    project_dir: Path,
    service: str,
    env: str,
    tag: str,
    context: Path | None = None,
    dockerfile: Path | None = None,
    client_factory: aws.ClientFactory | None = None,
    console: Console | None = None,
) -> Published:
    console = console or Console()
    target = publish.prepare(project_dir, service, env, tag, context, dockerfile)
    docker = publish.docker_executable()
    factory = client_factory or aws.client_factory(target.profile)
    with console.progress(f"reading the repository of {service} from stack {target.stack_name}"):
        uri = publish.repository_uri(target, factory("cloudformation", target.region))
    publish.check_account(target, uri)
    registry = uri.split("/", 1)[0]
    with console.progress(f"logging in to {registry}"):
        user, password = publish.registry_login(factory("ecr", target.region))
        publish.run_docker(docker, ["login", "--username", user, "--password-stdin", registry], stdin=password)
    build, tag_cmd, push = publish.docker_commands(target, uri)
    with console.progress(f"building {target.local_image}"):
        publish.run_docker(docker, build)
    with console.progress(f"pushing {uri}:{tag}"):
        publish.run_docker(docker, tag_cmd)
        publish.run_docker(docker, push)
    field = publish.record_tag(target)
    return Published(f"{uri}:{tag}", target.service_file, field)


def run(args: argparse.Namespace, console: Console) -> int:
    done = do_publish(
        args.project_dir, args.service, args.env, args.tag, args.context, args.dockerfile, console=console
    )
    console.success(f"pushed {done.image}")
    console.print(f"recorded {done.field}: {args.tag} in {done.service_file}")
    console.print(
        f"next: template-gen synth --env {args.env} && sam build --config-env {args.env} "
        f"&& sam deploy --config-env {args.env}"
    )
    return 0

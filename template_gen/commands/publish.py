"""template-gen publish: build a container service's image for its platform, push it to its ECR repository
and record the tag; or, with --from-env, promote the exact image another environment runs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from template_gen import deployed_images, publish
from template_gen.console import Console
from template_gen.errors import UsageError
from template_gen.ops.promote import Copier, Download
from template_gen.review import aws


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "publish",
        parents=parents,
        description="Build a container service's image with docker for the service's platform (linux/amd64 or "
        "linux/arm64), push it to the service's ECR repository (read from the deployed stack) and record the tag in "
        "services/environments/<env>.images.json; or, with --from-env, promote the exact image (by digest) from "
        "another environment's repository without a rebuild. Needs AWS credentials.",
        epilog="examples:\n  template-gen publish quoting --env dev --tag 1.4.2 --context ../quoting\n"
        "  template-gen publish quoting --env prod --from-env dev",
    )
    p.add_argument("service", metavar="SERVICE", help="the container service to publish")
    p.add_argument("--env", required=True, metavar="ENV", help="environment whose repository receives the image")
    p.add_argument(
        "--tag", metavar="TAG", help="image tag, e.g. 1.4.2 or a commit id (with --from-env: default the one ENV runs)"
    )
    p.add_argument("--context", type=Path, metavar="DIR", help="docker build context (default: the current folder)")
    p.add_argument("--dockerfile", type=Path, metavar="FILE", help="Dockerfile (default: DIR/Dockerfile)")
    p.add_argument(
        "--from-env",
        metavar="SOURCE",
        help="copy the image SOURCE runs (by digest) into ENV's repository instead of building",
    )
    p.set_defaults(run=run)


@dataclass(frozen=True)
class Published:
    image: str  # repository URI:tag
    digest: str
    record: str  # the file the tag and digest were recorded in
    source: str | None = None  # the repository URI:tag it was promoted from


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
    ecr = factory("ecr", target.region)
    with console.progress(f"logging in to {registry}"):
        user, password = publish.registry_login(ecr)
        publish.run_docker(docker, ["login", "--username", user, "--password-stdin", registry], stdin=password)
    build, tag_cmd, push = publish.docker_commands(target, uri)
    with console.progress(f"building {target.local_image} for {target.platform}"):
        publish.run_docker(docker, build)
    with console.progress(f"pushing {uri}:{tag}"):
        publish.run_docker(docker, tag_cmd)
        publish.run_docker(docker, push)
    digest = publish.image_digest(ecr, uri, tag)
    return Published(f"{uri}:{tag}", digest, publish.record_image(target, digest))


def do_promote(
    project_dir: Path,
    service: str,
    env: str,
    source_env: str,
    tag: str | None = None,
    client_factory: aws.ClientFactory | None = None,
    console: Console | None = None,
    download: Download | None = None,
) -> Published:
    """Copy the image `source_env` runs (the recorded digest, else what `tag` names there now) to `env`."""
    console = console or Console()
    if source_env == env:
        raise UsageError(f"--from-env {source_env}: that is the environment to publish to; name another one")
    recorded = deployed_images.read(project_dir, source_env).get(service, {})
    tag = tag or recorded.get("tag")
    if not tag:
        raise UsageError(
            f"no image of '{service}' is recorded for environment '{source_env}' "
            f"({deployed_images.rel_path(source_env)}); pass --tag to promote a tag of its repository"
        )
    digest = recorded.get("digest") if recorded.get("tag") == tag else None
    source = publish.prepare(project_dir, service, source_env, tag)
    target = publish.prepare(project_dir, service, env, tag)
    source_factory = client_factory or aws.client_factory(source.profile)
    factory = client_factory or (
        source_factory if target.profile == source.profile else aws.client_factory(target.profile)
    )
    with console.progress(
        f"reading the repositories of {service} from stacks {source.stack_name}, {target.stack_name}"
    ):
        source_uri = publish.repository_uri(source, source_factory("cloudformation", source.region))
        uri = publish.repository_uri(target, factory("cloudformation", target.region))
    publish.check_account(source, source_uri)
    publish.check_account(target, uri)
    shown = f"{source_uri}@{digest}" if digest else f"{source_uri}:{tag}"
    copier = Copier(
        source_factory("ecr", source.region),
        publish.repository_name(source_uri),
        factory("ecr", target.region),
        publish.repository_name(uri),
        **({"download": download} if download else {}),
    )
    with console.progress(f"copying {shown} to {uri}:{tag}"):
        digest = copier.copy(tag, digest)
    return Published(f"{uri}:{tag}", digest, publish.record_image(target, digest), source=shown)


def run(args: argparse.Namespace, console: Console) -> int:
    if args.from_env:
        if args.context or args.dockerfile:
            raise UsageError(
                "--from-env copies an image that was built already; --context and --dockerfile are for builds"
            )
        done = do_promote(args.project_dir, args.service, args.env, args.from_env, args.tag, console=console)
        console.success(f"promoted {done.source} to {done.image}")
    else:
        if not args.tag:
            raise UsageError("--tag is required to build an image (or pass --from-env ENV to promote one)")
        done = do_publish(
            args.project_dir, args.service, args.env, args.tag, args.context, args.dockerfile, console=console
        )
        console.success(f"pushed {done.image}")
    tag = done.image.rsplit(":", 1)[1]
    console.print(f"recorded {args.service} {tag} ({done.digest}) in {done.record}")
    console.print(f"next: template-gen deploy --env {args.env}")
    return 0

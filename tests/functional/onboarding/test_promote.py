"""publish --from-env: the exact image (by digest) copied from one environment's ECR repository to
another's, layers first, then the manifest byte for byte; and publish's build platform. AWS is stubbed
(botocore Stubber); the layer downloads come from an in-memory opener."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import run_cli
from synth_cases import CASES, copy_project
from test_publish import ACCOUNT, DIGEST, Aws, calls, docker_log, nested, stack  # noqa: F401 - docker_log is a fixture

from template_gen import deployed_images
from template_gen.commands.publish import Published, do_promote, do_publish
from template_gen.console import Console
from template_gen.errors import AwsError

HOST = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
DEV_URI, PROD_URI = f"{HOST}/acme/dev/quoting", f"{HOST}/acme/prod/quoting"
CONFIG = "sha256:" + "c" * 64
LAYER_1, LAYER_2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
CHILD = "sha256:" + "d" * 64
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": CONFIG, "size": 1469},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": LAYER_1, "size": 7},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": LAYER_2, "size": 3},
        ],
    }
)
INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": CHILD,
                "size": len(MANIFEST),
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        ],
    }
)
OCI_INDEX, OCI_MANIFEST = "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json"
ACCEPTED = [
    "application/vnd.docker.distribution.manifest.v2+json",
    OCI_MANIFEST,
    "application/vnd.docker.distribution.manifest.list.v2+json",
    OCI_INDEX,
]
BLOBS = {LAYER_1: b"layer-1", LAYER_2: b"two"}


def image(repository: str, digest: str, manifest: str, media_type: str, tag: str | None = None) -> dict[str, Any]:
    image_id = {"imageDigest": digest, **({"imageTag": tag} if tag else {})}
    return {
        "registryId": ACCOUNT,
        "repositoryName": repository,
        "imageId": image_id,
        "imageManifest": manifest,
        "imageManifestMediaType": media_type,
    }


class Ecr(Aws):
    def deployed_both(self) -> None:
        for env, uri in (("dev", DEV_URI), ("prod", PROD_URI)):
            self.cfn_stub.add_response(
                "list_stack_resources",
                {"StackResourceSummaries": [nested("ComputeStack")]},
                {"StackName": f"acme-{env}"},
            )
            self.cfn_stub.add_response(
                "describe_stacks",
                stack("ComputeStack", {"QuotingRepositoryUri": uri}),
                {"StackName": nested("ComputeStack")["PhysicalResourceId"]},
            )

    def get(self, image_id: dict[str, str], found: dict[str, Any]) -> None:
        self.ecr_stub.add_response(
            "batch_get_image",
            {"images": [found], "failures": []},
            {"repositoryName": "acme/dev/quoting", "imageIds": [image_id], "acceptedMediaTypes": ACCEPTED},
        )

    def copy_blobs(self, present: list[str]) -> None:
        """The config is there already; the layers are copied, the first in two parts."""
        digests = [CONFIG, LAYER_1, LAYER_2]
        self.ecr_stub.add_response(
            "batch_check_layer_availability",
            {
                "layers": [
                    {"layerDigest": d, "layerAvailability": "AVAILABLE" if d in present else "UNAVAILABLE"}
                    for d in digests
                ],
                "failures": [],
            },
            {"repositoryName": "acme/prod/quoting", "layerDigests": digests},
        )
        for n, digest in enumerate(d for d in digests if d not in present):
            self.ecr_stub.add_response(
                "get_download_url_for_layer",
                {
                    "downloadUrl": f"https://prod-eu-west-1-starport-layer-bucket.s3.amazonaws.com/{digest}",
                    "layerDigest": digest,
                },
                {"repositoryName": "acme/dev/quoting", "layerDigest": digest},
            )
            upload_id = f"upload-{n}"
            self.ecr_stub.add_response(
                "initiate_layer_upload", {"uploadId": upload_id, "partSize": 4}, {"repositoryName": "acme/prod/quoting"}
            )
            data, first = BLOBS[digest], 0
            while first < len(data):
                part = data[first : first + 4]
                self.ecr_stub.add_response(
                    "upload_layer_part",
                    {
                        "registryId": ACCOUNT,
                        "repositoryName": "acme/prod/quoting",
                        "uploadId": upload_id,
                        "lastByteReceived": first + len(part) - 1,
                    },
                    {
                        "repositoryName": "acme/prod/quoting",
                        "uploadId": upload_id,
                        "partFirstByte": first,
                        "partLastByte": first + len(part) - 1,
                        "layerPartBlob": part,
                    },
                )
                first += len(part)
            self.ecr_stub.add_response(
                "complete_layer_upload",
                {
                    "registryId": ACCOUNT,
                    "repositoryName": "acme/prod/quoting",
                    "uploadId": upload_id,
                    "layerDigest": digest,
                },
                {"repositoryName": "acme/prod/quoting", "uploadId": upload_id, "layerDigests": [digest]},
            )

    def put(self, digest: str, manifest: str, media_type: str, tag: str | None) -> None:
        expected: dict[str, Any] = {
            "repositoryName": "acme/prod/quoting",
            "imageManifest": manifest,
            "imageManifestMediaType": media_type,
            "imageDigest": digest,
        }
        if tag:
            expected["imageTag"] = tag
        self.ecr_stub.add_response(
            "put_image", {"image": image("acme/prod/quoting", digest, manifest, media_type, tag)}, expected
        )


@pytest.fixture()
def ecr() -> Iterator[Ecr]:
    stubs = Ecr()
    with stubs.cfn_stub, stubs.ecr_stub:
        yield stubs
        stubs.cfn_stub.assert_no_pending_responses()
        stubs.ecr_stub.assert_no_pending_responses()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return copy_project(CASES["example"].project, tmp_path / "project")


def download(url: str) -> io.BytesIO:
    return io.BytesIO(BLOBS[url.rsplit("/", 1)[1]])


def promote(project: Path, ecr: Ecr, tag: str | None = None) -> Published:
    return do_promote(
        project, "quoting", "prod", "dev", tag, ecr.factory, Console(io.StringIO(), io.StringIO()), download
    )


def test_promotion_copies_the_recorded_digest_with_its_index_and_records_it(project: Path, ecr: Ecr) -> None:
    deployed_images.record(project, "dev", {"quoting": {"tag": "1.4.2", "digest": DIGEST}})
    ecr.deployed_both()
    ecr.get({"imageDigest": DIGEST}, image("acme/dev/quoting", DIGEST, INDEX, OCI_INDEX))
    ecr.get({"imageDigest": CHILD}, image("acme/dev/quoting", CHILD, MANIFEST, OCI_MANIFEST))
    ecr.copy_blobs(present=[CONFIG])
    ecr.put(CHILD, MANIFEST, OCI_MANIFEST, None)
    ecr.put(DIGEST, INDEX, OCI_INDEX, "1.4.2")
    done = promote(project, ecr)
    assert done == Published(
        f"{PROD_URI}:1.4.2", DIGEST, "services/environments/prod.images.json", source=f"{DEV_URI}@{DIGEST}"
    )
    assert deployed_images.read(project, "prod") == {"quoting": {"tag": "1.4.2", "digest": DIGEST}}
    assert run_cli("synth", "--env", "prod", project=project).code == 0
    compute = yaml.safe_load((project / "build/prod/compute.yaml").read_text())
    image_ref = compute["Resources"]["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]
    assert image_ref["Fn::Join"][1][-1] == "1.4.2"


def test_an_explicit_tag_promotes_what_it_names_now_and_skips_layers_already_there(project: Path, ecr: Ecr) -> None:
    ecr.deployed_both()
    ecr.get({"imageTag": "2.0.0"}, image("acme/dev/quoting", CHILD, MANIFEST, OCI_MANIFEST, "2.0.0"))
    ecr.copy_blobs(present=[CONFIG, LAYER_1, LAYER_2])
    ecr.put(CHILD, MANIFEST, OCI_MANIFEST, "2.0.0")
    assert promote(project, ecr, "2.0.0").digest == CHILD


def test_an_immutable_tag_naming_another_image_is_explained(project: Path, ecr: Ecr) -> None:
    ecr.deployed_both()
    ecr.get({"imageTag": "2.0.0"}, image("acme/dev/quoting", CHILD, MANIFEST, OCI_MANIFEST, "2.0.0"))
    ecr.copy_blobs(present=[CONFIG, LAYER_1, LAYER_2])
    ecr.ecr_stub.add_client_error(
        "put_image",
        "ImageTagAlreadyExistsException",
        "The image tag '2.0.0' already exists in the 'acme/prod/quoting' repository and cannot be overwritten "
        "because the repository is immutable.",
        400,
    )
    with pytest.raises(AwsError) as caught:
        promote(project, ecr, "2.0.0")
    assert str(caught.value) == (
        "acme/prod/quoting:2.0.0 already names another image and the repository's tags are immutable; "
        "promote under a new tag (--tag)"
    )
    assert deployed_images.read(project, "prod") == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--from-env", "dev"),
            "no image of 'quoting' is recorded for environment 'dev' (services/environments/dev.images.json); "
            "pass --tag to promote a tag of its repository",
        ),
        (("--from-env", "prod"), "--from-env prod: that is the environment to publish to; name another one"),
        (
            ("--from-env", "dev", "--tag", "1", "--context", "."),
            "--from-env copies an image that was built already; --context and --dockerfile are for builds",
        ),
        ((), "--tag is required to build an image (or pass --from-env ENV to promote one)"),
    ],
)
def test_bad_promotions_are_refused_before_any_aws_call(project: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli("publish", "quoting", "--env", "prod", *args, project=project)
    assert (result.code, result.err) == (1, f"error: {message}\n")


def test_an_arm64_service_is_built_for_linux_arm64(project: Path, docker_log: Path, ecr: Ecr) -> None:  # noqa: F811
    service = project / "services/quoting/service.yaml"
    service.write_text(service.read_text() + "platform: arm64\n")
    ecr.deployed()
    ecr.login()
    ecr.pushed("1")
    (project / "app").mkdir()
    do_publish(
        project, "quoting", "dev", "1", project / "app", None, ecr.factory, Console(io.StringIO(), io.StringIO())
    )
    assert calls(docker_log)[1]["argv"] == [
        "build",
        "--platform",
        "linux/arm64",
        "-t",
        "quoting:1",
        str(project / "app"),
    ]

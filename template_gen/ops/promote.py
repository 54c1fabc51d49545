"""Copy one image, by digest, from an environment's ECR repository to another's, without a rebuild.

ECR has no copy call and `PutImage` refuses a manifest whose layers the destination repository lacks, so
the blobs the destination is missing are streamed across (`GetDownloadUrlForLayer` on the source,
`InitiateLayerUpload`/`UploadLayerPart`/`CompleteLayerUpload` on the destination), then the manifest is
put byte for byte: the image keeps its digest. An image index (a multi-platform image, or the
attestation manifests `docker buildx` adds by default) is copied with every manifest it lists.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.errors import AwsError

MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
INDEX_TYPES = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
Download = Callable[[str], IO[bytes]]


def _urlopen(url: str) -> IO[bytes]:
    response: IO[bytes] = urllib.request.urlopen(url, timeout=60)  # the https URL ECR presigned
    return response


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Copier:
    def __init__(self, source: Any, source_repo: str, dest: Any, dest_repo: str, download: Download = _urlopen):
        self.source, self.source_repo = source, source_repo
        self.dest, self.dest_repo = dest, dest_repo
        self.download = download
        self.blobs_copied = 0

    def copy(self, tag: str, digest: str | None = None) -> str:
        """Copy the image `digest` (else the one `tag` names now) and tag it `tag` in the destination;
        returns its digest."""
        image = self._get({"imageDigest": digest} if digest else {"imageTag": tag})
        self._copy_content(image)
        return self._put(image, tag)

    def _get(self, image_id: dict[str, str]) -> dict[str, Any]:
        what = image_id.get("imageDigest") or image_id.get("imageTag")
        try:
            found = self.source.batch_get_image(
                repositoryName=self.source_repo,
                imageIds=[image_id],
                acceptedMediaTypes=[*MANIFEST_TYPES, *INDEX_TYPES],
            )
        except (BotoCoreError, ClientError) as exc:
            raise AwsError(f"could not read image {self.source_repo}:{what}: {exc}") from exc
        images = found.get("images") or []
        if not images:
            reason = (found.get("failures") or [{}])[0].get("failureReason", "not found")
            raise AwsError(f"image {self.source_repo}:{what} is not in the source repository ({reason})")
        return dict(images[0])

    def _copy_content(self, image: dict[str, Any]) -> None:
        manifest = json.loads(image["imageManifest"])
        if image.get("imageManifestMediaType") in INDEX_TYPES or "manifests" in manifest:
            for child in manifest.get("manifests", []):
                found = self._get({"imageDigest": child["digest"]})
                self._copy_content(found)
                self._put(found, None)
            return
        blobs = [manifest["config"]["digest"]] if "config" in manifest else []
        blobs += [layer["digest"] for layer in manifest.get("layers", []) if not layer.get("urls")]
        for blob in self._missing(blobs):
            self._copy_blob(blob)

    def _missing(self, digests: list[str]) -> list[str]:
        if not digests:
            return []
        try:
            found = self.dest.batch_check_layer_availability(repositoryName=self.dest_repo, layerDigests=digests)
        except (BotoCoreError, ClientError) as exc:
            raise AwsError(f"could not check the layers of {self.dest_repo}: {exc}") from exc
        present = {
            layer["layerDigest"] for layer in found.get("layers", []) if layer.get("layerAvailability") == "AVAILABLE"
        }
        return [d for d in dict.fromkeys(digests) if d not in present]

    def _copy_blob(self, digest: str) -> None:
        try:
            url = self.source.get_download_url_for_layer(repositoryName=self.source_repo, layerDigest=digest)
            upload = self.dest.initiate_layer_upload(repositoryName=self.dest_repo)
            upload_id, part_size = upload["uploadId"], int(upload["partSize"])
            first = 0
            with self.download(url["downloadUrl"]) as stream:
                while chunk := stream.read(part_size):
                    self.dest.upload_layer_part(
                        repositoryName=self.dest_repo,
                        uploadId=upload_id,
                        partFirstByte=first,
                        partLastByte=first + len(chunk) - 1,
                        layerPartBlob=chunk,
                    )
                    first += len(chunk)
            self.dest.complete_layer_upload(repositoryName=self.dest_repo, uploadId=upload_id, layerDigests=[digest])
        except ClientError as exc:
            if _code(exc) == "LayerAlreadyExistsException":
                return  # uploaded meanwhile (or by an earlier, interrupted promotion)
            raise AwsError(f"could not copy layer {digest} to {self.dest_repo}: {exc}") from exc
        except (BotoCoreError, OSError) as exc:
            raise AwsError(f"could not copy layer {digest} to {self.dest_repo}: {exc}") from exc
        self.blobs_copied += 1

    def _put(self, image: dict[str, Any], tag: str | None) -> str:
        digest = str(image["imageId"]["imageDigest"])
        request: dict[str, Any] = {
            "repositoryName": self.dest_repo,
            "imageManifest": image["imageManifest"],
            "imageManifestMediaType": image["imageManifestMediaType"],
            "imageDigest": digest,
        }
        if tag:
            request["imageTag"] = tag
        try:
            put = self.dest.put_image(**request)
        except ClientError as exc:
            if _code(exc) == "ImageAlreadyExistsException":
                return digest  # this tag already names this very image
            if _code(exc) == "ImageTagAlreadyExistsException":
                raise AwsError(
                    f"{self.dest_repo}:{tag} already names another image and the repository's tags are immutable; "
                    "promote under a new tag (--tag)"
                ) from exc
            raise AwsError(f"could not put image {digest} in {self.dest_repo}: {exc}") from exc
        except BotoCoreError as exc:
            raise AwsError(f"could not put image {digest} in {self.dest_repo}: {exc}") from exc
        got = str(put["image"]["imageId"]["imageDigest"])
        if got != digest:
            raise AwsError(f"{self.dest_repo}: ECR stored the manifest as {got}, not {digest}; nothing was recorded")
        return digest

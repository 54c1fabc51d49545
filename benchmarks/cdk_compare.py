"""`make bench-cdk`: `template-gen synth` beside the AWS CDK, the peer users compare it with.

    python benchmarks/cdk_compare.py [--sizes 10,100] [--repeat 5]

For a platform of N services (generate_registry.py), four whole processes run in turn, each --repeat
times: `template-gen synth --env prod` (the default --jobs); the CDK app of benchmarks/cdk/app.js alone
(`node app.js`: the same platform with the CDK's L2 constructs, one stack), as it runs by default (it
checks the synthesized template against the CloudFormation schema, the CDK's built-in validation) and
with that check off (`CDK_VALIDATION=false`); and the app through the CDK CLI (`cdk synth --app
"node app.js ..."`, what a CDK user types). It prints a Markdown table of
medians (wall, CPU of the process and its children, peak memory) and the ratios to template-gen. Needs
`node` and benchmarks/cdk/node_modules (`make bench-cdk` installs it with `npm ci`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
CDK_DIR = HERE / "cdk"
sys.path.insert(0, str(HERE))

from generate_registry import write_registry  # noqa: E402
from run import CLI, Measure, _synth_resources, measure_in_turn  # noqa: E402

SIZES = (10, 100)
# No telemetry, notices or version check: the CLI must not wait for a network that is not there.
CDK_ENV = {"CDK_DISABLE_CLI_TELEMETRY": "true", "CDK_DISABLE_VERSION_CHECK": "true"}


def _cell(m: Measure) -> str:
    return f"{m.wall:.2f} s, {m.cpu:.2f} s, {m.peak_mib:.0f} MiB"


def _cdk_resources(project: Path, out: Path) -> int:
    done = subprocess.run(
        ["node", str(CDK_DIR / "app.js"), str(project), str(out)], capture_output=True, text=True, check=True
    )
    return int(json.loads(done.stdout.strip().splitlines()[-1])["resources"])


def compare(sizes: Sequence[int], repeat: int) -> str:
    lines = [
        "| services | resources (template-gen / CDK) | template-gen synth: wall, CPU, peak | CDK app: wall, CPU, "
        "peak | CDK app, `CDK_VALIDATION=false` | `cdk synth` | CDK app / template-gen (wall) | same, without "
        "validation | `cdk synth` / template-gen (wall) |",
        "|---:|---:|---|---|---|---|---:|---:|---:|",
    ]
    os.environ.update(CDK_ENV)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            project = Path(tmp) / f"platform-{size}"
            write_registry(project, size)
            ours, app_out, cli_out = (Path(tmp) / f"{kind}-{size}" for kind in ("synth", "app", "cli"))
            resources = (_synth_resources(project, ours), _cdk_resources(project, app_out))
            synth = [*CLI, "--project-dir", str(project), "synth", "--env", "prod", "--out", str(ours)]
            app = ["node", str(CDK_DIR / "app.js"), str(project), str(app_out)]
            cli = [
                str(CDK_DIR / "node_modules" / ".bin" / "cdk"), "synth", "--app", f"node app.js {project}",
                "--output", str(cli_out), "--quiet", "--no-notices", "--no-version-reporting",
            ]  # fmt: skip
            bare = ["env", "CDK_VALIDATION=false", *app]
            ours_m, app_m, bare_m, cli_m = measure_in_turn([synth, app, bare, cli], repeat, cwd=CDK_DIR)
            lines.append(
                f"| {size:,} | {resources[0]:,} / {resources[1]:,} | {_cell(ours_m)} | {_cell(app_m)} "
                f"| {_cell(bare_m)} | {_cell(cli_m)} | {app_m.wall / ours_m.wall:.1f} "
                f"| {bare_m.wall / ours_m.wall:.1f} | {cli_m.wall / ours_m.wall:.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="platform sizes, in services")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (the median is shown)")
    args = parser.parse_args()
    if args.repeat < 5:
        parser.error("--repeat: at least 5 runs, so that the median means something")
    if not (CDK_DIR / "node_modules" / "aws-cdk-lib").is_dir():
        parser.error("benchmarks/cdk/node_modules is missing: run `make bench-cdk` (it runs npm ci first)")
    versions = json.loads((CDK_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, node {node}, "
        f"aws-cdk-lib {versions['aws-cdk-lib']}, aws-cdk (CLI) {versions['aws-cdk']}; "
        f"load average at the start {os.getloadavg()[0]:.2f}; median of {args.repeat} runs\n"
    )
    print(compare(tuple(int(s) for s in args.sizes.split(",")), args.repeat))


if __name__ == "__main__":
    main()

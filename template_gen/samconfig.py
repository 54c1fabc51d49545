"""Reading samconfig.toml the way the SAM CLI does for `--config-env ENV`: a command's section
(`[ENV.deploy.parameters]`) overrides the environment's global one (`[ENV.global.parameters]`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from template_gen.errors import UsageError

SAMCONFIG = "samconfig.toml"


def read(project_dir: Path) -> dict[str, Any]:
    """The parsed file, or {} when the project has none."""
    path = project_dir / SAMCONFIG
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{SAMCONFIG}: could not parse TOML: {exc}") from exc


def section(config: dict[str, Any], env_name: str, command: str) -> dict[str, Any]:
    """`[<env>.<command>.parameters]`, or {} when absent."""
    found = config.get(env_name, {}).get(command, {}).get("parameters", {})
    return found if isinstance(found, dict) else {}


def setting(config: dict[str, Any], env_name: str, key: str, command: str = "deploy") -> Any:
    """A parameter as `sam <command> --config-env ENV` sees it: the command's section, then global."""
    value = section(config, env_name, command).get(key)
    return value if value is not None else section(config, env_name, "global").get(key)

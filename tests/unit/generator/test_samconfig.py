from __future__ import annotations

from pathlib import Path

import pytest

from template_gen import samconfig
from template_gen.errors import UsageError

CONFIG = """
version = 0.1
[dev.global.parameters]
stack_name = "acme-dev"
region = "eu-west-1"
[dev.deploy.parameters]
region = "eu-central-1"
"""


def test_a_command_section_overrides_the_global_one_as_in_the_sam_cli(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(CONFIG)
    config = samconfig.read(tmp_path)
    assert samconfig.setting(config, "dev", "region") == "eu-central-1"
    assert samconfig.setting(config, "dev", "stack_name") == "acme-dev"
    assert samconfig.setting(config, "dev", "region", command="package") == "eu-west-1"
    assert samconfig.setting(config, "prod", "region") is None
    assert samconfig.section(config, "dev", "deploy") == {"region": "eu-central-1"}


def test_no_file_is_an_empty_config_and_a_broken_one_a_clear_error(tmp_path: Path) -> None:
    assert samconfig.read(tmp_path) == {}
    (tmp_path / "samconfig.toml").write_text("[dev\n")
    with pytest.raises(UsageError, match=r"^samconfig.toml: could not parse TOML: "):
        samconfig.read(tmp_path)

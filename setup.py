"""What pyproject.toml cannot say: the platform functions in functions/<name> ship inside the package as
template_gen/platform_functions/<name>, so an installed template-gen builds a platform whose repository has
no functions/ of its own. The list of names (PACKAGED_FUNCTIONS) is read from template_gen/platform_code.py
(not imported: the build environment may lack the package's dependencies)."""

from __future__ import annotations

import ast
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).resolve().parent


def platform_functions() -> tuple[str, ...]:
    tree = ast.parse((HERE / "template_gen" / "platform_code.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "PACKAGED_FUNCTIONS":
            assert node.value is not None
            return tuple(ast.literal_eval(node.value))
    raise SystemExit("template_gen/platform_code.py: PACKAGED_FUNCTIONS not found")


PACKAGED = "template_gen.platform_functions"
NAMES = platform_functions()

setup(
    packages=[
        *find_namespace_packages(include=["template_gen", "template_gen.*"], exclude=["*__pycache__*"]),
        PACKAGED,
        *(f"{PACKAGED}.{name}" for name in NAMES),
    ],
    package_dir={PACKAGED: "functions"},
    package_data={
        "template_gen": ["py.typed"],
        "template_gen.review": ["create_only.json"],
        **{f"{PACKAGED}.{n}": ["*"] for n in NAMES},
    },
    exclude_package_data={f"{PACKAGED}.{n}": ["*.pyc"] for n in NAMES},
)

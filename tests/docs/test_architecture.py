"""docs/architecture.md's module map: every module it names exists, and every package of server/ and resolvers/ is
on it."""

from __future__ import annotations

import re

from tests.docs.examples import ROOT

MAP = (ROOT / "docs" / "architecture.md").read_text()
NAMED = re.compile(r"`((?:server|resolvers|bench)/[\w/.]*)`")


def test_every_named_module_exists() -> None:
    named = NAMED.findall(MAP)
    assert named
    assert [p for p in named if not (ROOT / p).exists() and not (ROOT / f"{p}.py").exists()] == []


def test_every_package_is_on_the_map() -> None:
    named = {p.rstrip("/") for p in NAMED.findall(MAP)}
    packages = [
        init.parent.relative_to(ROOT).as_posix()
        for root in ("server", "resolvers")
        for init in sorted((ROOT / root).glob("*/__init__.py"))
    ]
    assert [p for p in packages if p not in named] == []

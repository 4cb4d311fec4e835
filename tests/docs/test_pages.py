"""README.md and docs/: short enough, links that lead somewhere, and no narration of the project's own history."""

from __future__ import annotations

import re

import pytest

from server.settings import environment_variables
from tests.docs.examples import ROOT, pages

# Pages the README links to that other changes write (security, deployment, export format, web app).
WRITTEN_ELSEWHERE = {"docs/security.md", "docs/deployment.md", "docs/export-format.md", "docs/web-app.md"}
LINK = re.compile(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")
HISTORY = re.compile(r"\b(session \d+|round \d+|work period|branch(es)? [`'\"]?\w|before/after|old main)\b", re.I)


def test_the_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_links_lead_to_pages(page: object) -> None:
    text = page.read_text()  # type: ignore[attr-defined]
    for target in LINK.findall(text):
        resolved = (page.parent / target).resolve().relative_to(ROOT)  # type: ignore[attr-defined]
        assert (ROOT / resolved).exists() or str(resolved) in WRITTEN_ELSEWHERE, f"{page}: {target}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_development_history(page: object) -> None:
    assert HISTORY.findall(page.read_text()) == []  # type: ignore[attr-defined]


# Variables the configuration page names that are not settings: the CLI's key for `export --server`.
NOT_SETTINGS = {"CATALOG_EXPORT_API_KEY"}
TABLE_VARIABLE = re.compile(r"`([A-Z][A-Z0-9_]+)`")


def test_the_configuration_page_lists_exactly_the_settings() -> None:
    table = [line for line in (ROOT / "docs" / "configuration.md").read_text().splitlines() if line.startswith("| `")]
    listed = {name for line in table for name in TABLE_VARIABLE.findall(line.split(" | ")[0])}
    assert [name for name in environment_variables() if name not in listed] == []
    assert sorted(listed - set(environment_variables()) - NOT_SETTINGS) == []

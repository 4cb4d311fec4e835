"""The examples of README.md and docs/*.md: fenced ```graphql, ```sh and ```python blocks, with where they are.

What a GraphQL block promises is read from the block itself: by default every operation answers without errors,
every connection (`nodes`) it selects is non-empty and every export it starts completes with rows; a line
`# expect: CODE` in the block says its operations are refused with that `extensions.code` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECT = re.compile(r"^\s*# expect: (\w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    path: Path
    line: int
    language: str
    text: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def expected_code(self) -> str | None:
        found = EXPECT.search(self.text)
        return found.group(1) if found else None


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples(language: str) -> list[Example]:
    found = []
    for path in pages():
        text = path.read_text()
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                found.append(Example(path, text.count("\n", 0, match.start()) + 1, language, match.group(2)))
    return found


def cli_lines(example: Example) -> list[str]:
    """The `catalog-export …` commands of a shell block (continuations joined, comments dropped)."""
    joined = example.text.replace("\\\n", " ")
    lines = [line.split(" #", 1)[0].strip() for line in joined.splitlines()]
    return [line for line in lines if line.startswith("catalog-export ")]

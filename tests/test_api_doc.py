"""docs/api.md is the repository's copy of the v1 reference: every "docs/api.md §N.M" citation in
the repository's Python and Markdown files must name a section that exists there."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
API_DOC = REPO / "docs" / "api.md"
SELF = Path(__file__).resolve().relative_to(REPO)  # its examples are not citations
SKIPPED_DIRS = {"node_modules", "__pycache__"}

HEADING = re.compile(r"^#{2,3}\s+(?:(\d+(?:\.\d+)*)\.?\s+)?(.+?)\s*$", re.MULTILINE)
# "docs/api.md §2.1", "docs/api.md §1-§3", "docs/api.md §7.4, §7.5 and §9"
CITATION = re.compile(r"docs/api\.md\s*((?:§\s?\d+(?:\.\d+)*(?:\s*(?:[-–,/]|and|or)\s*)?)+)")
NAMED_CITATION = re.compile(r'docs/api\.md\s+"([A-Z][^"]{0,60})"')  # docs/api.md "Decisions" 4
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)")
# The Graph API's contract (issue #23) is cited as "instagram-graph/API.md §N": a named file
# of the shared contracts, not the old bare "API.md §N" this test hunts.
OUTSIDE_CITATION = re.compile(r"(?<!instagram-graph/)(?<![\w.-])API\.md\s*(?:§|\")")


def sections(text: str) -> tuple[set[str], list[str]]:
    """The numbered sections (`"2.1"`) and the titles of every `##` / `###` heading."""
    numbers, titles = set(), []
    for number, title in HEADING.findall(text):
        if number:
            numbers.add(number)
        titles.append(title)
    return numbers, titles


def cited(text: str) -> tuple[list[str], list[str]]:
    """The section numbers and the quoted section names that `text` cites in docs/api.md."""
    numbers = [number for refs in CITATION.findall(text) for number in SECTION.findall(refs)]
    return numbers, NAMED_CITATION.findall(text)


def repository_texts() -> dict[str, str]:
    """Every .py and .md file of the repository, by path relative to its root. Hidden folders
    (venvs, caches) are not entered: the PostgreSQL step writes `.venv-postgres` while the main
    suite runs, and a file vanished under a walk of it."""
    texts = {}
    for folder, subfolders, files in os.walk(REPO):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name not in SKIPPED_DIRS]
        for name in files:
            relative = (Path(folder) / name).relative_to(REPO)
            if relative.suffix in (".py", ".md") and relative != SELF:
                texts[relative.as_posix()] = (REPO / relative).read_text(encoding="utf-8")
    return texts


def test_the_parsers_read_headings_and_citations() -> None:
    numbers, titles = sections("## 0. Eras\n### 2.1 Users\n## Decisions for this project\n# Title\n")
    assert numbers == {"0", "2.1"} and titles == ["Eras", "Users", "Decisions for this project"]
    text = 'see docs/api.md §1-§3, docs/api.md §7.4, §7.5 and §9.1 (docs/api.md "Decisions" 4); API.md §6'
    assert cited(text) == (["1", "3", "7.4", "7.5", "9.1"], ["Decisions"])


def test_the_doc_keeps_the_reference_numbering() -> None:
    numbers, titles = sections(API_DOC.read_text(encoding="utf-8"))
    top = {str(n) for n in range(13)}
    subsections = {f"2.{n}" for n in range(1, 10)} | {"3.1", "3.2", "3.3"} | {f"4.{n}" for n in range(1, 7)}
    subsections |= {f"7.{n}" for n in range(1, 6)} | {f"9.{n}" for n in range(1, 8)} | {"10.1", "10.2"}
    assert top | subsections <= numbers, sorted(top | subsections - numbers)
    assert "Decisions for this project" in titles


def test_every_citation_names_a_section_of_the_doc() -> None:
    numbers, titles = sections(API_DOC.read_text(encoding="utf-8"))
    missing, count = [], 0
    for path, text in repository_texts().items():
        cited_numbers, cited_names = cited(text)
        if path == "docs/api.md":  # its own cross-references ("see §9.6")
            cited_numbers = SECTION.findall(text)
        count += len(cited_numbers) + len(cited_names)
        missing += [f"{path}: §{number}" for number in cited_numbers if number not in numbers]
        missing += [f'{path}: "{name}"' for name in cited_names if not any(name in title for title in titles)]
    assert not missing, f"citations of sections docs/api.md does not have: {missing}"
    assert count >= 20, "the citations were not found at all"


def test_no_citation_points_outside_the_repository() -> None:
    """The spec lives in the repository now: cite docs/api.md, not the team's API.md."""
    stale = [
        f"{path}:{text.count(chr(10), 0, match.start()) + 1}"
        for path, text in repository_texts().items()
        for match in OUTSIDE_CITATION.finditer(text)
    ]
    assert not stale, f"replace 'API.md §' by 'docs/api.md §' at {stale}"

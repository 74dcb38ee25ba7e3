"""Every ```python block of the docs runs as written.

Each block runs in a fresh ``python`` subprocess (working directory: an empty temporary folder; ``PYTHONPATH``
inherited; one thread; offline), so a block must build or load everything it uses. Two HTML comments, on the line
right above a block's fence, change that:

- ``<!-- continues -->``: the block continues the block before it in the same file (they run as one script);
- ``<!-- not run: REASON -->``: the block is not run (needs a GPU, the user's own files, hours...); the reason is
  required, and shows in the test report.

``bash`` and other blocks are never run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "dataset_builders" / "README.md", ROOT / "README.md"]
REWRITTEN: set = set()  # documents whose blocks may fail while they are being rewritten
TIMEOUT_S = 240
FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<reason>\S.*?)\s*-->$")
CONTINUES = re.compile(r"^<!--\s*continues\s*-->$")


@dataclass
class Example:
    """One script: a python block and the blocks that continue it."""

    document: Path
    line: int  # of the first block's fence, 1-based
    code: str
    skip_reason: str | None = None

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def python_blocks(document: Path) -> list[tuple[int, str, str | None, bool]]:
    """``(line, code, not-run reason, continues)`` of each ```python block of ``document``."""
    lines = document.read_text().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        end = next((i for i in range(index + 1, len(lines)) if lines[i].strip() == "```"), len(lines))
        if fence.group(1) == "python":
            above = lines[index - 1].strip() if index else ""
            not_run, code = NOT_RUN.match(above), "\n".join(lines[index + 1 : end])
            blocks.append((index + 1, code, not_run and not_run["reason"], bool(CONTINUES.match(above))))
        index = end + 1
    return blocks


def examples(document: Path) -> list[Example]:
    """The scripts of ``document``: each block, with the blocks that continue it appended."""
    scripts: list[Example] = []
    for line, code, reason, continues in python_blocks(document):
        if continues:
            if not scripts:
                raise ValueError(f"{document}:{line}: the first python block cannot continue another.")
            scripts[-1].code += "\n" + code
            scripts[-1].skip_reason = scripts[-1].skip_reason or reason
        else:
            scripts.append(Example(document, line, code, reason))
    return scripts


def _cases():
    for document in DOCUMENTS:
        for example in examples(document):
            marks = []
            if example.skip_reason:
                marks.append(pytest.mark.skip(reason=f"not run: {example.skip_reason}"))
            elif document in REWRITTEN:
                marks.append(pytest.mark.xfail(strict=False, reason="README is being rewritten"))
            yield pytest.param(example, id=example.name, marks=marks)


@pytest.mark.parametrize("example", list(_cases()))
def test_doc_block_runs(example: Example, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", example.code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, f"{example.name} failed:\n{result.stderr[-3000:]}"


def test_markers_are_read(tmp_path):
    """The conventions above: a reason is required to skip, and a continuation joins its block."""
    document = tmp_path / "doc.md"
    document.write_text(
        "text\n```python\na = 1\n```\n<!-- continues -->\n```python\nprint(a)\n```\n"
        "<!-- not run: needs a GPU -->\n```python\nimport cuda_only\n```\n```bash\nls\n```\n"
    )
    first, second = examples(document)
    assert (first.code, first.skip_reason) == ("a = 1\nprint(a)", None)
    assert second.skip_reason == "needs a GPU"
    assert NOT_RUN.match("<!-- not run: -->") is None


def test_every_document_has_been_read():
    assert all(document.is_file() for document in DOCUMENTS)
    assert sum(len(python_blocks(document)) for document in DOCUMENTS) > 10

"""Checkpoints that ship inside the package, one folder each (config, safetensors, processor, model card).

    >>> from transformers import AutoModel, AutoProcessor
    >>> model = AutoModel.from_pretrained(imu_foundation.pretrained_path())
    >>> processor = AutoProcessor.from_pretrained(imu_foundation.pretrained_path())

Each folder holds only what was trained (the frozen text tower loads from its own package) and a card saying how it
was made and the command that remakes it.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT = "multi3net-small"
_FOLDER = Path(__file__).parent


def list_pretrained() -> list[str]:
    """Names of the shipped checkpoints."""
    return sorted(p.name for p in _FOLDER.iterdir() if (p / "config.json").is_file())


def pretrained_path(name: str | None = None) -> Path:
    """The folder of a shipped checkpoint (``DEFAULT`` when no name is given), for ``from_pretrained``."""
    name = name or DEFAULT
    folder = _FOLDER / name
    if not (folder / "config.json").is_file():
        available = ", ".join(list_pretrained()) or "none"
        raise FileNotFoundError(
            f"No shipped checkpoint {name!r} (available: {available}). `imu-foundation pretrain` makes one; "
            "docs/pretraining.md has the command."
        )
    return folder


__all__ = ["DEFAULT", "list_pretrained", "pretrained_path"]

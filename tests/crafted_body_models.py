"""Body-model files for the pickle tests: crafted ones whose unpickling runs code, and benign real-layout ones."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np


class CreatesMarker:
    """Unpickling this object runs ``exec`` on code that creates ``marker``: what a crafted model file can do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


def crafted_pickle(path: Path, marker: Path) -> Path:
    """An SMPL-named ``.pkl`` whose unpickling creates ``marker``."""
    with open(path, "wb") as file:
        pickle.dump({"v_template": CreatesMarker(marker), "f": np.zeros((1, 3), dtype=np.uint32)}, file)
    return path


def crafted_npz(path: Path, marker: Path, arrays: dict[str, np.ndarray]) -> Path:
    """A complete model ``.npz`` (``arrays``) plus one object member whose unpickling creates ``marker``."""
    np.savez(path, **arrays, bs_style=np.array(CreatesMarker(marker), dtype=object))
    return path


def smpl_pickle(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """``arrays`` in SMPL's pickle layout, as the SMPL site distributes a model (``SMPL_NEUTRAL.pkl``)."""
    with open(path, "wb") as file:
        pickle.dump(dict(arrays), file, protocol=2)
    return path

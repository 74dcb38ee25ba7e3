"""Publishing checkpoints and corpora to the Hugging Face Hub, and the loopback round trip that proves they load back.

    from imu_foundation.publishing import push_checkpoint, push_corpus
    push_checkpoint("runs/wrist", "my-org/multi3net-wrist")        # AutoModel*.from_pretrained("my-org/...")
    push_corpus("corpora/library-20k", "my-org/imu-library-20k")   # datasets.load_dataset("my-org/...")

- :func:`push_checkpoint`: a Multi^3Net or Img2Imu folder (base model or classifier) goes up with ``push_to_hub``:
  safetensors weights, the config with its ``auto_map``, the model's source files (so it also loads with
  ``trust_remote_code=True`` where the package is not installed), the processor or feature extractor, and the
  folder's own ``README.md`` card, committed first so that ``push_to_hub`` keeps it instead of writing a stub.
- :func:`push_corpus`: a ``save_to_disk`` folder goes up as parquet with ``DatasetDict.push_to_hub``; its card is
  committed first, and ``datasets`` merges its ``dataset_info`` / ``configs`` metadata into it.
- :func:`hub_round_trip`: the demo's publishing step. The real Hub is unreachable offline, so it starts the package's
  loopback Hub (:mod:`imu_foundation.hub_server`), pushes both folders with ``imu-foundation push`` and loads them back
  by repo id in a fresh interpreter (``huggingface_hub`` reads ``HF_ENDPOINT`` at import), then checks that the model
  gives the local folder's outputs exactly and that every row of the corpus came back unchanged. With a token and
  network, ``imu-foundation push`` is the same code against the real Hub.

Pushing needs a token (``hf auth login``, ``HF_TOKEN`` or ``token=``); without one nothing is uploaded.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT_MARKERS = ("config.json",)
CORPUS_MARKERS = ("dataset_dict.json", "dataset_info.json")  # a DatasetDict folder / a Dataset folder
ROUND_TRIP_WINDOWS = 4


# ----------------------------------------------------------------------------------------------------------------------
# What a folder holds
# ----------------------------------------------------------------------------------------------------------------------
def folder_kind(path: str | Path) -> str:
    """``"checkpoint"`` (a ``config.json``) or ``"corpus"`` (a ``save_to_disk`` folder); ``ValueError`` otherwise."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: name a checkpoint folder or a corpus folder.")
    if any((folder / name).is_file() for name in CHECKPOINT_MARKERS):
        return "checkpoint"
    if any((folder / name).is_file() for name in CORPUS_MARKERS):
        return "corpus"
    raise ValueError(
        f"{folder} is neither a checkpoint (no config.json) nor a corpus saved with save_to_disk "
        "(no dataset_dict.json or dataset_info.json)."
    )


def auto_class_name(config) -> str:
    """The transformers Auto class a checkpoint loads with: the one its architecture registered under
    (:mod:`imu_foundation.auto_registration`), e.g. ``"AutoModelForSequenceClassification"`` for a Multi^3Net
    classifier."""
    import imu_foundation

    architecture = (getattr(config, "architectures", None) or [None])[0]
    model_class = getattr(imu_foundation, architecture, None) if architecture else None
    if model_class is None or getattr(model_class, "_auto_class", None) is None:
        raise ValueError(
            f"the checkpoint's architecture {architecture!r} ({config.model_type}) is not one of the package's models "
            "(Multi^3Net or Img2Imu, base or classifier)."
        )
    return model_class._auto_class


def load_checkpoint(source: str | Path) -> tuple[Any, Any]:
    """The model (in eval mode, through its Auto class) and its processor or feature extractor, from a checkpoint
    folder or a Hub repo id."""
    import transformers
    from transformers import AutoConfig, AutoFeatureExtractor, AutoProcessor

    source = str(source)
    model = getattr(transformers, auto_class_name(AutoConfig.from_pretrained(source))).from_pretrained(source)
    try:  # a Multi^3Net processor (feature extractor + tokenizer) where there is one
        preprocessor = AutoProcessor.from_pretrained(source)
    except (OSError, ValueError, TypeError):
        preprocessor = AutoFeatureExtractor.from_pretrained(source)
    return model.eval(), preprocessor


# ----------------------------------------------------------------------------------------------------------------------
# Pushing
# ----------------------------------------------------------------------------------------------------------------------
def require_token(token: str | None = None) -> str:
    """``token``, else ``HF_TOKEN``, else the one ``hf auth login`` stored; a one-line ``ValueError`` when none."""
    from huggingface_hub import constants, get_token

    if constants.HF_HUB_OFFLINE:
        raise ValueError("HF_HUB_OFFLINE=1 is set: pushing needs the Hub; unset it to publish. Nothing was uploaded.")
    token = token or get_token()
    if not token:
        raise ValueError(
            "no Hugging Face token: log in with `hf auth login` (formerly `huggingface-cli login`), set HF_TOKEN or "
            "pass --token. Nothing was uploaded."
        )
    return token


def push_checkpoint(
    folder: str | Path,
    repo_id: str,
    private: bool = False,
    token: str | None = None,
    commit_message: str = "Upload imu-foundation checkpoint",
) -> dict[str, Any]:
    """Pushes a checkpoint folder (model, processor or feature extractor, ``README.md`` card) to ``repo_id``.

    The folder must hold a model card: a published checkpoint says what it is, what it expects and how it was
    measured (:mod:`imu_foundation.model_cards` writes them). Returns ``{"repo_id", "url", "auto_class", "files"}``.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.utils import validate_repo_id

    folder = Path(folder)
    validate_repo_id(repo_id)
    card = folder / "README.md"
    if not card.is_file():
        raise ValueError(
            f"{folder} has no README.md model card: write one (imu_foundation.model_cards) before publishing."
        )
    token = require_token(token)
    model, preprocessor = load_checkpoint(folder)
    api = HfApi(token=token)
    url = api.create_repo(repo_id, private=private, exist_ok=True)
    api.upload_file(path_or_fileobj=str(card), path_in_repo="README.md", repo_id=repo_id, commit_message="Model card")
    model.push_to_hub(repo_id, commit_message=commit_message, private=private, token=token)
    preprocessor.push_to_hub(repo_id, commit_message=f"{commit_message}: processor", token=token)
    _keep_card(api, card, repo_id, "model")
    files = sorted(api.list_repo_files(repo_id))
    return {"repo_id": repo_id, "url": str(url), "auto_class": auto_class_name(model.config), "files": files}


def push_corpus(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> dict[str, Any]:
    """Pushes a ``save_to_disk`` corpus folder to the dataset repo ``repo_id`` as parquet, with its card if it has one.

    Returns ``{"repo_id", "url", "splits", "rows", "files"}``.
    """
    from huggingface_hub import DatasetCard, HfApi
    from huggingface_hub.utils import validate_repo_id

    validate_repo_id(repo_id)
    token = require_token(token)
    corpus = load_corpus_folder(folder)
    api = HfApi(token=token)
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    card = Path(folder) / "README.md"
    if card.is_file():  # first, so that datasets merges its metadata into this card rather than writing its own
        DatasetCard.load(card).push_to_hub(repo_id, token=token, commit_message="Dataset card")
    corpus.push_to_hub(repo_id, private=private, token=token)
    files = sorted(api.list_repo_files(repo_id, repo_type="dataset"))
    rows = {name: len(split) for name, split in corpus.items()}
    return {"repo_id": repo_id, "url": str(url), "splits": list(rows), "rows": rows, "files": files}


def push_folder(path: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> dict[str, Any]:
    """:func:`push_checkpoint` or :func:`push_corpus`, whichever ``path`` holds; the result names the ``kind``."""
    kind = folder_kind(path)
    push = push_checkpoint if kind == "checkpoint" else push_corpus
    return {"kind": kind, **push(path, repo_id, private=private, token=token)}


def load_corpus_folder(folder: str | Path):
    """A ``save_to_disk`` folder as a ``DatasetDict`` (a single saved ``Dataset`` becomes its ``train`` split)."""
    import datasets

    corpus = datasets.load_from_disk(str(folder))
    return corpus if isinstance(corpus, datasets.DatasetDict) else datasets.DatasetDict({"train": corpus})


def _keep_card(api, card: Path, repo_id: str, repo_type: str) -> None:
    """Re-commits the folder's card byte for byte if ``push_to_hub`` rewrote it (it re-serialises the metadata)."""
    from huggingface_hub.utils.sha import git_hash

    (remote,) = api.get_paths_info(repo_id, ["README.md"], repo_type=repo_type)
    if remote.blob_id != git_hash(card.read_bytes()):
        api.upload_file(path_or_fileobj=str(card), path_in_repo="README.md", repo_id=repo_id, repo_type=repo_type)


# ----------------------------------------------------------------------------------------------------------------------
# The loopback round trip
# ----------------------------------------------------------------------------------------------------------------------
@torch.no_grad()
def window_outputs(model, preprocessor, corpus, num_windows: int = ROUND_TRIP_WINDOWS) -> torch.Tensor:
    """``(n, D)`` outputs of the model on the first ``n`` windows of the corpus's first split, each window with its
    own layout: logits of a classifier, the IMU embedding of a Multi^3Net model, the pooled feature of Img2Imu."""
    from .finetuning import WindowCollator
    from .sensors import DeviceLayout

    split = corpus[next(iter(corpus))]
    rows = split.select(range(min(num_windows, len(split)))).with_format("numpy")
    feature_extractor = getattr(preprocessor, "feature_extractor", preprocessor)
    outputs = []
    for row in rows:
        collator = WindowCollator(feature_extractor, DeviceLayout.from_dict(row), model.config.model_type)
        inputs = collator.inputs([np.asarray(row["imu"], dtype=np.float32)])
        if hasattr(model, "get_imu_features"):
            outputs.append(model.get_imu_features(**inputs).pooler_output)
        else:
            output = model(**inputs)
            outputs.append(output.logits if hasattr(output, "logits") else output.pooler_output)
    return torch.cat(outputs)


def compare_corpora(local, loaded) -> int:
    """Checks that two ``DatasetDict`` hold the same splits, features and values (Arrow columns compared exactly);
    returns the rows compared.

    Raises:
        ValueError: naming the split, column and first row that differ.
    """
    if list(local) != list(loaded):
        raise ValueError(f"splits differ: {list(local)} pushed, {list(loaded)} loaded back.")
    for name in local:
        mine, theirs = local[name], loaded[name]
        if mine.features != theirs.features or len(mine) != len(theirs):
            raise ValueError(f"split {name!r}: features or length differ ({len(mine)} vs {len(theirs)} rows).")
        mine_table, their_table = mine.with_format("arrow")[:], theirs.with_format("arrow")[:]  # indices applied
        for column in mine.column_names:
            if not mine_table.column(column).equals(their_table.column(column)):
                row = _first_difference(mine.with_format("numpy")[column], theirs.with_format("numpy")[column])
                raise ValueError(f"split {name!r}, column {column!r}, row {row}: the loaded value differs.")
    return sum(len(split) for split in local.values())


def _first_difference(mine, theirs) -> int | None:
    """The first index where two columns (lists or arrays of values) differ."""
    for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
            return index
    return None


def load_back(model_repo: str, corpus_repo: str, output_dir: str | Path, num_windows: int = ROUND_TRIP_WINDOWS) -> None:
    """The client side of :func:`hub_round_trip` (run where ``HF_ENDPOINT`` names the hub): loads both repos by id
    and writes the model's outputs on the loaded corpus and the corpus itself into ``output_dir``."""
    from datasets import load_dataset
    from safetensors.torch import save_file

    output_dir = Path(output_dir)
    model, preprocessor = load_checkpoint(model_repo)
    corpus = load_dataset(corpus_repo)
    save_file(
        {"outputs": window_outputs(model, preprocessor, corpus, num_windows)}, output_dir / "hub_outputs.safetensors"
    )
    corpus.save_to_disk(str(output_dir / "hub_corpus"))
    print(json.dumps({"model_class": type(model).__name__, "preprocessor_class": type(preprocessor).__name__}))


def hub_round_trip(
    model_folder: str | Path,
    corpus_folder: str | Path,
    work_dir: str | Path,
    repo_prefix: str = "imu-foundation-demo",
    num_windows: int = ROUND_TRIP_WINDOWS,
) -> dict[str, Any]:
    """Pushes a checkpoint and a corpus to a loopback Hub under ``work_dir``, loads both back by repo id and checks
    that nothing changed on the way (see the module docstring). ``repo_prefix`` is the repos' namespace.

    Returns a JSON-ready report: endpoint, repo ids, files pushed, windows and rows compared, the largest absolute
    output difference and ``equal`` (always true: any difference raises).

    Raises:
        RuntimeError: a push or the load-back failed, the hub was sent a request it does not implement, or the
            loaded model's outputs or the loaded corpus differ from the local ones.
    """
    from .hub_server import LocalHub

    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    model_repo = f"{repo_prefix}/{_repo_name(model_folder)}"
    corpus_repo = f"{repo_prefix}/{_repo_name(corpus_folder)}"
    with LocalHub(work_dir / "hub") as hub:
        env = hub.client_env(work_dir / "client", token="hf_local_demo_token")
        for folder, repo_id in ((model_folder, model_repo), (corpus_folder, corpus_repo)):
            _run_client(["-m", "imu_foundation.cli", "push", str(folder), "--repo-id", repo_id], env)
        code = (
            "import sys; from imu_foundation.publishing import load_back; load_back(*sys.argv[1:4], int(sys.argv[4]))"
        )
        loaded = _run_client(["-c", code, model_repo, corpus_repo, str(work_dir), str(num_windows)], env)
        if hub.unhandled:
            raise RuntimeError(f"the loopback hub was sent requests it does not implement: {hub.unhandled}")
        report = {
            "endpoint": hub.url,
            "model_repo": model_repo,
            "corpus_repo": corpus_repo,
            "model_files": _repo_files(hub, "model", model_repo),
            "corpus_files": _repo_files(hub, "dataset", corpus_repo),
            **json.loads(loaded.strip().splitlines()[-1]),
        }
    return {**report, **_check_round_trip(model_folder, corpus_folder, work_dir, num_windows)}


def _check_round_trip(model_folder, corpus_folder, work_dir: Path, num_windows: int) -> dict[str, Any]:
    """Compares what came back from the hub (written by :func:`load_back`) with the local folders."""
    import datasets
    from safetensors.torch import load_file

    local_corpus = load_corpus_folder(corpus_folder)
    try:
        rows = compare_corpora(local_corpus, datasets.load_from_disk(str(work_dir / "hub_corpus")))
    except ValueError as error:
        raise RuntimeError(f"the corpus loaded back from the hub differs from {corpus_folder}: {error}") from error
    model, preprocessor = load_checkpoint(model_folder)
    local = window_outputs(model, preprocessor, local_corpus, num_windows)
    hub = load_file(work_dir / "hub_outputs.safetensors")["outputs"]
    if local.shape != hub.shape or not torch.equal(local, hub):
        difference = float((local - hub).abs().max()) if local.shape == hub.shape else float("inf")
        raise RuntimeError(
            f"the model loaded back from the hub gives outputs {tuple(hub.shape)} that differ from {model_folder}'s "
            f"{tuple(local.shape)} by up to {difference:.3g}."
        )
    return {"windows_compared": len(local), "max_abs_difference": 0.0, "rows_compared": rows, "equal": True}


def _run_client(arguments: list[str], env: dict[str, str]) -> str:
    """Runs ``python ARGUMENTS`` wired to the hub; its stdout, or a ``RuntimeError`` holding its stderr."""
    done = subprocess.run([sys.executable, *arguments], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`python {' '.join(arguments[:4])} ...` failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


def _repo_name(folder: str | Path) -> str:
    """A folder's name as a Hub repo name (letters, digits, ``-``, ``_``, ``.``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(folder).resolve().name).strip("-.")
    return name or "imu-foundation"


def _repo_files(hub, repo_type: str, repo_id: str) -> list[str]:
    """The files on the main branch of a repo of the loopback hub."""
    repo = hub.storage.load(repo_type, repo_id)
    return sorted(repo["commits"][repo["branches"]["main"]]["tree"])


__all__ = [
    "auto_class_name",
    "compare_corpora",
    "folder_kind",
    "hub_round_trip",
    "load_back",
    "load_checkpoint",
    "push_checkpoint",
    "push_corpus",
    "push_folder",
    "require_token",
    "window_outputs",
]

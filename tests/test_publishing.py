"""``imu-foundation push`` and :func:`imu_foundation.publishing.hub_round_trip` against the loopback Hub.

Pushes run in subprocesses wired to the hub (``LocalHub.client_env``): huggingface_hub reads ``HF_ENDPOINT`` at import,
and this suite runs with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest
from huggingface_hub import DatasetCard, DatasetCardData
from zero_shot_helpers import save_tiny_multi3net, tiny_corpus

from imu_foundation.cli import main
from imu_foundation.hub_server import HubStorage
from imu_foundation.model_cards import CardContent, build_model_card
from imu_foundation.publishing import _check_round_trip, compare_corpora, hub_round_trip


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A tiny Multi^3Net checkpoint with a model card, and a tiny corpus saved with a dataset card."""
    root = tmp_path_factory.mktemp("publishing")
    model = save_tiny_multi3net(root / "tiny-multi3net")
    content = CardContent(
        title="Tiny Multi^3Net",
        summary="A seeded random Multi^3Net for publishing tests.",
        model_name="tiny-multi3net",
        training="Not trained.",
        limitations="Random weights.",
        usage="from transformers import AutoModel",
    )
    build_model_card(content).save(model / "README.md")
    corpus = root / "tiny-corpus"
    tiny_corpus().save_to_disk(str(corpus))
    card = DatasetCard(f"---\n{DatasetCardData(license='cc-by-4.0').to_yaml()}\n---\n# Tiny corpus\n\nThree classes.\n")
    card.save(corpus / "README.md")
    return model, corpus


@pytest.fixture(scope="module")
def round_trip(folders, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("round-trip")
    return hub_round_trip(*folders, work_dir), HubStorage(work_dir / "hub"), work_dir


def _head_file(storage: HubStorage, repo_type: str, repo_id: str, path: str) -> bytes:
    repo = storage.load(repo_type, repo_id)
    entry = repo["commits"][repo["branches"]["main"]]["tree"][path]
    return storage.blob_path(entry["sha256"]).read_bytes()


def test_round_trip_loads_both_back_by_repo_id_with_identical_outputs(round_trip):
    report, _, _ = round_trip
    assert report["equal"] is True and report["max_abs_difference"] == 0.0
    assert report["model_repo"] == "imu-foundation-demo/tiny-multi3net"
    assert report["corpus_repo"] == "imu-foundation-demo/tiny-corpus"
    assert report["model_class"] == "Multi3NetModel" and report["preprocessor_class"] == "Multi3NetProcessor"
    assert report["windows_compared"] == 4 and report["rows_compared"] == 9
    assert report["endpoint"].startswith("http://127.0.0.1:")
    files = report["model_files"]
    assert {"model.safetensors", "config.json", "processor_config.json", "modeling_multi3net.py"} <= set(files)
    assert not any(name.endswith((".bin", ".pkl", ".pt", ".pth")) for name in files)  # nothing pickled
    assert any(name.endswith(".parquet") for name in report["corpus_files"])
    json.dumps(report)  # JSON-ready


def test_pushed_checkpoint_keeps_its_card_and_auto_map(round_trip, folders):
    _, storage, _ = round_trip
    model, corpus = folders
    repo = "imu-foundation-demo/tiny-multi3net"
    assert _head_file(storage, "model", repo, "README.md") == (model / "README.md").read_bytes()  # not the stub
    config = json.loads(_head_file(storage, "model", repo, "config.json"))
    assert config["auto_map"]["AutoModel"] == "modeling_multi3net.Multi3NetModel"
    dataset_card = _head_file(storage, "dataset", "imu-foundation-demo/tiny-corpus", "README.md").decode()
    assert "# Tiny corpus" in dataset_card and "license: cc-by-4.0" in dataset_card
    assert "dataset_info:" in dataset_card  # datasets merged its metadata into our card


def test_private_push_through_the_cli(local_hub, folders, tmp_path):
    arguments = ["-m", "imu_foundation.cli", "push", str(folders[1]), "--repo-id", "org/private-corpus", "--private"]
    done = subprocess.run(
        [sys.executable, *arguments], env=local_hub.client_env(tmp_path), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.startswith(f"pushed the corpus {folders[1]} to {local_hub.url}/datasets/org/private-corpus")
    assert local_hub.storage.load("dataset", "org/private-corpus")["private"] is True
    with pytest.raises(urllib.error.HTTPError) as refused:  # no token, no repo
        urllib.request.urlopen(f"{local_hub.url}/api/datasets/org/private-corpus", timeout=10)
    assert refused.value.code == 401


def test_push_without_a_token_fails_before_uploading(local_hub, folders, tmp_path):
    env = {key: value for key, value in local_hub.client_env(tmp_path).items() if key != "HF_TOKEN"}
    arguments = ["-m", "imu_foundation.cli", "push", str(folders[0]), "--repo-id", "org/tiny"]
    done = subprocess.run([sys.executable, *arguments], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("imu-foundation push: no Hugging Face token")
    assert "hf auth login" in done.stderr and "HF_TOKEN" in done.stderr and "Traceback" not in done.stderr
    assert local_hub.requests == []  # nothing reached the hub


def test_push_refuses_bad_paths_and_repo_ids_in_one_line(folders, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("neither")
    assert main(["push", str(tmp_path), "--repo-id", "org/x"]) == 2
    assert "is neither a checkpoint (no config.json) nor a corpus" in capsys.readouterr().err
    assert main(["push", str(tmp_path / "missing"), "--repo-id", "org/x"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["push", str(folders[0]), "--repo-id", "org/x/y"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    uncarded = save_tiny_multi3net(tmp_path / "uncarded")
    assert main(["push", str(uncarded), "--repo-id", "org/x"]) == 2
    assert "has no README.md model card" in capsys.readouterr().err


def test_compare_corpora_names_what_differs():
    pushed = tiny_corpus()
    assert compare_corpora(pushed, tiny_corpus()) == 9
    changed = pushed.copy()
    changed["test"] = pushed["test"].map(
        lambda row, i: {"subject": "x" if i == 4 else row["subject"]}, with_indices=True
    )
    with pytest.raises(ValueError, match="split 'test', column 'subject', row 4"):
        compare_corpora(pushed, changed)

    def nudge(row, i):  # one sample of window 2 moved by one float32 step
        imu = np.asarray(row["imu"], dtype=np.float32)
        if i == 2:
            imu[5, 3] = np.nextafter(imu[5, 3], np.float32(np.inf))
        return {"imu": imu}

    changed["test"] = pushed["test"].map(nudge, with_indices=True)
    with pytest.raises(ValueError, match="split 'test', column 'imu', row 2"):
        compare_corpora(pushed, changed)


def test_the_round_trip_check_fails_on_any_output_difference(round_trip, folders):
    """What the load-back wrote, one number changed by one float32 step: the check must refuse it."""
    from safetensors.torch import load_file, save_file

    *_, work_dir = round_trip
    outputs = load_file(work_dir / "hub_outputs.safetensors")["outputs"]
    outputs[1, 0] = outputs[1, 0].nextafter(outputs[1, 0] + 1)
    save_file({"outputs": outputs}, work_dir / "hub_outputs.safetensors")
    with pytest.raises(RuntimeError, match="differ from .* by up to"):
        _check_round_trip(*folders, work_dir, 4)

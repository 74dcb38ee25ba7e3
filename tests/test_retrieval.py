"""Retrieval: the embedding index against brute force, its kinds, disk round trips, text-to-IMU and IMU-to-text
search with a model, and ``imu-foundation retrieve``."""

import json
from pathlib import Path

import numpy as np
import pytest
from zero_shot_helpers import CLASSES, recording, save_tiny_multi3net, tiny_corpus

from imu_foundation import cli
from imu_foundation.evaluation import (
    EmbeddingIndex,
    build_caption_index,
    build_imu_index,
    classify_corpus,
    corpus_captions,
    load_corpus_split,
    retrieval_metrics,
    search_imu,
    search_text,
)
from imu_foundation.pipelines import load_pipeline


def unit_vectors(count: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def clustered_unit_vectors(count: int, dim: int, seed: int, clusters: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    vectors = centres[rng.integers(0, clusters, count)] + 0.3 * rng.standard_normal((count, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def brute_force(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = queries.astype(np.float64) @ vectors.astype(np.float64).T
    rows = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, rows, axis=1), rows


# ------------------------------------------------------------------------------------------------------------------
# The index
# ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["exact", "flat"])
def test_exact_kinds_equal_brute_force(kind):
    vectors, queries = unit_vectors(3000, 32, seed=0), unit_vectors(25, 32, seed=1)
    index = EmbeddingIndex.from_embeddings(vectors, modality="imu", kind=kind)
    for k in (1, 10):
        scores, rows = index.search(queries, k)
        expected_scores, expected_rows = brute_force(vectors, queries, k)
        np.testing.assert_array_equal(rows, expected_rows)
        np.testing.assert_allclose(scores, expected_scores, atol=1e-6)
    scores, rows = index.search(queries[0], k=5000)  # more than the index holds: all of it, in order
    assert rows.shape == (1, 3000) and np.all(np.diff(scores[0]) <= 0)


def test_exact_search_widens_its_candidates_when_float16_cannot_separate_them():
    # 400 near-copies of one direction: their scores differ by ~1e-5, far below float16's resolution (~1e-3), so the
    # first float16 candidates cannot be trusted and the search must widen to all of them.
    rng = np.random.default_rng(2)
    base = rng.standard_normal(32)
    vectors = base + 1e-4 * rng.standard_normal((400, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    others = unit_vectors(2000, 32, seed=3)
    everything = np.concatenate([others[:1000], vectors, others[1000:]])
    query = unit_vectors(1, 32, seed=4) + base / np.linalg.norm(base)
    query = (query / np.linalg.norm(query)).astype(np.float32)
    index = EmbeddingIndex.from_embeddings(everything, modality="imu")
    scores, rows = index.search(query, k=10)
    expected_scores, expected_rows = brute_force(everything, query, 10)
    np.testing.assert_array_equal(rows, expected_rows)
    assert np.all((rows >= 1000) & (rows < 1400))
    # The float16 scan alone orders them differently: the re-scoring is what makes the result exact.
    scanned = np.asarray(index.dataset.search_batch("embedding", query, 10).total_indices)
    assert not np.array_equal(scanned, expected_rows)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_kinds_find_most_neighbours_and_round_trip(kind, tmp_path):
    vectors, queries = clustered_unit_vectors(4000, 32, seed=5), clustered_unit_vectors(30, 32, seed=6)
    index = EmbeddingIndex.from_embeddings(vectors, modality="imu", kind=kind)
    _, rows = index.search(queries, 10)
    _, truth = brute_force(vectors, queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(rows, truth)])
    assert recall >= 0.9, recall
    index.save(tmp_path / kind)
    loaded = EmbeddingIndex.load(tmp_path / kind)
    assert loaded.info == index.info and loaded.info.search_parameters
    np.testing.assert_array_equal(loaded.search(queries, 10)[1], rows)


def test_the_index_round_trips_through_disk_with_its_metadata(tmp_path):
    vectors, queries = unit_vectors(500, 16, seed=7), unit_vectors(3, 16, seed=8)
    metadata = {"activity": [CLASSES[i % 3] for i in range(500)], "row": list(range(500))}
    index = EmbeddingIndex.from_embeddings(vectors, metadata, modality="imu", model="some/model")
    index.save(tmp_path / "index")
    names = sorted(p.name for p in (tmp_path / "index").iterdir())
    assert names == [".imu_foundation.json", "dataset", "index.faiss", "index_info.json"]  # with the package marker
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        index.save(tmp_path / "index")
    index.save(tmp_path / "index", overwrite=True)
    loaded = EmbeddingIndex.load(tmp_path / "index")
    assert loaded.info == index.info and loaded.info.model == "some/model" and len(loaded) == 500
    np.testing.assert_array_equal(loaded.embeddings, vectors)
    hits, again = index.hits(queries, 4), loaded.hits(queries, 4)
    assert [[(h.row, h.score, h.metadata) for h in q] for q in hits] == [
        [(h.row, h.score, h.metadata) for h in q] for q in again
    ]
    assert hits[0][0].metadata == {"activity": CLASSES[hits[0][0].row % 3], "row": hits[0][0].row}


def test_index_input_errors_are_clear(tmp_path):
    vectors = unit_vectors(50, 8, seed=9)
    with pytest.raises(ValueError, match="unit vectors.*row 3"):
        EmbeddingIndex.from_embeddings(np.where(np.arange(50)[:, None] == 3, 2 * vectors, vectors), modality="imu")
    with pytest.raises(ValueError, match="finite"):
        EmbeddingIndex.from_embeddings(np.full((2, 8), np.nan), modality="imu")
    with pytest.raises(ValueError, match="kind must be one of"):
        EmbeddingIndex.from_embeddings(vectors, modality="imu", kind="lsh")
    with pytest.raises(ValueError, match="metadata has 3 rows for 50"):
        EmbeddingIndex.from_embeddings(vectors, {"row": [0, 1, 2]}, modality="imu")
    index = EmbeddingIndex.from_embeddings(vectors, modality="imu")
    with pytest.raises(ValueError, match=r"queries must have shape \(8,\) or \(Q, 8\)"):
        index.search(np.ones(7, dtype=np.float32))
    with pytest.raises(ValueError, match="k must be a positive"):
        index.search(vectors[0], k=0)
    index.save(tmp_path / "i")
    (tmp_path / "i" / "index.faiss").unlink()
    with pytest.raises(ValueError, match="index.faiss is missing"):
        EmbeddingIndex.load(tmp_path / "i")


# ------------------------------------------------------------------------------------------------------------------
# With a model: corpora and captions
# ------------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    return save_tiny_multi3net(tmp_path_factory.mktemp("multi3net"))


@pytest.fixture(scope="module")
def embedder(model_folder):
    return load_pipeline("imu-feature-extraction", model=model_folder)


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    tiny_corpus().save_to_disk(str(folder))
    return folder


def test_text_to_imu_and_imu_to_text_search(embedder, corpus_folder, tmp_path):
    windows = build_imu_index(corpus_folder, embedder)
    assert windows.info.source == {"corpus": str(corpus_folder.resolve()), "split": "test"}
    assert windows.info.model == str(embedder.model.name_or_path) and len(windows) == 9
    dataset = load_corpus_split(corpus_folder).dataset.with_format("numpy")
    layout = {"sampling_rate": 50, "channel_names": list(dataset[0]["channel_names"]), "acc_units": "g"}
    embeds = np.stack([embedder(dataset[i]["imu"], **layout) for i in range(9)])
    np.testing.assert_allclose(windows.embeddings, embeds, atol=1e-6)
    windows.save(tmp_path / "windows")
    loaded = EmbeddingIndex.load(tmp_path / "windows")
    hits = search_text(loaded, ["a person is running", "someone sits"], k=4)  # the model recorded in the index
    text = embedder.embed_text(["a person is running"]).numpy()[0]
    expected = np.argsort(-(embeds.astype(np.float64) @ text))[:4]
    assert [h.row for h in hits[0]] == expected.tolist() and len(hits[1]) == 4
    assert {"activity", "captions", "label", "row", "subject"} <= set(hits[0][0].metadata)
    assert hits[0][0].metadata["activity"] == CLASSES[hits[0][0].metadata["label"]]

    captions = build_caption_index(corpus_captions(dataset), embedder)
    assert len(captions) == 3 + 9 and captions.info.modality == "text"  # shared + own captions
    found = search_imu(captions, dataset[2]["imu"], embedder, k=3, **layout)
    caption_embeds = embedder.embed_text(captions.dataset["caption"]).numpy()
    expected = np.argsort(-(caption_embeds.astype(np.float64) @ embeds[2]))[:3]
    assert [h.row for h in found[0]] == expected.tolist()
    assert found[0][0].metadata["caption"] == captions.dataset["caption"][expected[0]]
    with pytest.raises(ValueError, match="holds captions"):
        search_text(captions, "walking", embedder)

    scores = retrieval_metrics(embedder.embed_text(CLASSES).numpy(), CLASSES, embeds, dataset["activity"], k=[1, 3])
    assert set(scores) == {f"{d}_{m}" for d in ("text_to_imu", "imu_to_text") for m in ("recall@1", "recall@3", "mrr")}


def test_cli_builds_an_index_and_searches_it(model_folder, corpus_folder, tmp_path, capsys):
    index_dir, out = tmp_path / "index", tmp_path / "out"
    build = ["retrieve", "--index", str(index_dir), "--build", str(corpus_folder), "--model", str(model_folder)]
    assert cli.main(build) == 0
    assert "indexed 9 windows" in capsys.readouterr().out
    assert cli.main(build) == 1  # an index is there: refused without --overwrite
    query = ["retrieve", "--index", str(index_dir), "--query", "a person is walking", "-k", "3"]
    assert cli.main([*query, "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "'a person is walking'" in printed and "  3. score" in printed
    found = json.loads((out / "hits.json").read_text())
    assert found[0]["query"] == "a person is walking" and len(found[0]["hits"]) == 3
    assert (out / "retrieved.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["retrieve", "--index", str(index_dir)]) == 2
    assert "Nothing to do" in capsys.readouterr().err
    assert cli.main(["retrieve", "--index", str(tmp_path / "nowhere"), "--query", "x"]) == 2
    assert "is not a saved embedding index" in capsys.readouterr().err


def test_pictures_of_results(tmp_path):
    from imu_foundation.plotting import save_label_timeline, save_retrieved_windows, save_similarity_heatmap

    scores = np.random.default_rng(0).dirichlet(np.ones(3), size=8)
    save_label_timeline(np.arange(8.0), np.arange(8.0) + 2, scores, CLASSES, tmp_path / "t.png")
    save_similarity_heatmap(scores.T, CLASSES, tmp_path / "s.png", window_start_s=np.arange(8.0))
    names = [list(tiny_corpus()["test"][0]["channel_names"])] * 2
    save_retrieved_windows(
        [recording(2.0), recording(2.0, seed=1)], names, [50.0, 50.0], ["1.", "2."], tmp_path / "r.png"
    )
    assert all((tmp_path / f).stat().st_size > 1000 for f in ("t.png", "s.png", "r.png"))
    with pytest.raises(ValueError, match="scores must be"):
        save_label_timeline(np.arange(8.0), np.arange(8.0) + 2, scores[:, :2], CLASSES, tmp_path / "x.png")


HUB_CORPUS_CLIENT = """
import json
from zero_shot_helpers import tiny_corpus
from imu_foundation.evaluation import build_imu_index, classify_corpus, search_text
from imu_foundation.pipelines import load_pipeline
tiny_corpus().push_to_hub("test-user/tiny-corpus")
embedder = load_pipeline("imu-feature-extraction", model={model!r})
index = build_imu_index("test-user/tiny-corpus", embedder)
hits = search_text(index, "a person is running", embedder, k=4)[0]
classifier = load_pipeline("zero-shot-imu-classification", model={model!r})
result = classify_corpus(classifier, "test-user/tiny-corpus")
print(json.dumps({{"source": index.info.source, "rows": [h.row for h in hits], "metrics": result.metrics}}))
"""


def test_a_corpus_on_the_hub_is_indexed_and_classified_by_its_id(local_hub, model_folder, embedder, corpus_folder):
    code = HUB_CORPUS_CLIENT.format(model=str(model_folder))
    done = local_hub.run_client(code, home=model_folder.parent / "hub-client", cwd=Path(__file__).parent)
    remote = json.loads(done.stdout.strip().splitlines()[-1])
    assert remote["source"] == {"corpus": "test-user/tiny-corpus", "split": "test"}
    local = search_text(build_imu_index(corpus_folder, embedder), "a person is running", embedder, k=4)[0]
    assert remote["rows"] == [hit.row for hit in local]
    classifier = load_pipeline("zero-shot-imu-classification", model=model_folder)
    assert remote["metrics"] == pytest.approx(classify_corpus(classifier, corpus_folder).metrics)

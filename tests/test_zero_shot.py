"""Zero-shot classification of recordings and corpora (library and ``imu-foundation zero-shot``)."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from zero_shot_helpers import CLASSES, LOGIT_SCALE, recording, save_tiny_multi3net, tiny_corpus

from imu_foundation import cli
from imu_foundation.evaluation import classify_corpus, classify_recording, load_metric
from imu_foundation.evaluation.zero_shot import text_window_similarity
from imu_foundation.pipelines import default_model, load_pipeline


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    return save_tiny_multi3net(tmp_path_factory.mktemp("multi3net"))


@pytest.fixture(scope="module")
def classifier(model_folder):
    return load_pipeline("zero-shot-imu-classification", model=model_folder)


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    tiny_corpus().save_to_disk(str(folder))
    return folder


@pytest.fixture(scope="module")
def layout(classifier):
    return {"sampling_rate": 50, "channel_names": classifier.feature_extractor.channel_names, "acc_units": "g"}


def test_a_recording_timeline_and_its_similarity(classifier, layout):
    long = recording(6.0, seed=1)
    timeline = classify_recording(classifier, long, CLASSES, window_stride_s=0.5, **layout)
    assert timeline.scores.shape == (9, 3) and timeline.start_s.tolist() == [k / 2 for k in range(9)]
    np.testing.assert_allclose(timeline.end_s - timeline.start_s, 2.0)
    np.testing.assert_allclose(timeline.scores.sum(axis=1), 1.0, atol=1e-6)
    assert timeline.predicted == [CLASSES[i] for i in timeline.scores.argmax(axis=1)]
    prompts = [f"a person is {label}." for label in CLASSES]
    similarity, starts = text_window_similarity(classifier, long, prompts, window_stride_s=0.5, **layout)
    assert similarity.shape == (3, 9) and starts.tolist() == timeline.start_s.tolist()
    # The timeline's scores are the softmax of the similarity scaled by the model's logit scale.
    expected = torch.from_numpy(LOGIT_SCALE * similarity.T).softmax(dim=1).numpy()
    np.testing.assert_allclose(timeline.scores, expected, atol=1e-5)


def test_a_corpus_is_scored_against_its_classes_through_the_metrics(classifier, corpus_folder):
    result = classify_corpus(classifier, corpus_folder)  # the only split; the ClassLabel names as labels
    assert result.candidate_labels == CLASSES and result.scores.shape == (9, 3)
    assert result.references == [name for name in CLASSES for _ in range(3)]
    truth, predicted = np.array(result.references), np.array(result.predictions)
    assert result.metrics["accuracy"] == pytest.approx(np.mean(truth == predicted))
    f1 = []
    for name in CLASSES:  # macro-F1 by hand, over the classes present
        tp = np.sum((truth == name) & (predicted == name))
        f1.append(2 * tp / (np.sum(truth == name) + np.sum(predicted == name)))
    assert result.metrics["macro_f1"] == pytest.approx(np.mean(f1))
    assert result.confusion_matrix().sum() == 9 and np.trace(result.confusion_matrix()) == np.sum(truth == predicted)
    # Each row is one example: its scores are the pipeline's on that window.
    row = tiny_corpus()["test"][4]
    alone = classifier(
        np.asarray(row["imu"]),
        candidate_labels=CLASSES,
        sampling_rate=50,
        channel_names=row["channel_names"],
        acc_units="g",
    )
    np.testing.assert_allclose(
        result.scores[4], [{e["label"]: e["score"] for e in alone}[c] for c in CLASSES], atol=1e-6
    )
    assert load_metric("accuracy").compute(predictions=result.predictions, references=result.references) == {
        "accuracy": result.metrics["accuracy"]
    }


def test_corpus_errors_are_clear(classifier, corpus_folder, tmp_path):
    with pytest.raises(ValueError, match=r"classes \['sitting still'\] are not among candidate_labels"):
        classify_corpus(classifier, corpus_folder, candidate_labels=["walking", "running"])
    partial = classify_corpus(classifier, corpus_folder, candidate_labels=["walking", "running"], with_metrics=False)
    assert partial.metrics == {} and partial.references is None and partial.scores.shape == (9, 2)
    with pytest.raises(ValueError, match="no split 'train'"):
        classify_corpus(classifier, corpus_folder, split="train")
    with pytest.raises(ValueError, match="No corpus folder"):
        classify_corpus(classifier, tmp_path / "missing")
    broken = tiny_corpus()["test"].map(
        lambda row, i: {"imu": np.where(i == 5, np.nan, np.asarray(row["imu"]))}, with_indices=True
    )
    with pytest.raises(ValueError, match="Row 5 of the corpus: The IMU input contains NaN"):
        classify_corpus(classifier, broken)


def nothing_shipped():
    raise FileNotFoundError("No shipped checkpoint 'multi3net' (available: none).")


def test_the_default_model_is_the_shipped_checkpoint(model_folder, monkeypatch):
    import imu_foundation

    monkeypatch.setattr(imu_foundation, "pretrained_path", lambda: model_folder)
    assert default_model() == str(model_folder)
    monkeypatch.setattr(imu_foundation, "pretrained_path", nothing_shipped)
    with pytest.raises(ValueError, match="No pre-trained Multi\\^3Net checkpoint ships"):
        default_model()


# ------------------------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------------------------
def test_cli_zero_shot_on_npy_and_csv_recordings(model_folder, classifier, layout, tmp_path, capsys):
    long = recording(5.0, seed=2)
    np.save(tmp_path / "walk.npy", long)
    args = ["zero-shot", str(tmp_path / "walk.npy"), "--labels", *CLASSES, "--sampling-rate", "50"]
    args += ["--acc-units", "g", "--model", str(model_folder), "--output-dir", str(tmp_path / "npy")]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "4 windows" in printed and "wrote" in printed
    results = json.loads((tmp_path / "npy" / "zero_shot.json").read_text())
    expected = classify_recording(classifier, long, CLASSES, **layout)
    assert [w["start_s"] for w in results["windows"]] == expected.start_s.tolist()
    np.testing.assert_allclose(
        [[w["scores"][c] for c in CLASSES] for w in results["windows"]], expected.scores, atol=1e-6
    )
    for picture in ("timeline.png", "similarity.png"):
        assert (tmp_path / "npy" / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = ",".join(["time_s", *layout["channel_names"]])
    rows = np.column_stack([np.arange(len(long)) / 50, long])
    np.savetxt(tmp_path / "walk.csv", rows, delimiter=",", header=header, comments="")
    args[1] = str(tmp_path / "walk.csv")
    args[-1] = str(tmp_path / "csv")
    assert cli.main(args) == 0
    from_csv = json.loads((tmp_path / "csv" / "zero_shot.json").read_text())
    np.testing.assert_allclose(
        [[w["scores"][c] for c in CLASSES] for w in from_csv["windows"]], expected.scores, atol=1e-5
    )
    assert cli.main(args) == 1  # results exist: refused without --overwrite


def test_cli_zero_shot_on_a_corpus_and_its_errors(model_folder, corpus_folder, tmp_path, capsys, monkeypatch):
    out = tmp_path / "corpus"
    assert cli.main(["zero-shot", str(corpus_folder), "--model", str(model_folder), "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "accuracy:" in printed and "macro_f1:" in printed
    assert (out / "confusion.png").is_file() and json.loads((out / "zero_shot.json").read_text())["labels"] == CLASSES
    np.save(tmp_path / "x.npy", recording(2.0))
    base = ["zero-shot", str(tmp_path / "x.npy"), "--model", str(model_folder), "--output-dir", str(tmp_path / "e")]
    assert cli.main([*base, "--labels", "walking"]) == 2
    assert "needs its sampling rate (sampling_rate, --sampling-rate" in capsys.readouterr().err
    assert cli.main([*base, "--labels", "walking", "--sampling-rate", "50", "--overwrite"]) == 2  # m/s^2 declared
    assert "acc_units='g'" in capsys.readouterr().err
    assert cli.main(["zero-shot", str(corpus_folder), "--sampling-rate", "50", *base[2:], "--overwrite"]) == 2
    assert "declares its device layout in its columns; drop sampling_rate" in capsys.readouterr().err
    import imu_foundation

    monkeypatch.setattr(imu_foundation, "pretrained_path", nothing_shipped)
    assert cli.main(["zero-shot", *base[1:2], "--labels", "a", "--sampling-rate", "50", *base[4:], "--overwrite"]) == 2
    assert "No pre-trained Multi^3Net checkpoint ships" in capsys.readouterr().err


def test_embedding_pooling_matches_the_timeline(classifier, layout):
    long = recording(4.0, seed=3)
    embedder = load_pipeline("imu-feature-extraction", model=classifier.model.name_or_path)
    windows = embedder(long, return_timestamps=True, **layout)["embeddings"]
    pooled = embedder(long, **layout)
    np.testing.assert_allclose(pooled, F.normalize(torch.from_numpy(windows).mean(0), dim=0).numpy(), atol=1e-6)

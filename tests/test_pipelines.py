"""The Multi^3Net pipelines: zero-shot scores against a hand computation, batching, templates, windows over time,
input errors, embeddings, and loading through transformers.pipeline with the package and as remote code."""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import pipeline

from imu_foundation import create_model, create_processor
from imu_foundation.pipelines import (
    DEFAULT_HYPOTHESIS_TEMPLATE,
    ImuFeatureExtractionPipeline,
    ZeroShotImuClassificationPipeline,
)
from imu_foundation.sensors import DeviceLayout

LABELS = ["walking", "running", "sitting still"]
LOGIT_SCALE = 40.0  # not the initial 1 / 0.07, so that a pipeline ignoring the model's scale fails


def recording(seconds: float, rate: float = 50.0, seed: int = 0) -> np.ndarray:
    """A plausible two-wrist recording ``(T, 12)``: acc in g (gravity on z plus motion), gyro in rad/s."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate)))[:, None] / rate
    frequency = rng.uniform(0.5, 3.0, size=(1, 12))
    signal = 0.3 * np.sin(2 * np.pi * frequency * t + rng.uniform(0, 2 * np.pi, size=(1, 12)))
    signal += 0.05 * rng.standard_normal(signal.shape) + np.tile([0, 0, 1, 0, 0, 0], 2)
    return signal.astype(np.float32)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    torch.manual_seed(0)
    model = create_model("multi3net-tiny").eval()
    with torch.no_grad():
        model.logit_scale_text_imu.fill_(math.log(LOGIT_SCALE))
    path = tmp_path_factory.mktemp("multi3net")
    model.save_pretrained(path)
    create_processor("multi3net-tiny").save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def classifier(folder):
    return pipeline("zero-shot-imu-classification", model=str(folder))


@pytest.fixture(scope="module")
def embedder(folder):
    return pipeline("imu-feature-extraction", model=str(folder))


@pytest.fixture(scope="module")
def layout(classifier):
    return {"sampling_rate": 50, "channel_names": classifier.feature_extractor.channel_names, "acc_units": "g"}


def by_label(result: list[dict]) -> dict[str, float]:
    return {entry["label"]: entry["score"] for entry in result}


@torch.no_grad()
def manual_scores(pipe, windows: np.ndarray, labels: list[str], templates: list[str], layout: dict) -> torch.Tensor:
    """softmax(scale * cos) by hand: the processor's windows, the model's features, prompt embeddings averaged."""
    features = pipe.feature_extractor(windows, **layout)
    imu = pipe.model.get_imu_features(**features).pooler_output
    text = []
    for template in templates:
        tokens = pipe.tokenizer([template.format(label) for label in labels], padding=True, return_tensors="pt")
        text.append(pipe.model.get_text_features(**tokens).pooler_output)
    text = F.normalize(torch.stack(text).mean(dim=0), dim=-1)
    return (pipe.model.logit_scales()["text_imu"] * imu @ text.T).softmax(dim=-1)


# ------------------------------------------------------------------------------------------------------------------
# Zero-shot scores
# ------------------------------------------------------------------------------------------------------------------
def test_scores_equal_the_cosine_softmax_with_the_model_logit_scale(classifier, layout):
    window = recording(2.0)  # 100 samples at 50 Hz: one 60-sample window at the model's 30 Hz
    result = classifier(window, candidate_labels=LABELS, **layout)
    assert isinstance(classifier, ZeroShotImuClassificationPipeline)
    assert [set(entry) for entry in result] == [{"label", "score"}] * 3
    assert [entry["score"] for entry in result] == sorted((entry["score"] for entry in result), reverse=True)
    assert sum(entry["score"] for entry in result) == pytest.approx(1.0, abs=1e-6)
    expected = manual_scores(classifier, window, LABELS, [DEFAULT_HYPOTHESIS_TEMPLATE], layout)[0]
    scores = by_label(result)
    np.testing.assert_allclose([scores[label] for label in LABELS], expected.numpy(), atol=1e-5)
    assert classifier.model.logit_scales()["text_imu"].item() == pytest.approx(LOGIT_SCALE)
    assert expected.max() - expected.min() > 1e-3  # the scale makes the scores differ: the comparison has teeth


def test_batch_list_and_single_windows_agree(classifier, layout):
    windows = np.stack([recording(2.0, seed=s) for s in range(5)])
    batched = classifier(windows, candidate_labels=LABELS, batch_size=3, **layout)
    listed = classifier(list(windows), candidate_labels=LABELS, **layout)
    assert len(batched) == len(listed) == 5
    for i, window in enumerate(windows):
        single = by_label(classifier(window, candidate_labels=LABELS, **layout))
        for other in (batched[i], listed[i]):
            for label, score in by_label(other).items():
                assert score == pytest.approx(single[label], abs=1e-6)
    expected = manual_scores(classifier, windows, LABELS, [DEFAULT_HYPOTHESIS_TEMPLATE], layout)
    for i in range(5):
        np.testing.assert_allclose([by_label(batched[i])[label] for label in LABELS], expected[i], atol=1e-5)


def test_a_list_of_templates_averages_their_normalised_embeddings(classifier, layout):
    window = recording(2.0, seed=3)
    templates = ["a person is {}.", "someone is {}", "{}"]
    result = by_label(classifier(window, candidate_labels=LABELS, hypothesis_template=templates, **layout))
    expected = manual_scores(classifier, window, LABELS, templates, layout)[0]
    np.testing.assert_allclose([result[label] for label in LABELS], expected.numpy(), atol=1e-5)
    alone = by_label(classifier(window, candidate_labels=LABELS, hypothesis_template="{}", **layout))
    assert any(abs(alone[label] - result[label]) > 1e-4 for label in LABELS)


def test_a_long_recording_gives_labels_per_window_with_timestamps(classifier, layout):
    long = recording(10.0, rate=30.0, seed=4)  # the model's rate: windows are plain slices of the input
    at_model_rate = {**layout, "sampling_rate": 30}
    timeline = classifier(long, candidate_labels=LABELS, return_timestamps=True, batch_size=4, **at_model_rate)
    assert [(w["start_s"], w["end_s"]) for w in timeline] == [(k, k + 2.0) for k in range(9)]  # 2 s every 1 s
    for k in (0, 4, 8):
        alone = by_label(classifier(long[30 * k : 30 * k + 60], candidate_labels=LABELS, **at_model_rate))
        for label, score in by_label(timeline[k]["labels"]).items():
            assert score == pytest.approx(alone[label], abs=1e-6)
    half = classifier(long, candidate_labels=LABELS, return_timestamps=True, window_stride_s=0.5, **at_model_rate)
    assert [w["start_s"] for w in half] == [k / 2 for k in range(17)]
    # Without timestamps the recording is one example: the mean of its window embeddings, renormalised.
    pooled = by_label(classifier(long, candidate_labels=LABELS, **at_model_rate))
    features = classifier.feature_extractor(long, **at_model_rate)
    with torch.no_grad():
        windows = classifier.model.get_imu_features(**features).pooler_output
    text = classifier.embed_text(LABELS, [DEFAULT_HYPOTHESIS_TEMPLATE])
    expected = (LOGIT_SCALE * F.normalize(windows.mean(dim=0), dim=-1) @ text.T).softmax(dim=-1)
    np.testing.assert_allclose([pooled[label] for label in LABELS], expected.numpy(), atol=1e-5)


def test_layout_object_equals_the_fields_and_short_recordings_pad_on_request(classifier, layout):
    window = recording(2.0, seed=5)
    device = DeviceLayout(tuple(layout["channel_names"]), sampling_rate_hz=50, acc_units="g")
    fields = by_label(classifier(window, candidate_labels=LABELS, **layout))
    declared = by_label(classifier(window, candidate_labels=LABELS, layout=device))
    assert fields == declared
    short = classifier(window[:60], candidate_labels=LABELS, pad_short=True, return_timestamps=True, **layout)
    assert len(short) == 1 and short[0]["start_s"] == 0.0 and short[0]["end_s"] == pytest.approx(1.2)


def test_label_text_embeddings_are_computed_once_per_call(classifier, layout, monkeypatch):
    calls = []
    original = classifier.model.get_text_features
    monkeypatch.setattr(classifier.model, "get_text_features", lambda **kw: calls.append(1) or original(**kw))
    classifier([recording(10.0)] * 3, candidate_labels=LABELS, return_timestamps=True, batch_size=2, **layout)
    assert len(calls) == 1


# ------------------------------------------------------------------------------------------------------------------
# Input errors
# ------------------------------------------------------------------------------------------------------------------
GOOD = recording(2.0)
NAN = GOOD.copy()
NAN[7, 2] = np.nan


@pytest.mark.parametrize(
    ("inputs", "options", "message"),
    [
        (GOOD, {"candidate_labels": None}, "candidate_labels"),
        (GOOD, {"candidate_labels": []}, "empty"),
        (GOOD, {"candidate_labels": "walking, running"}, "not one string"),
        (GOOD, {"candidate_labels": ["walking", "walking"]}, "unique"),
        (GOOD, {"candidate_labels": ["walking", ""]}, "non-empty strings"),
        (GOOD, {"hypothesis_template": "a person"}, "'{}'"),
        (GOOD, {"hypothesis_template": []}, "empty"),
        (GOOD[:, :9], {}, "9 channels"),
        (GOOD, {"channel_names": ["wrist_acc_x", "wrist_acc_y", "wrist_acc_z"]}, "12 channels"),
        (GOOD, {"channel_names": "left_wrist_acc_x"}, "not one string"),
        (GOOD, {"rename": ("left_wrist_acc_x", "left_wrist_accel_x")}, "<site>_<sensor>_<axis>"),
        (GOOD, {"rename": ("left_wrist_acc_x", "left_wirst_acc_x")}, "no site 'left_wirst'"),
        (GOOD, {"rename": ("left_wrist_acc_y", "left_wrist_acc_x")}, "unique"),
        (GOOD, {"acc_units": "mg"}, "acc_units must be one of"),
        (GOOD, {"gyro_units": "rpm"}, "gyro_units must be one of"),
        (GOOD, {"gravity": "off"}, "gravity must be one of"),
        (GOOD * 1000, {}, "mg or cm/s^2"),
        (GOOD, {"sampling_rate": None}, "sampling_rate"),
        (GOOD, {"sampling_rate": 0.05}, "not kHz"),
        (GOOD, {"window_stride_s": 0}, "window_stride_s"),
        ([], {}, "empty"),
        (np.zeros((0, 100, 12)), {}, "empty"),
        (np.zeros((0, 12)), {}, "empty"),
        ([GOOD, GOOD[None]], {}, "Recording 1 must be one (T, C) array"),
        ([GOOD, NAN], {}, "Recording 1: The IMU input contains NaN or inf at sample 7, channel 2"),
        (NAN, {}, "NaN"),
        (GOOD[:40], {}, "pad_short=True"),
        ([[0.0] * 12] * 100, {}, "(T, C) arrays"),
    ],
)
def test_bad_inputs_are_clear_value_errors(classifier, layout, inputs, options, message):
    options = {"candidate_labels": LABELS, **layout, **options}
    if "rename" in options:
        old, new = options.pop("rename")
        options["channel_names"] = [new if name == old else name for name in layout["channel_names"]]
    if options["sampling_rate"] is None:
        del options["sampling_rate"]
        del options["channel_names"]
        del options["acc_units"]
    with pytest.raises(ValueError, match=None) as error:
        classifier(inputs, **options)
    assert message in str(error.value), str(error.value)


def test_a_classifier_checkpoint_is_refused(tmp_path):
    classifier = create_model("multi3net-tiny", task="classification", num_labels=3)
    classifier.save_pretrained(tmp_path)
    create_processor("multi3net-tiny").save_pretrained(tmp_path)
    assert "custom_pipelines" not in json.loads((tmp_path / "config.json").read_text())
    with pytest.raises(ValueError, match="need a Multi3NetModel checkpoint"):
        pipeline("zero-shot-imu-classification", model=str(tmp_path))


# ------------------------------------------------------------------------------------------------------------------
# Embeddings
# ------------------------------------------------------------------------------------------------------------------
def test_embeddings_are_the_model_features_and_unit_vectors(embedder, layout):
    assert isinstance(embedder, ImuFeatureExtractionPipeline)
    windows = np.stack([recording(2.0, seed=s) for s in range(3)])
    embeds = embedder(windows, batch_size=2, **layout)
    with torch.no_grad():
        expected = embedder.model.get_imu_features(**embedder.feature_extractor(windows, **layout)).pooler_output
    assert all(e.shape == (16,) and e.dtype == np.float32 for e in embeds)
    np.testing.assert_allclose(np.stack(embeds), expected.numpy(), atol=1e-6)
    timeline = embedder(recording(5.0), return_timestamps=True, **layout)
    assert timeline["embeddings"].shape == (4, 16) and timeline["start_s"].tolist() == [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_allclose(np.linalg.norm(timeline["embeddings"], axis=1), 1.0, atol=1e-6)
    with torch.no_grad():
        tokens = embedder.tokenizer(["a person jumps"], return_tensors="pt")
        text = embedder.model.get_text_features(**tokens).pooler_output
    np.testing.assert_allclose(embedder.embed_text(["a person jumps"]).numpy(), text.numpy(), atol=1e-6)


# ------------------------------------------------------------------------------------------------------------------
# Checkpoints: recorded pipelines and remote code
# ------------------------------------------------------------------------------------------------------------------
def test_saved_checkpoints_record_the_pipelines_and_carry_their_code(folder, classifier):
    recorded = json.loads((folder / "config.json").read_text())["custom_pipelines"]
    assert recorded["zero-shot-imu-classification"]["impl"] == "pipeline_multi3net.ZeroShotImuClassificationPipeline"
    assert recorded["imu-feature-extraction"]["pt"] == ["AutoModel"]
    assert (folder / "pipeline_multi3net.py").is_file() and (folder / "sensors.py").is_file()
    # Here the package serves both tasks, so transformers is not sent to the remote code.
    assert classifier.model.config.custom_pipelines == {}


REMOTE_PIPELINE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.modules["imu_foundation"] = None  # this interpreter cannot import the package
    import numpy as np
    from transformers import pipeline
    folder, labels = sys.argv[1], ["walking", "running", "sitting still"]
    try:
        pipeline("zero-shot-imu-classification", model=folder)
        raise SystemExit("loaded without trust_remote_code")
    except ValueError:
        pass
    classifier = pipeline("zero-shot-imu-classification", model=folder, trust_remote_code=True)
    embedder = pipeline("imu-feature-extraction", model=folder, trust_remote_code=True)
    assert "transformers_modules" in type(classifier).__module__, type(classifier).__module__
    assert "transformers_modules" in type(classifier.model).__module__, type(classifier.model).__module__
    windows = np.load(folder + "/windows.npy")
    layout = dict(sampling_rate=50, channel_names=classifier.feature_extractor.channel_names, acc_units="g")
    scores = classifier(windows, candidate_labels=labels, batch_size=2, **layout)
    embeds = embedder(windows, **layout)
    json.dump({"scores": scores, "embeds": np.stack(embeds).tolist()}, open(folder + "/remote.json", "w"))
    """
)


def test_pipelines_load_as_remote_code_without_the_package(folder, classifier, embedder, layout, tmp_path):
    windows = np.stack([recording(2.0, seed=s) for s in range(3)])
    np.save(folder / "windows.npy", windows)
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-c", REMOTE_PIPELINE_SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    remote = json.loads((folder / "remote.json").read_text())
    local = classifier(windows, candidate_labels=LABELS, **layout)
    for theirs, ours in zip(remote["scores"], local):
        assert [e["label"] for e in theirs] == [e["label"] for e in ours]
        np.testing.assert_allclose([e["score"] for e in theirs], [e["score"] for e in ours], atol=1e-6)
    np.testing.assert_allclose(remote["embeds"], np.stack(embedder(windows, **layout)), atol=1e-6)

"""The few-shot study: its baselines learn what is learnable and nothing from noise, seeded; the harness writes its
outputs without group leakage and refuses bad requests clearly."""

from __future__ import annotations

import importlib.util
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from imu_foundation.data.few_shot import few_shot_folds
from imu_foundation.data.real_benchmarks import LabelledWindows
from imu_foundation.evaluation import few_shot_study as study
from imu_foundation.evaluation import macro_f1
from imu_foundation.evaluation.baselines import (
    ConvNetFromScratch,
    FewShotMethod,
    HandCraftedLogisticRegression,
    MiniRocketRidge,
    minirocket,
    statistical_feature_names,
    statistical_features,
)
from imu_foundation.plotting import save_few_shot_plot
from imu_foundation.sensors import STANDARD_GRAVITY_MPS2, DeviceLayout

HAS_SKTIME = importlib.util.find_spec("sktime") is not None
needs_sktime = pytest.mark.skipif(not HAS_SKTIME, reason="MiniRocket needs the 'baselines' extra (sktime)")
BASELINES = [
    "hand_crafted_lr",
    pytest.param("minirocket_ridge", marks=needs_sktime),
    "cnn_scratch",
]
RATE_HZ = 20.0
LAYOUT = DeviceLayout.from_sites(["wrist"], sampling_rate_hz=RATE_HZ, acc_units="m/s^2", gravity="remove")
BENCHMARK_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "fewshot.py"


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The CNN's small convolutions run fastest on one thread, and many times slower on two on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def synthetic_windows(
    *,
    separable: bool,
    num_classes: int = 4,
    subjects: int = 5,
    per_subject_and_class: int = 4,
    samples: int = 80,  # 4 s: whole periods of every class's frequency
    with_subjects: bool = True,
    seed: int = 0,
) -> LabelledWindows:
    """Windows ``(N, samples, 6)`` at 20 Hz. Separable: on every channel, class k oscillates at (1 + k) / 2 Hz with
    amplitude 1 + k about a level k (random phases), plus a little noise. Not separable: unit Gaussian noise
    whatever the label."""
    rng = np.random.default_rng(seed)
    labels = np.tile(np.repeat(np.arange(num_classes), per_subject_and_class), subjects)
    subject_ids = np.repeat([f"s{i}" for i in range(subjects)], num_classes * per_subject_and_class)
    count = len(labels)
    time_s = np.arange(samples) / RATE_HZ
    if separable:
        phase = rng.uniform(0, 2 * np.pi, (count, 1, 6))
        cycles = np.pi * (1 + labels)[:, None, None] * time_s[None, :, None]  # (1 + k) / 2 Hz
        windows = (1 + labels)[:, None, None] * np.sin(cycles + phase) + labels[:, None, None]
        windows += 0.1 * rng.normal(size=windows.shape)
    else:
        windows = rng.normal(size=(count, samples, 6))
    return LabelledWindows(
        windows=windows.astype(np.float32),
        labels=labels.astype(np.int64),
        subjects=subject_ids if with_subjects else np.full(count, ""),
        sequence_ids=np.array([f"rec-{i:04d}" for i in range(count)]),
        label_names=[f"class {k}" for k in range(num_classes)],
        layout=LAYOUT,
    )


def build(name: str, seed: int = 0) -> FewShotMethod:
    return study.METHODS[name].factory("synthetic", LAYOUT, seed)


def split(data: LabelledWindows, shots: int, seed: int = 0):
    return few_shot_folds(data.labels, shots=shots, folds=2, seed=seed, subjects=data.subjects)[0]


# ----------------------------------------------------------------------------------------------------------------------
# The baselines
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", BASELINES)
def test_baseline_learns_a_separable_task(name):
    # 20 shots: the CNN from scratch needs them (at 10 shots it scores about 0.9 here; the others score 1 at 3)
    data = synthetic_windows(separable=True, per_subject_and_class=10)
    fold = split(data, shots=20)
    method = build(name).fit(data.windows[fold.train], data.labels[fold.train], data.layout)
    predicted = method.predict(data.windows[fold.test])
    assert predicted.shape == (len(fold.test),) and predicted.dtype == np.int64
    assert macro_f1(data.labels[fold.test], predicted, 4) >= 0.95


@pytest.mark.parametrize("name", BASELINES)
def test_baseline_is_at_chance_on_noise(name):
    data = synthetic_windows(separable=False, subjects=10, per_subject_and_class=20)  # 800 windows
    fold = split(data, shots=10)
    method = build(name).fit(data.windows[fold.train], data.labels[fold.train], data.layout)
    score = macro_f1(data.labels[fold.test], method.predict(data.windows[fold.test]), 4)
    assert len(fold.test) >= 400 and score < 0.35  # chance is 0.25


@pytest.mark.parametrize("name", BASELINES)
def test_same_seed_same_predictions(name):
    data = synthetic_windows(separable=False, subjects=4)  # noise: the predictions depend on every detail
    fold = split(data, shots=4)
    runs = [
        build(name, seed=7).fit(data.windows[fold.train], data.labels[fold.train], LAYOUT).predict(data.windows)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_cnn_seed_sets_the_initialisation_and_leaves_the_global_rng_alone():
    data = synthetic_windows(separable=True, subjects=2)
    state = torch.get_rng_state()
    nets = [ConvNetFromScratch(seed=s, steps=1).fit(data.windows, data.labels, LAYOUT).network_ for s in (0, 0, 1)]
    assert torch.equal(torch.get_rng_state(), state)
    weights = [net.features[0].weight for net in nets]
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])


def test_predictions_are_the_training_labels():
    """Labels need not be 0..K-1: a method predicts among the labels it was trained on."""
    data = synthetic_windows(separable=True, num_classes=2, subjects=2)
    labels = np.where(data.labels == 0, 3, 9)
    predicted = HandCraftedLogisticRegression().fit(data.windows, labels, LAYOUT).predict(data.windows)
    assert set(predicted.tolist()) == {3, 9}
    np.testing.assert_array_equal(predicted, labels)


def test_methods_see_si_units():
    """Accelerometer readings declared in g reach the method in m/s^2 (and deg/s gyroscopes in rad/s)."""
    data = synthetic_windows(separable=True, subjects=1)
    in_g = LAYOUT.replace(acc_units="g", gyro_units="deg/s")
    checked = HandCraftedLogisticRegression()._check_windows(data.windows, in_g, "windows")
    np.testing.assert_allclose(checked[..., :3], data.windows[..., :3] * STANDARD_GRAVITY_MPS2, rtol=1e-6)
    np.testing.assert_allclose(checked[..., 3:], np.deg2rad(data.windows[..., 3:]), rtol=1e-6)


def test_statistical_features_of_a_known_signal():
    """A 2 Hz sine of amplitude 1 on a level of 3 on acc x: its statistics, named, come out as they should."""
    time_s = np.arange(200) / RATE_HZ  # 10 s, whole periods
    windows = np.zeros((1, 200, 6), dtype=np.float64)
    windows[0, :, 0] = 3 + np.sin(2 * np.pi * 2.0 * time_s + 0.1)
    windows[0, :, 1] = -windows[0, :, 0]  # perfectly anti-correlated with x
    windows[0, :, 3] = np.cos(2 * np.pi * 0.5 * time_s)
    names = statistical_feature_names(LAYOUT)
    features = dict(zip(names, statistical_features(windows, LAYOUT)[0], strict=True))
    assert len(names) == len(set(names)) == 8 * 12 + 2 * 3  # 6 channels + 2 magnitudes, 12 statistics; 2 triads
    assert features["wrist_acc_x_mean"] == pytest.approx(3.0)
    assert features["wrist_acc_x_std"] == pytest.approx(1 / math.sqrt(2))
    assert features["wrist_acc_x_energy"] == pytest.approx(9.5)
    assert features["wrist_acc_x_max"] == pytest.approx(4.0, abs=0.05)  # the sampled peak
    assert features["wrist_acc_x_p50"] == pytest.approx(3.0, abs=0.05)
    assert features["wrist_acc_x_dominant_frequency_hz"] == pytest.approx(2.0)
    assert features["wrist_acc_x_mean_crossing_rate_hz"] == pytest.approx(4.0, abs=0.15)
    assert features["wrist_gyro_x_dominant_frequency_hz"] == pytest.approx(0.5)
    assert features["wrist_acc_norm_mean"] == pytest.approx(np.hypot(windows[0, :, 0], windows[0, :, 1]).mean())
    assert features["wrist_acc_corr_xy"] == pytest.approx(-1.0)
    assert features["wrist_acc_corr_xz"] == 0.0  # z is constant: no correlation, not NaN
    assert features["wrist_gyro_y_dominant_frequency_hz"] > 0  # a constant channel still gets a finite value
    assert np.isfinite(list(features.values())).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.fit(np.zeros((8, 32, 5), np.float32), np.arange(8) % 2, LAYOUT), "5 channels"),
        (lambda m: m.fit(np.full((8, 32, 6), np.nan, np.float32), np.arange(8) % 2, LAYOUT), "NaN"),
        (lambda m: m.fit(np.zeros((8, 32), np.float32), np.arange(8) % 2, LAYOUT), "shape"),
        (lambda m: m.fit(np.zeros((8, 32, 6), np.float32), np.arange(7) % 2, LAYOUT), "7 labels for 8"),
        (lambda m: m.fit(np.zeros((8, 32, 6), np.float32), np.zeros(8, int), LAYOUT), "at least 2 classes"),
        (lambda m: m.fit(np.zeros((8, 32, 6), np.float32), np.arange(8) / 2, LAYOUT), "integer"),
        (lambda m: m.fit(np.zeros((8, 32, 6), np.float32), np.arange(8) % 2, "wrist"), "DeviceLayout"),
        (lambda m: m.fit(np.zeros((8, 32, 6)), np.arange(8) % 2, LAYOUT.replace(sampling_rate_hz=None)), "rate"),
    ],
)
def test_bad_training_inputs_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(HandCraftedLogisticRegression())


def test_predict_checks_its_windows_and_needs_fit():
    data = synthetic_windows(separable=True, subjects=1)
    method = ConvNetFromScratch(steps=1)
    with pytest.raises(RuntimeError, match="not fitted"):
        method.predict(data.windows)
    method.fit(data.windows, data.labels, LAYOUT)
    with pytest.raises(ValueError, match="3 channels"):
        method.predict(data.windows[..., :3])
    with pytest.raises(ValueError, match="seed"):
        ConvNetFromScratch(seed=-1)
    with pytest.raises(ValueError, match="steps"):
        ConvNetFromScratch(steps=0)


@needs_sktime
def test_minirocket_refuses_windows_shorter_than_its_kernels():
    with pytest.raises(ValueError, match="8 samples; MiniRocketRidge needs at least 9"):
        MiniRocketRidge(num_kernels=84).fit(np.zeros((4, 8, 6), np.float32), np.arange(4) % 2, LAYOUT)


def test_minirocket_without_sktime_says_how_to_install_it(monkeypatch):
    def missing(name, *args, **kwargs):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(minirocket.importlib, "import_module", missing)
    with pytest.raises(ImportError, match=r"imu-foundation\[baselines\]"):
        MiniRocketRidge()
    data = {"tiny": synthetic_windows(separable=True, subjects=4)}
    with pytest.raises(ImportError, match="sktime"):  # before anything trains
        study.run_study(data, ["hand_crafted_lr", "minirocket_ridge"], study.StudyProtocol(shots=(1,), folds=2))


# ----------------------------------------------------------------------------------------------------------------------
# The harness
# ----------------------------------------------------------------------------------------------------------------------
class CountingMethod(HandCraftedLogisticRegression):
    fits = 0

    def _fit(self, windows, labels):
        CountingMethod.fits += 1
        super()._fit(windows, labels)


@pytest.fixture
def counting_method(monkeypatch):
    monkeypatch.setitem(study.METHODS, "counting", study.MethodEntry(lambda d, l, s: CountingMethod(s), "counting"))
    CountingMethod.fits = 0
    return CountingMethod


@pytest.mark.parametrize("with_subjects", [True, False])
def test_study_folds_never_share_a_group(with_subjects, counting_method):
    data = synthetic_windows(separable=True, subjects=6, with_subjects=with_subjects)
    protocol = study.StudyProtocol(shots=(1, 2), folds=3, seeds=(0, 1))
    result = study.run_study({"tiny": data}, ["counting"], protocol, progress=False)
    assert len(result.runs) == counting_method.fits == 2 * 3 * 2
    groups = data.subjects if with_subjects else data.sequence_ids
    assert result.datasets["tiny"]["folds_by"] == ("subject" if with_subjects else "sequence_id")
    for run in result.runs:
        assert run["train_groups"] and not set(run["train_groups"]) & set(run["held_out"])
        assert run["num_train"] == run["shots"] * 4
        assert run["num_test"] == np.isin(groups, run["held_out"]).sum()
    for seed in protocol.seeds:  # each seed's folds hold out every group exactly once
        held = [g for r in result.runs if r["seed"] == seed and r["shots"] == 1 for g in r["held_out"]]
        assert sorted(held) == sorted(set(groups.tolist()))


def test_study_checks_its_requests_before_training(counting_method):
    data = {"tiny": synthetic_windows(separable=True, subjects=4, per_subject_and_class=2)}
    with pytest.raises(ValueError, match=r"unknown methods \['nope'\]; registered: .*hand_crafted_lr"):
        study.run_study(data, ["counting", "nope"])
    with pytest.raises(ValueError, match="'tiny', 7 shots, seed 0: .*only 4 training windows for 7 shots"):
        study.run_study(data, ["counting"], study.StudyProtocol(shots=(1, 7), folds=2, seeds=(0,)))
    with pytest.raises(ValueError, match="folds must be in"):
        study.run_study(data, ["counting"], study.StudyProtocol(shots=(1,), folds=5, seeds=(0,)))
    assert counting_method.fits == 0
    with pytest.raises(ValueError, match="unknown datasets"):
        study.check_datasets(["basic_motions", "mnist"])
    with pytest.raises(ValueError, match="shots"):
        study.StudyProtocol(shots=(0, 1))
    with pytest.raises(ValueError, match="already registered"):
        study.register_method("hand_crafted_lr", lambda d, l, s: HandCraftedLogisticRegression(s), "again")


class MajorityClass:
    """Not a FewShotMethod: any object with fit(windows, labels, layout) and predict(windows) joins the study."""

    def __init__(self, shape_error: bool = False):
        self.shape_error = shape_error

    def fit(self, windows, labels, layout):
        self.label = int(np.bincount(labels).argmax())
        return self

    def predict(self, windows):
        return np.full(len(windows) + self.shape_error, self.label)


def test_study_takes_any_estimator_and_checks_its_predictions(monkeypatch):
    data = {"tiny": synthetic_windows(separable=True, subjects=4)}
    protocol = study.StudyProtocol(shots=(1,), folds=2, seeds=(0,))
    monkeypatch.setitem(study.METHODS, "majority", study.MethodEntry(lambda d, l, s: MajorityClass(), "majority"))
    result = study.run_study(data, ["majority"], protocol, progress=False)
    assert [run["accuracy"] for run in result.runs] == [0.25, 0.25]  # balanced classes
    monkeypatch.setitem(study.METHODS, "broken", study.MethodEntry(lambda d, l, s: MajorityClass(True), "broken"))
    with pytest.raises(ValueError, match="method 'broken' predicted int64 \\(33,\\) for 32 windows"):
        study.run_study(data, ["broken"], protocol, progress=False)
    monkeypatch.setitem(study.METHODS, "not_a_method", study.MethodEntry(lambda d, l, s: object(), "nothing"))
    with pytest.raises(ValueError, match="'not_a_method': its factory returned a object"):
        study.run_study(data, ["not_a_method"], protocol, progress=False)


def test_study_runs_the_fine_tuning_classifier(monkeypatch):
    """finetuning.FewShotClassifier (a Trainer-fine-tuned model) joins the study through the registry as it is."""
    from imu_foundation.finetuning import FewShotClassifier

    factory = lambda d, l, s: FewShotClassifier(model="multi3net-tiny", training={"num_train_epochs": 1}, seed=s)  # noqa: E731
    monkeypatch.setitem(study.METHODS, "multi3net_tiny", study.MethodEntry(factory, "Multi^3Net-tiny, fine-tuned"))
    data = {"tiny": synthetic_windows(separable=True, subjects=4)}
    result = study.run_study(data, ["multi3net_tiny"], study.StudyProtocol(shots=(2,), folds=2, seeds=(0,)), False)
    assert len(result.runs) == 2 and all(0.0 <= run["macro_f1"] <= 1.0 for run in result.runs)


def test_study_scores_repeat_exactly():
    data = {"tiny": synthetic_windows(separable=False, subjects=4)}
    protocol = study.StudyProtocol(shots=(2,), folds=2, seeds=(3,))
    methods = [
        name for name in ("hand_crafted_lr", "minirocket_ridge", "cnn_scratch") if HAS_SKTIME or "rocket" not in name
    ]
    scores = [
        [
            (r["method"], r["fold"], r["macro_f1"], r["accuracy"])
            for r in study.run_study(data, methods, protocol, False).runs
        ]
        for _ in range(2)
    ]
    assert scores[0] == scores[1]


def load_benchmark_script():
    spec = importlib.util.spec_from_file_location("fewshot_benchmark", BENCHMARK_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_writes_json_markdown_and_plot(tmp_path, monkeypatch, capsys):
    tiny = synthetic_windows(separable=True, subjects=4)
    monkeypatch.setitem(study.DATASETS, "tiny", lambda: tiny)
    script = load_benchmark_script()
    markdown = tmp_path / "docs" / "table.md"
    output = script.main(
        ["--datasets", "tiny", "--methods", "hand_crafted_lr,cnn_scratch", "--shots", "1,2", "--folds", "2"]
        + ["--seeds", "0", "--output-dir", str(tmp_path / "out"), "--markdown", str(markdown), "--no-progress"]
    )
    written = json.loads((tmp_path / "out" / "fewshot.json").read_text())
    assert written["protocol"]["shots"] == [1, 2] and written["protocol"]["folds"] == 2
    assert len(written["runs"]) == 2 * 2 * 2 == len(output["runs"])
    assert {r["method"] for r in written["runs"]} == {"hand_crafted_lr", "cnn_scratch"}
    assert all(0.0 <= r["macro_f1"] <= 1.0 and r["fit_s"] > 0 for r in written["runs"])
    summary = {(r["method"], r["shots"]): r for r in written["summary"]}
    assert summary["hand_crafted_lr", 2]["runs"] == 2 and summary["hand_crafted_lr", 2]["macro_f1_mean"] > 0.6
    assert written["datasets"]["tiny"]["num_classes"] == 4 and written["environment"]["torch_threads"] == 1
    table = markdown.read_text()
    assert "| method | 1 shot | 2 shots | time (s) |" in table
    assert "| hand-crafted statistics + logistic regression | " in table and "±" in table
    assert "macro-F1" in table and "accuracy" in table
    png = (tmp_path / "out" / "fewshot.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    printed = capsys.readouterr().out
    assert "Seconds per method" in printed and "load average" in printed


def test_benchmark_rejects_unknown_methods():
    script = load_benchmark_script()
    with pytest.raises(ValueError, match="unknown methods"):
        script.main(["--methods", "hand_crafted_lr,gpt", "--datasets", "basic_motions"])


def test_few_shot_plot_checks_its_input(tmp_path):
    with pytest.raises(ValueError, match="at least one dataset"):
        save_few_shot_plot({}, tmp_path / "x.png")
    path = save_few_shot_plot({"a": {"m": [(1, 0.5, 0.1), (5, 0.8, 0.05)]}}, tmp_path / "x.png", chance={"a": 0.25})
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_fine_tuned_models_join_the_study_and_need_a_shipped_checkpoint(monkeypatch, tmp_path):
    from imu_foundation import pretrained

    assert {"multi3net_frozen", "multi3net_finetuned", "multi3net_scratch", "img2imu_imagenet_frozen"} <= set(
        study.METHODS
    )
    data = {"basic_motions": study.DATASETS["basic_motions"]()}
    monkeypatch.setitem(
        study.METHODS, "tiny_finetuned", study.MethodEntry(study.fine_tuned("multi3net-tiny", "finetune"), "tiny")
    )
    protocol = study.StudyProtocol(shots=(2,), folds=2, seeds=(0,))
    scratch = sorted(Path(tempfile.gettempdir()).glob("imu-foundation-fewshot-*"))
    result = study.run_study(data, ["tiny_finetuned"], protocol, progress=False)
    assert sorted(Path(tempfile.gettempdir()).glob("imu-foundation-fewshot-*")) == scratch  # no folder left behind
    assert len(result.runs) == 2 and all(0.0 <= run["macro_f1"] <= 1.0 for run in result.runs)
    again = study.run_study(data, ["tiny_finetuned"], protocol, progress=False)
    assert [r["macro_f1"] for r in again.runs] == [r["macro_f1"] for r in result.runs]  # seeded
    monkeypatch.setattr(pretrained, "_FOLDER", tmp_path)  # an installation without a shipped checkpoint
    with pytest.raises(FileNotFoundError, match="No shipped checkpoint"):
        study.run_study(data, ["multi3net_frozen"], protocol, progress=False)


def test_the_img2imu_method_takes_the_benchmarks_acc_and_gyro_channels():
    data = study.DATASETS["basic_motions"]()
    method = study.METHODS["img2imu_imagenet_frozen"].factory("basic_motions", data.layout, 0)
    method.training["num_train_epochs"] = 1  # the interface, not the score
    chosen = np.concatenate([np.flatnonzero(data.labels == k)[:1] for k in range(4)])
    method.fit(data.windows[chosen], data.labels[chosen], data.layout)
    assert method.predict(data.windows[:3]).shape == (3,)


def test_methods_from_unshipped_checkpoints_say_how_to_make_them(monkeypatch, tmp_path):
    monkeypatch.setattr(study, "CHECKPOINTS", {})
    needing = {name for name, entry in study.METHODS.items() if entry.checkpoint}
    assert {"img2imu_moco_finetuned", "img2imu_moco_midlevel", "multi3net_img2imu_finetuned"} <= needing
    assert not needing & set(study.available_methods())
    data = {"basic_motions": study.DATASETS["basic_motions"]()}
    protocol = study.StudyProtocol(shots=(1,), folds=2, seeds=(0,))
    with pytest.raises(FileNotFoundError, match="training/pretrain_img2imu.py .* --checkpoint img2imu_moco_simulated="):
        study.run_study(data, ["img2imu_moco_finetuned"], protocol, progress=False)
    with pytest.raises(FileNotFoundError, match="not a model folder"):
        study.set_checkpoint("multi3net_img2imu", str(tmp_path))
    with pytest.raises(ValueError, match="unknown checkpoint 'gpt'"):
        study.set_checkpoint("gpt", str(tmp_path))
    with pytest.raises(SystemExit, match="NAME=FOLDER"):
        load_benchmark_script().main(["--checkpoint", "multi3net_img2imu", "--methods", "hand_crafted_lr"])


def test_a_given_checkpoint_joins_the_study(monkeypatch, tmp_path):
    """An Img2Imu encoder folder (as pretrain_img2imu.py writes one) runs as the MoCo methods' checkpoint: frozen
    with a mid-level head, and fine-tuned with the encoder at its own step size."""
    from imu_foundation import Img2ImuConfig, Img2ImuModel, create_feature_extractor

    folder = tmp_path / "encoder"
    Img2ImuModel(Img2ImuConfig(backbone="resnet18")).save_pretrained(folder)
    create_feature_extractor(study.IMG2IMU_VARIANT).save_pretrained(folder)
    monkeypatch.setattr(study, "CHECKPOINTS", {})
    study.set_checkpoint("img2imu_moco_simulated", str(folder))
    assert {"img2imu_moco_midlevel", "img2imu_moco_finetuned"} <= set(study.available_methods())
    data = study.DATASETS["basic_motions"]()
    chosen = np.concatenate([np.flatnonzero(data.labels == k)[:1] for k in range(4)])
    for name in ("img2imu_moco_midlevel", "img2imu_moco_finetuned"):
        method = study.METHODS[name].factory("basic_motions", data.layout, 0)
        method.training["num_train_epochs"] = 2  # the plumbing, not the score
        method.fit(data.windows[chosen], data.labels[chosen], data.layout)
        assert method.predict(data.windows[:3]).shape == (3,)
        if name == "img2imu_moco_midlevel":
            assert method.model.config.feature_stage == 4 and method.model.classifier.in_features == 512
        else:
            head, encoder = method.trainer.optimizer.param_groups
            assert head["initial_lr"] == method.training["learning_rate"] == 1e-3
            assert encoder["initial_lr"] == study.CONVNET_ENCODER_LEARNING_RATE
            assert {id(p) for p in head["params"]} == {id(p) for p in method.model.classifier.parameters()}
            assert len(encoder["params"]) == len(list(method.model.img2imu.parameters()))


def test_encoder_learning_rate_is_for_fine_tuning_only():
    from imu_foundation.finetuning import FewShotClassifier

    with pytest.raises(ValueError, match="encoder_learning_rate is a positive step size for mode='finetune'"):
        FewShotClassifier(model="multi3net-tiny", mode="frozen", encoder_learning_rate=1e-4)
    with pytest.raises(ValueError, match="encoder_learning_rate"):
        FewShotClassifier(model="multi3net-tiny", encoder_learning_rate=0.0)


def test_statistics_plus_embedding_appends_the_shipped_models_embedding():
    """The fused probe's features are the baseline's statistics, then the shipped model's embedding of the same
    windows: in SI units inside the method, identical to what the processor makes of the recording as declared."""
    from imu_foundation.evaluation.baselines import statistical_features
    from imu_foundation.models.multi3net import Multi3NetModel, Multi3NetProcessor
    from imu_foundation.pretrained import pretrained_path

    data = study.DATASETS["wrist_exercises"]()  # accelerometer in g
    assert data.layout.acc_units == "g"
    method = study.METHODS["statistics_plus_multi3net"].factory("wrist_exercises", data.layout, 0)
    chosen = np.concatenate([np.flatnonzero(data.labels == k)[:2] for k in range(7)])
    method.fit(data.windows[chosen], data.labels[chosen], data.layout)
    assert method.predict(data.windows[:5]).shape == (5,)
    si = data.windows[:5] * data.layout.unit_scale_to().astype(np.float32)
    features = method._features(si)
    statistics = statistical_features(si, data.layout)
    assert features.shape == (5, statistics.shape[1] + 128)
    torch.testing.assert_close(features[:, : statistics.shape[1]], torch.as_tensor(statistics))
    model = Multi3NetModel.from_pretrained(pretrained_path()).eval()
    processor = Multi3NetProcessor.from_pretrained(pretrained_path())
    with torch.no_grad():
        inputs = processor.feature_extractor(list(data.windows[:5]), layout=data.layout, whole=True)
        expected = model.get_imu_features(**inputs).pooler_output.double()
    torch.testing.assert_close(features[:, statistics.shape[1] :], expected, rtol=1e-5, atol=1e-6)


def test_benchmark_quick_runs_the_fast_methods_and_the_default_names_what_it_leaves_out(monkeypatch, capsys):
    script = load_benchmark_script()
    asked = []

    def stop(datasets, methods, protocol, progress):  # the selection is the point, not the scores
        asked.append(list(methods))
        raise KeyboardInterrupt

    monkeypatch.setattr(script, "run_study", stop)
    monkeypatch.setattr(study, "CHECKPOINTS", {})
    for argv in (["--quick"], []):
        with pytest.raises(KeyboardInterrupt):
            script.main([*argv, "--datasets", "basic_motions"])
    quick, default = asked
    assert set(quick) <= set(script.QUICK_METHODS) and "hand_crafted_lr" in quick and "cnn_scratch" in quick
    assert "img2imu_imagenet_finetuned" in default and "multi3net_img2imu_finetuned" not in default
    assert (
        "Left out (their checkpoints were not given with --checkpoint): img2imu_moco_finetuned"
        in capsys.readouterr().out
    )

"""Multi^3Net pre-training end to end on a tiny corpus: checkpoints without pickles, same seed same weights, a
SIGKILLed run resumed to the same weights, two cooperating processes, mis-launches refused, the collator's variety."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from imu_foundation.data.augmentation import SensorVariety
from imu_foundation.data.synthetic_corpus import CorpusSettings, LibrarySource, build_synthetic_corpus
from imu_foundation.runs import RUN_FILE, _num_processes, check_launch, inspect_run_folder
from imu_foundation.sensors import SENSOR_ROWS, SITES

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "training" / "pretrain_multi3net.py"
SITE_NAMES = ("left_wrist", "right_wrist", "pelvis")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "tiny"
    settings = CorpusSettings(sites=SITE_NAMES, sampling_rate_hz=20.0, window_s=4.0, overlap=0.5, pose_rate_hz=15.0)
    # A quarter of the sequences for validation: with the default 5 % a corpus this small may draw none.
    splits = {"train": 0.75, "validation": 0.25}
    built = build_synthetic_corpus(LibrarySource(), settings, num_windows=48, seed=1, split_fractions=splits)
    built.save_to_disk(folder)
    return folder


def arguments(corpus: Path, output: Path, *extra: str) -> list[str]:
    return [
        "--corpus", str(corpus), "--model", "multi3net-tiny", "--output_dir", str(output),
        "--config_overrides", json.dumps({"pose_config": {"max_frames": 128}}),
        "--sensor_variety", json.dumps({"window_s": [2.0, 4.0]}),
        "--max_steps", "8", "--per_device_train_batch_size", "8", "--eval_steps", "4", "--save_steps", "4",
        "--logging_steps", "2", "--select_on_basic_motions", "false", *extra,
    ]  # fmt: skip


def run_script(args: list[str], prelude: str = "", launcher: list[str] | None = None) -> subprocess.CompletedProcess:
    """The pre-training script in a fresh interpreter (``prelude`` runs first, e.g. to install a callback)."""
    code = textwrap.dedent(prelude) + f"\nimport runpy, sys\nsys.argv = {['pretrain_multi3net.py', *args]!r}\n"
    code += f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [*(launcher or [sys.executable]), "-c", code] if launcher is None else [*launcher, str(SCRIPT), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "model.safetensors")


def test_pretraining_writes_a_complete_pickle_free_run_that_loads(corpus, tmp_path):
    from transformers import AutoModel, AutoProcessor

    output = tmp_path / "run"
    done = run_script(arguments(corpus, output))
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads((output / RUN_FILE).read_text())
    assert run["status"] == "complete" and run["results"]["eval_loss"] > 0
    files = {p.name for p in output.rglob("*") if p.is_file()}
    assert not {name for name in files if name.endswith((".pt", ".pth", ".bin", ".pkl"))}
    assert {"optimizer.safetensors", "scheduler.safetensors", "rng_state.safetensors"} <= files
    assert (output / "training_curves.png").stat().st_size > 10_000 and (output / "README.md").is_file()
    history = json.loads((output / "checkpoint-8" / "trainer_state.json").read_text())["log_history"]
    logged = set().union(*history)
    assert {"text_imu_loss", "text_pose_loss", "imu_pose_loss", "pose2imu_loss", "reconstruction_loss"} <= logged
    model, processor = AutoModel.from_pretrained(output), AutoProcessor.from_pretrained(output)
    recording = np.tile([0.0, 0.0, 9.81, 0.0, 0.0, 0.0], (90, 1))  # a still watch, 3 s at 30 Hz: 2 windows of 2 s
    names = [f"wrist_{s}_{a}" for s in ("acc", "gyro") for a in "xyz"]
    with torch.no_grad():
        embeds = model.get_imu_features(**processor(imu=recording, sampling_rate=30, channel_names=names))
    assert embeds.pooler_output.shape == (2, model.config.projection_dim)
    again = run_script(arguments(corpus, output))  # a complete run is not overwritten unasked
    assert again.returncode != 0 and "holds a complete run" in again.stderr


def test_same_seed_same_weights(corpus, tmp_path):
    for name in ("a", "b"):
        assert run_script(arguments(corpus, tmp_path / name)).returncode == 0
    first, second = weights(tmp_path / "a"), weights(tmp_path / "b")
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_run(corpus, tmp_path):
    kill_after_saving_step_4 = """
    import os, signal
    from transformers import TrainerCallback
    import imu_foundation.trainer as trainer_module

    class Kill(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 4:
                os.kill(os.getpid(), signal.SIGKILL)

    original = trainer_module.SafetensorsTrainer.__init__
    def install(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.add_callback(Kill())
    trainer_module.SafetensorsTrainer.__init__ = install
    """
    killed = run_script(arguments(corpus, tmp_path / "killed"), prelude=kill_after_saving_step_4)
    assert killed.returncode == -9
    assert json.loads((tmp_path / "killed" / RUN_FILE).read_text())["status"] == "running"
    refused = run_script(arguments(corpus, tmp_path / "killed"))
    assert refused.returncode != 0 and "interrupted run (its last checkpoint is checkpoint-4)" in refused.stderr
    assert run_script(arguments(corpus, tmp_path / "killed", "--resume")).returncode == 0
    assert run_script(arguments(corpus, tmp_path / "whole")).returncode == 0
    resumed, whole = weights(tmp_path / "killed"), weights(tmp_path / "whole")
    assert all(torch.equal(resumed[k], whole[k]) for k in whole)
    assert json.loads((tmp_path / "killed" / RUN_FILE).read_text())["resumed_from"].endswith("checkpoint-4")


def test_two_cpu_processes_cooperate(corpus, tmp_path):
    output = tmp_path / "ddp"
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
    done = run_script(arguments(corpus, output, "--max_steps", "4"), launcher=launcher)
    assert done.returncode == 0, done.stderr[-3000:]
    state = json.loads((output / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["train_batch_size"] == 8 and json.loads((output / RUN_FILE).read_text())["status"] == "complete"
    assert "rng_state_0.safetensors" in os.listdir(output / "checkpoint-4")
    assert "rng_state_1.safetensors" in os.listdir(output / "checkpoint-4")  # one random state per process


def test_contrastive_negatives_are_gathered_across_processes():
    marker = Path(os.environ.get("TMPDIR", "/tmp")) / f"imu-foundation-ddp-{os.getpid()}"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    done = subprocess.run(
        [*command, str(ROOT / "tests" / "distributed_loss_check.py"), str(marker)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert marker.read_text() == "ok"
    marker.unlink()


def test_a_mislaunch_fails_loudly_before_training(corpus, tmp_path):
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2"]
    done = run_script(arguments(corpus, tmp_path / "never"), launcher=launcher)
    assert done.returncode != 0 and "was asked for 2 processes but started one" in done.stderr
    assert not (tmp_path / "never").exists()
    assert _num_processes(["accelerate", "launch", "--num_processes=3", "x.py"]) == 3
    config = tmp_path / "multi_cpu.yaml"
    config.write_text("distributed_type: MULTI_CPU\nnum_processes: 2\n")
    assert _num_processes(["accelerate", "launch", "--config_file", str(config), "x.py"]) == 2
    check_launch(1)  # not under accelerate: nothing to check


def test_run_folders_refuse_what_they_did_not_write(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not written by an imu_foundation run"):
        inspect_run_folder(tmp_path / "mine", overwrite=True)
    with pytest.raises(FileNotFoundError, match="no run to resume"):
        inspect_run_folder(tmp_path / "new", resume=True)
    assert inspect_run_folder(tmp_path / "new").resume_from is None


def test_sensor_variety_tells_the_model_what_it_made():
    torch.manual_seed(0)
    batch, samples = 32, 80
    acc = torch.zeros(batch, samples, 3, 3)
    acc[..., 2] = 9.80665  # every site at rest, z up
    gyro = torch.zeros(batch, samples, 3, 3)
    variety = SensorVariety(sensor_errors=False, window_s=(2.0, 2.0), gravity_removed_probability=0.5)
    out = variety(acc, gyro, list(SITE_NAMES), 20.0)
    assert out.acc.shape[:2] == (batch, 40) and len(out.channel_names) == batch
    norms = out.acc.norm(dim=-1)
    for example, gravity in enumerate(out.gravity):
        if gravity == "include":  # a rotated sensor at rest still reads 1 g
            torch.testing.assert_close(norms[example], torch.full_like(norms[example], 9.80665), atol=1e-3, rtol=0)
        else:  # gravity removed: a sensor at rest reads ~0
            assert norms[example].max() < 0.5
    assert {"include", "remove"} == set(out.gravity)
    names = {name.rsplit("_", 2)[0] for example in out.channel_names for name in example}
    assert names & {"wrist"} and names <= set(SITES)
    from imu_foundation.sensors import channel_ids

    ids = channel_ids(out.channel_names[0], out.gravity[0])
    expected = "linear_acc" if out.gravity[0] == "remove" else "acc"
    assert ids[0][1] == SENSOR_ROWS.index(expected)


def test_excluded_activities_leave_every_split(corpus):
    from imu_foundation.pretraining import load_corpus, without_activities

    full = load_corpus(str(corpus))
    present = sorted({str(a) for split in full.values() for a in split.unique("activity")})
    excluded = present[:2]
    kept = without_activities(full, f" {excluded[0]} ,{excluded[1]}")
    for name, split in kept.items():
        remaining = {str(a) for a in split.unique("activity")}
        assert not remaining & set(excluded)
        expected = sum(str(a) not in excluded for a in full[name]["activity"])
        assert len(split) == expected
    assert without_activities(full, "") is full
    with pytest.raises(ValueError, match="does not hold"):
        without_activities(full, "juggling")


def test_a_finished_run_ships_as_a_checkpoint_with_measured_results(corpus, tmp_path):
    from transformers import AutoModel, AutoProcessor

    from imu_foundation.pipelines import load_pipeline
    from imu_foundation.pretraining import ship_pretrained

    run, shipped = tmp_path / "run", tmp_path / "shipped"
    with pytest.raises(FileNotFoundError, match="holds no pre-training run"):
        ship_pretrained(run, shipped)
    assert run_script(arguments(corpus, run)).returncode == 0
    scores = ship_pretrained(run, shipped, remake="python training/make_pretrained.py")
    files = {p.name for p in shipped.iterdir()}
    assert {"config.json", "model.safetensors", "processor_config.json", "README.md", "results.json"} <= files
    assert not [name for name in files if name.endswith(".py") or name.startswith("checkpoint-")]
    card = (shipped / "README.md").read_text()
    assert "python training/make_pretrained.py" in card and "model-index" in card
    assert f"{scores['basic_motions_test_accuracy']:.3f}" in card
    assert 0 <= scores["retrieval_instance_text_to_imu_recall@1"] <= scores["retrieval_instance_text_to_imu_recall@10"]
    # the shipped weights are the run's final (selected) weights
    assert all(torch.equal(weights(run)[k], weights(shipped)[k]) for k in weights(run))
    model, processor = AutoModel.from_pretrained(shipped), AutoProcessor.from_pretrained(shipped)
    assert model.config.projection_dim and processor.feature_extractor.sampling_rate == 30
    classifier = load_pipeline("zero-shot-imu-classification", model=shipped)
    names = [f"wrist_{s}_{a}" for s in ("acc", "gyro") for a in "xyz"]
    still = np.tile([0.0, 0.0, 9.81, 0.0, 0.0, 0.0], (60, 1)).astype(np.float32)
    result = classifier(still, candidate_labels=["standing", "running"], sampling_rate=30, channel_names=names)
    assert {r["label"] for r in result} == {"standing", "running"}
    with pytest.raises(FileExistsError):
        ship_pretrained(run, shipped)  # never replaced unasked
    ship_pretrained(run, shipped, overwrite=True)


@pytest.mark.parametrize("variant", ["multi3net-small", "multi3net-medium"])
def test_each_pretraining_size_has_a_model_and_training_config(variant):
    from imu_foundation import create_feature_extractor, create_model
    from imu_foundation.factory import training_config

    model, extractor = create_model(variant).eval(), create_feature_extractor(variant)
    assert (extractor.sampling_rate, extractor.window_length) == (20, 200)  # the pre-training corpus' windows
    watch = np.tile([0.0, 0.0, 9.81, 0.1, 0.0, 0.0], (200, 1)).astype(np.float32)
    names = [f"wrist_{s}_{a}" for s in ("acc", "gyro") for a in "xyz"]
    with torch.no_grad():
        features = model.get_imu_features(**extractor(watch, sampling_rate=20, channel_names=names))
    assert features.pooler_output.shape == (1, model.config.projection_dim)
    training = training_config(f"pretrain-{variant}")
    assert training["max_steps"] > 0 and training["eval_steps"] == training["save_steps"]


def test_a_missing_corpus_is_named(tmp_path):
    from imu_foundation.pretraining import load_corpus

    with pytest.raises(FileNotFoundError, match="neither a corpus folder here nor a Hub dataset"):
        load_corpus(str(tmp_path / "no-such-corpus"))


def test_simulated_device_spectrograms_are_one_sites_acc_and_gyro_images(corpus):
    """MoCo on simulated IMU sees what the Img2Imu extractor makes of one device: with every variation switched
    off, each image is exactly the extractor's image of one site's accelerometer and gyroscope."""
    import datasets

    from imu_foundation import create_feature_extractor
    from imu_foundation.data.collators import SimulatedDeviceSpectrograms

    rows = [datasets.load_from_disk(str(corpus))["train"].with_format("numpy")[i] for i in range(4)]
    extractor = create_feature_extractor("img2imu-efficientnet-lite0-acc-gyro")
    varied = SimulatedDeviceSpectrograms(extractor, SensorVariety(), seed=0)
    images = varied(rows)
    assert images.shape == (4, 3, 192, 128) and torch.isfinite(images).all()
    torch.testing.assert_close(varied(rows), images, rtol=0, atol=0)  # seeded by the rows
    assert not torch.equal(SimulatedDeviceSpectrograms(extractor, SensorVariety(), seed=1)(rows), images)

    still = SensorVariety(
        side_unknown_probability=0.0, tilt_std_deg=0.0, flip_probability=0.0, gravity_removed_probability=0.0,
        sensor_errors=False, device_rates_hz=(20.0,), window_s=(60.0, 60.0),
    )  # fmt: skip
    clean = SimulatedDeviceSpectrograms(extractor, still, seed=0)(rows)
    imu = np.stack([row["imu"] for row in rows])  # (B, T, 6 S): per site acc x y z, gyro x y z
    per_site = [
        extractor(imu[:, :, 6 * k : 6 * k + 6], sampling_rate=rows[0]["sampling_rate_hz"])["pixel_values"]
        for k in range(len(SITE_NAMES))
    ]
    for b in range(len(rows)):
        assert any(torch.allclose(clean[b], site[b], atol=1e-5) for site in per_site)
    with pytest.raises(ValueError, match="extractor of 6 channels"):
        SimulatedDeviceSpectrograms(create_feature_extractor("img2imu-resnet18"), SensorVariety())


def test_the_joined_variant_starts_from_minilm_and_imagenet():
    """multi3net-img2imu: pre-training starts from every offline weight its variant lists (the text tower from
    MiniLM, the Img2Imu IMU tower from ImageNet)."""
    from imu_foundation import create_model
    from imu_foundation.pretraining import build_model_and_processor

    model, processor = build_model_and_processor("multi3net-img2imu", {})
    imagenet = create_model("img2imu-efficientnet-lite0", pretrained="imagenet")
    tower = dict(model.imu_model.img2imu.named_parameters())
    for name, parameter in imagenet.named_parameters():
        torch.testing.assert_close(tower[name], parameter, rtol=0, atol=0)
    untouched = create_model("multi3net-img2imu")
    text = dict(untouched.text_model.named_parameters())
    assert any(not torch.equal(p, text[n]) for n, p in model.text_model.named_parameters())
    assert processor.feature_extractor.sampling_rate == model.config.imu_config.sampling_rate == 20

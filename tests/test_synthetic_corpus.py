"""The synthetic-IMU corpus: schema, alignment with the simulator, splits, determinism, sources, errors, the CLI."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from crafted_body_models import crafted_pickle, smpl_pickle

from imu_foundation.data.schema import generator_params, imu_features
from imu_foundation.data.synthetic_corpus import (
    AmassSource,
    CorpusSettings,
    LibrarySource,
    SmplxSentencesSource,
    assign_split,
    build_synthetic_corpus,
    read_humanml3d_captions,
    window_captions,
)
from imu_foundation.sensors import convert_units
from imu_foundation.simulation import (
    POSE_REPRESENTATION_DIM,
    PickledBodyModelError,
    generate_body_model_arrays,
    generate_motion,
    list_activities,
    load_body_model,
    pose_representation,
    simulate_imu,
)

ROOT = Path(__file__).resolve().parents[1]
datasets.disable_progress_bars()


def _build(tmp_path: Path, name: str, **kwargs) -> object:
    kwargs.setdefault("seed", 0)
    kwargs.setdefault("windows_per_shard", 30)
    return build_synthetic_corpus(kwargs.pop("source", LibrarySource()), cache_dir=str(tmp_path / name), **kwargs)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("corpus"), "cache", num_windows=120)


def _arrow_digests(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.rglob("*.arrow"))}


# ------------------------------------------------------------------------------------------------------------------
# Schema and content
# ------------------------------------------------------------------------------------------------------------------
def test_schema_and_dtypes(corpus):
    settings = CorpusSettings()
    for split in corpus.dataset.values():
        assert split.features == imu_features(12)
    example = corpus.dataset["train"].with_format("numpy")[0]
    assert example["imu"].shape == (100, 12) and example["imu"].dtype == np.float32
    assert example["pose"].shape == (40, POSE_REPRESENTATION_DIM) and example["pose"].dtype == np.float32
    row = corpus.dataset["train"][0]
    assert row["channel_names"] == settings.channel_names and row["channel_names"][0] == "left_wrist_acc_x"
    assert row["sensor_sites"] == ["left_wrist", "right_wrist"]
    assert (row["sampling_rate_hz"], row["pose_rate_hz"]) == (50.0, 20.0)
    assert (row["acc_units"], row["gyro_units"], row["gravity"]) == ("m/s^2", "rad/s", "include")
    assert row["activity"] in list_activities() and row["sequence_id"].startswith(row["activity"] + "-")
    assert len(row["captions"]) == 3 and all(isinstance(c, str) and c for c in row["captions"])
    assert row["subject"] == "" and row["start_s"] == pytest.approx(0.1 + row["window_index"] * 1.0)  # off the edge
    params = generator_params(row)
    assert params["seed"] == 0 and params["settings"]["window_samples"] == 100
    assert params["source"]["motion"]["activity"] == row["activity"] and "betas" in params["source"]["motion"]


def test_exact_size_and_splits_by_sequence(corpus):
    assert sum(len(d) for d in corpus.dataset.values()) == 120
    sequences = {name: set(d["sequence_id"]) for name, d in corpus.dataset.items()}
    names = list(sequences)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not sequences[a] & sequences[b], f"a sequence has windows in {a} and {b}"
    for name, ids in sequences.items():
        assert all(assign_split(s, {"train": 0.9, "validation": 0.05, "test": 0.05}) == name for s in ids)
    assert corpus.config["num_windows"] == {name: len(d) for name, d in corpus.dataset.items()}


def test_windows_are_slices_of_the_whole_simulated_motion(corpus):
    """A window equals the simulator's output for the whole motion at its start sample; the pose is aligned."""
    train = corpus.dataset["train"].with_format("numpy")
    row = train[3]
    params = generator_params(corpus.dataset["train"][3])
    drawn = params["source"]["motion"]
    motion = generate_motion(row["activity"], drawn["seed"], duration_s=drawn["duration_s"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the corpus builder runs it: the thread count changes float summation order
    try:
        imu = simulate_imu(motion, load_body_model(), sites=["left_wrist", "right_wrist"], sampling_rate_hz=50.0)
    finally:
        torch.set_num_threads(threads)
    start = int(round(row["start_s"] * 50))
    np.testing.assert_array_equal(row["imu"], imu.channels().numpy()[start : start + 100])
    frames = np.rint((row["start_s"] + np.arange(40) / 20.0) * 60.0).astype(int)
    np.testing.assert_array_equal(row["pose"], pose_representation(motion).numpy()[frames])


def test_a_larger_corpus_extends_a_smaller_one():
    """Same seed: the motions of a small plan start the large one, so they keep their (hash-based) splits."""
    small, large = (LibrarySource().plan(0, CorpusSettings(), n) for n in (100, 400))
    assert sum(r["num_windows"] for r in small) == 100 and sum(r["num_windows"] for r in large) == 400
    keys = [(r["activity"], r["seed"], r["duration_s"]) for r in small]
    assert keys == [(r["activity"], r["seed"], r["duration_s"]) for r in large[: len(small)]]


def test_the_library_corpus_is_balanced_over_activities(tmp_path):
    corpus = _build(tmp_path, "c", source=LibrarySource(num_motions=50), split_fractions={"train": 1.0})
    activities = {generator_params(r)["source"]["motion"]["activity"] for r in corpus.dataset["train"]}
    assert activities == set(list_activities())
    assert corpus.config["num_sequences"] == {"train": 50}


def test_options_reach_the_examples(tmp_path):
    settings = CorpusSettings(
        sites=("pelvis",),
        acc_units="g",
        gravity="remove",
        window_s=1.0,
        overlap=0.0,
        pose_rate_hz=0.0,
        error_model="consumer_mems",
        sampling_rate_hz=25.0,
    )
    corpus = _build(
        tmp_path,
        "c",
        source=LibrarySource(num_motions=2, activities=("standing",)),
        settings=settings,
        split_fractions={"train": 1.0},
    )
    data = corpus.dataset["train"].with_format("numpy")
    row = data[0]
    assert row["imu"].shape == (25, 6) and row["pose"].shape == (0, POSE_REPRESENTATION_DIM)
    assert (row["acc_units"], row["gravity"], row["pose_rate_hz"]) == ("g", "remove", 0.0)
    # standing with gravity removed: linear acceleration near zero, in g; sensor noise makes it non-zero
    acc = np.stack([r["imu"][:, :3] for r in data])
    assert np.abs(acc).mean() < 0.05 and acc.std() > 0
    assert generator_params(corpus.dataset["train"][0])["simulation"]["error_model"] is not None


# ------------------------------------------------------------------------------------------------------------------
# Determinism and publishing to disk
# ------------------------------------------------------------------------------------------------------------------
def test_same_seed_identical_bytes_whatever_the_process_count(tmp_path):
    digests = []
    for run, num_proc in enumerate((1, 1, 2)):
        corpus = _build(tmp_path, f"cache{run}", num_windows=60, windows_per_shard=15, num_proc=num_proc)
        corpus.save_to_disk(tmp_path / f"out{run}")
        digests.append(_arrow_digests(tmp_path / f"out{run}"))
    assert digests[0] and digests[0] == digests[1] == digests[2]
    other = _build(tmp_path, "other", num_windows=60, seed=1)
    other.save_to_disk(tmp_path / "other_out")
    assert _arrow_digests(tmp_path / "other_out") != digests[0]


def test_save_to_disk_round_trip_with_card(corpus, tmp_path):
    path = corpus.save_to_disk(tmp_path / "corpus")
    loaded = datasets.load_from_disk(str(path))
    assert set(loaded) == set(corpus.dataset)
    for name in loaded:
        assert loaded[name].features == corpus.dataset[name].features
        assert loaded[name].data.table.equals(corpus.dataset[name].data.table)
    card = (path / "README.md").read_text()
    assert "not motion capture and not AMASS" in card and "embedded generated SMPL-format body" in card
    assert "license: apache-2.0" in card
    generation = json.loads(card.split("```json\n")[1].split("\n```")[0])
    assert generation == json.loads((path / "generation_config.json").read_text())
    assert generation["settings"]["sites"] == ["left_wrist", "right_wrist"]


def test_convert_units():
    names = ["w_acc_x", "w_acc_y", "w_acc_z", "w_gyro_x", "w_gyro_y", "w_gyro_z"]
    converted = convert_units(np.ones((2, 6)), names, acc_from="g", acc_to="m/s^2", gyro_from="rad/s", gyro_to="deg/s")
    np.testing.assert_allclose(converted[0], [9.80665] * 3 + [180 / np.pi] * 3, rtol=1e-6)


# ------------------------------------------------------------------------------------------------------------------
# Files as motion sources
# ------------------------------------------------------------------------------------------------------------------
def _amass_file(path: Path, activity: str, seed: int, gender: np.ndarray | None = None) -> None:
    motion = generate_motion(activity, seed, duration_s=6.0)
    frames = motion.num_frames
    poses = np.zeros((frames, 156))
    poses[:, :3] = motion.global_orient.numpy()
    poses[:, 3:66] = motion.body_pose[:, :21].reshape(frames, 63).numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        poses=poses,
        trans=motion.transl.numpy(),
        betas=np.zeros(16),
        gender=np.array("female") if gender is None else gender,
        mocap_framerate=np.array(60.0),
    )


def test_amass_folder_with_humanml3d_texts(tmp_path):
    root, texts = tmp_path / "amass", tmp_path / "texts"
    _amass_file(root / "CMU" / "01" / "01_01_poses.npz", "walking", 1)
    _amass_file(root / "CMU" / "02" / "02_01_poses.npz", "waving", 2, gender=np.bytes_(b"male"))
    np.savez(root / "CMU" / "01" / "shape.npz", betas=np.zeros(16))  # body shape only: skipped
    texts.mkdir()
    (texts / "01_01_poses.txt").write_text(
        "a person walks forward.#a/DET person/NOUN walk/VERB#0.0#0.0\nthen the person turns around.#x#1.0#2.0\n"
    )
    corpus = _build(tmp_path, "c", source=AmassSource(str(root), str(texts)), split_fractions={"train": 1.0})
    data = corpus.dataset["train"]
    assert set(data["sequence_id"]) == {"CMU/01/01_01_poses", "CMU/02/02_01_poses"}
    rows = [r for r in data if r["sequence_id"] == "CMU/01/01_01_poses"]
    assert rows[0]["subject"] == "CMU/01" and rows[0]["activity"] == ""
    assert rows[0]["captions"] == ["a person walks forward.", "then the person turns around."]  # window 0-2 s
    assert rows[3]["captions"] == ["a person walks forward."]  # window 3-5 s
    assert all(r["captions"] == [] for r in data if r["sequence_id"] == "CMU/02/02_01_poses")
    assert generator_params(rows[0])["source"]["gender"] == "female"
    waving = next(r for r in data if r["sequence_id"] == "CMU/02/02_01_poses")
    assert generator_params(waving)["source"]["gender"] == "male"  # stored as bytes
    # AMASS is z-up: at rest-ish the accelerometer still reads about 1 g on average
    assert 7.0 < np.linalg.norm(np.asarray(rows[0]["imu"])[:, :3], axis=1).mean() < 13.0


def test_how2sign_style_smplx_clips_with_sentences(tmp_path):
    root = tmp_path / "smplx"
    root.mkdir()
    motion = generate_motion("waving", 0, duration_s=3.0, fps=24.0)
    body = motion.body_pose[:, :21].reshape(motion.num_frames, 63).numpy()
    np.savez(
        root / "clip_a.npz",
        global_orient=motion.global_orient.numpy(),
        body_pose=body,
        transl=motion.transl.numpy(),
        left_hand_pose=np.zeros((motion.num_frames, 45)),
    )
    (root / "clip_b").mkdir()
    for t in range(motion.num_frames):  # one file per frame, as video pose estimators write them
        np.savez(
            root / "clip_b" / f"{t:05d}.npz",
            root_orient=motion.global_orient[t].numpy(),
            body_pose=body[t],
            trans=motion.transl[t].numpy(),
            fps=np.array(24.0),
        )
    sentences = tmp_path / "how2sign.csv"
    sentences.write_text(
        "VIDEO_ID\tSENTENCE_NAME\tSTART_REALIGNED\tEND_REALIGNED\tSENTENCE\n"
        "v1\tclip_a\t0.0\t3.0\tHello, how are you?\nv1\tclip_b\t3.0\t6.0\tI am fine.\nv2\tclip_c\t0\t1\tMissing.\n"
    )
    source = SmplxSentencesSource(str(root), str(sentences), fps=24.0)
    corpus = _build(tmp_path, "c", source=source, split_fractions={"train": 1.0})
    data = corpus.dataset["train"].with_format("numpy")
    by_clip = {}
    for row in data:
        by_clip.setdefault(str(row["sequence_id"]), []).append(row)
    assert set(by_clip) == {"clip_a", "clip_b"}
    assert list(by_clip["clip_a"][0]["captions"]) == ["Hello, how are you?"]
    np.testing.assert_allclose(by_clip["clip_a"][0]["imu"], by_clip["clip_b"][0]["imu"], atol=1e-5)


def test_caption_helpers(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("whole#tok#0.0#0.0\ntimed#tok#2.0#4.0\nno tokens\nnan#tok#nan#nan\n")
    assert read_humanml3d_captions(text) == [
        ("whole", None, None),
        ("timed", 2.0, 4.0),
        ("no tokens", None, None),
        ("nan", None, None),
    ]
    captions = read_humanml3d_captions(text)
    assert window_captions(captions, 0.0, 2.0) == ["whole", "no tokens", "nan"]
    assert window_captions(captions, 2.5, 2.0) == ["whole", "timed", "no tokens", "nan"]
    text.write_text("bad#tok#3.0#1.0\n")
    with pytest.raises(ValueError, match="line 1: end 1.0 s is not after start 3.0 s"):
        read_humanml3d_captions(text)


# ------------------------------------------------------------------------------------------------------------------
# Clear errors
# ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overlap": 1.0}, "overlap must be in"),
        ({"acc_units": "mps2"}, "acc_units must be one of"),
        ({"gravity": "on"}, "gravity must be one of"),
        ({"error_model": "fancy"}, "error_model must be None or one of"),
        ({"sites": ()}, "sites must be a non-empty list"),
        ({"window_s": 0.02}, "fewer than 4 samples"),
    ],
)
def test_settings_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CorpusSettings(**kwargs)


def test_source_errors(tmp_path):
    with pytest.raises(ValueError, match="exactly one of num_motions"):
        LibrarySource().plan(0, CorpusSettings(), None)
    with pytest.raises(ValueError, match="unknown activities"):
        LibrarySource(activities=("flying",)).plan(0, CorpusSettings(), 10)
    with pytest.raises(ValueError, match="no activity lasts one window"):
        LibrarySource().plan(0, CorpusSettings(window_s=30.0), 10)
    with pytest.raises(FileNotFoundError, match="AMASS folder not found"):
        AmassSource(str(tmp_path / "nowhere")).plan(0, CorpusSettings(), None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no AMASS motion files"):
        AmassSource(str(tmp_path / "empty")).plan(0, CorpusSettings(), None)
    csv = tmp_path / "s.csv"
    csv.write_text("NAME,SENTENCE\na,b\n")
    with pytest.raises(ValueError, match=r"missing columns \['SENTENCE_NAME'\]"):
        SmplxSentencesSource(str(tmp_path), str(csv), fps=24.0).plan(0, CorpusSettings(), None)
    with pytest.raises(ValueError, match="split fractions must be"):
        build_synthetic_corpus(LibrarySource(num_motions=1), split_fractions={"train": 0.5})


def test_malformed_motion_file_is_named(tmp_path):
    root = tmp_path / "amass" / "DS" / "S1"
    root.mkdir(parents=True)
    np.savez(root / "bad_poses.npz", poses=np.zeros((10, 7)), trans=np.zeros((10, 3)), mocap_framerate=np.array(60.0))
    with pytest.raises(datasets.exceptions.DatasetGenerationError) as error:
        _build(tmp_path, "c", source=AmassSource(str(tmp_path / "amass")), split_fractions={"train": 1.0})
    assert "bad_poses.npz" in str(error.value.__cause__) and "(T, 72|156|165)" in str(error.value.__cause__)


# ------------------------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------------------------
def _cli(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "dataset_builders" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_synthetic_corpus_cli(tmp_path, capsys):
    cli = _cli("build_synthetic_corpus")
    output = tmp_path / "out"
    args = [
        "--output",
        str(output),
        "--num-windows",
        "30",
        "--num-proc",
        "1",
        "--sites",
        "left_wrist",
        "--splits",
        "train=0.8,test=0.2",
        "--seed",
        "5",
    ]
    assert cli.main(args) == 0
    loaded = datasets.load_from_disk(str(output))
    assert sum(len(d) for d in loaded.values()) == 30 and set(loaded) <= {"train", "test"}
    assert loaded["train"].features["imu"].shape == (None, 6)
    assert "30 windows" in capsys.readouterr().out
    assert cli.main(args) == 1  # refuses to overwrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left beside it
    assert not (output / ".arrow-cache").exists()  # the Arrow cache is gone


def test_a_pickled_body_model_is_refused_before_any_motion_is_simulated(tmp_path, capsys):
    marker = tmp_path / "code_ran"
    crafted = crafted_pickle(tmp_path / "SMPL_NEUTRAL.pkl", marker)
    source = LibrarySource(num_motions=1, activities=("standing",))
    with pytest.raises(PickledBodyModelError, match="SMPL_NEUTRAL.pkl holds a Python pickle"):
        _build(tmp_path, "c", source=source, settings=CorpusSettings(body_model=str(crafted)))
    output = tmp_path / "out"
    args = ["--output", str(output), "--num-motions", "1", "--activities", "standing", "--num-proc", "1"]
    assert _cli("build_synthetic_corpus").main([*args, "--body-model", str(crafted)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"build_synthetic_corpus: {crafted} holds a Python pickle") and error.count("\n") == 1
    assert "--trust-pickled-body-model" in error and "Traceback" not in error
    assert not marker.exists() and not output.exists() and not list(tmp_path.glob(".corpus-cache-*"))


def test_a_trusted_pickled_body_model_builds_the_corpus(tmp_path):
    body_model = smpl_pickle(tmp_path / "SMPL_NEUTRAL.pkl", generate_body_model_arrays())  # benign, with its sites
    settings = CorpusSettings(body_model=str(body_model), trust_pickled_body_model=True)
    source = LibrarySource(num_motions=1, activities=("standing",))
    corpus = _build(tmp_path, "c", source=source, settings=settings, split_fractions={"train": 1.0})
    params = generator_params(corpus.dataset["train"][0])
    assert (
        params["simulation"]["body_model"] == "SMPL_NEUTRAL.pkl"
        and params["settings"]["body_model"] == "SMPL_NEUTRAL.pkl"
    )
    assert "trust_pickled_body_model" not in params["settings"]  # a permission, not a parameter of the data
    embedded = _build(tmp_path, "e", source=source, split_fractions={"train": 1.0})
    np.testing.assert_array_equal(corpus.dataset["train"]["imu"], embedded.dataset["train"]["imu"])

"""Nothing the user had is lost: result files are not replaced unasked, folders are built beside their target and
swapped in on success, and only folders the package wrote are ever replaced."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import datasets
import pytest

from imu_foundation.outputs import MARKER, building_folder, check_replaceable, refuse_to_overwrite, remove_results

ROOT = Path(__file__).resolve().parents[1]


def _builder(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "dataset_builders" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _user_folder(path: Path) -> Path:
    path.mkdir()
    (path / "thesis.tex").write_text("years of work")
    (path / "data").mkdir()
    (path / "data" / "recording.csv").write_text("t,x\n0,1\n")
    return path


def _snapshot(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_building_folder_swaps_in_only_on_success(tmp_path):
    target = tmp_path / "corpus"
    with building_folder(target, "test") as partial:
        (partial / "a.txt").write_text("first")
        assert not target.exists()
    assert (target / "a.txt").read_text() == "first" and (target / MARKER).is_file()
    with pytest.raises(RuntimeError), building_folder(target, "test", overwrite=True) as partial:
        (partial / "a.txt").write_text("second")
        raise RuntimeError("the build failed")
    assert (target / "a.txt").read_text() == "first"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # no partial folder left
    with building_folder(target, "test", overwrite=True) as partial:
        (partial / "a.txt").write_text("second")
    assert (target / "a.txt").read_text() == "second"


def test_a_folder_the_package_did_not_write_is_never_replaced(tmp_path):
    users = _user_folder(tmp_path / "mine")
    before = _snapshot(users)
    for overwrite in (False, True):
        with pytest.raises(FileExistsError, match="not written by imu_foundation: nothing is deleted"):
            check_replaceable(users, overwrite)
        with pytest.raises(FileExistsError), building_folder(users, "test", overwrite=overwrite):
            pass
    assert _snapshot(users) == before


def test_a_killed_build_leaves_a_partial_folder_that_the_next_build_removes(tmp_path):
    target = tmp_path / "corpus"
    stale = tmp_path / ".corpus.imu-foundation-partial-999999999"  # a process id that does not exist
    stale.mkdir()
    (stale / MARKER).write_text(json.dumps({"written_by": "imu_foundation"}))
    (stale / "half.arrow").write_bytes(b"\0" * 100)
    someone_elses = tmp_path / ".corpus.imu-foundation-partial-1"  # pid 1 is alive: not ours to remove
    someone_elses.mkdir()
    with building_folder(target, "test"):
        pass
    assert not stale.exists() and someone_elses.exists()


def test_result_files_are_refused_and_only_they_are_removed(tmp_path):
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="results.json"):
        refuse_to_overwrite(tmp_path, ["results.json", "plot.png"])
    remove_results(tmp_path, ["results.json", "plot.png"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_benchmark_builder_keeps_a_users_folder_even_with_overwrite_and_a_failing_build(tmp_path, capsys):
    cli = _builder("build_real_benchmarks")
    users = _user_folder(tmp_path / "mine")
    before = _snapshot(users)
    units = ["--sampling-rate", "50", "--acc-units", "g", "--gyro-units", "rad/s", "--gravity", "include"]
    mistyped = ["--benchmark", "csv", "--input", str(tmp_path / "typo.csv"), *units, "--output", str(users)]
    assert cli.main([*mistyped, "--overwrite"]) == 1
    assert "not written by imu_foundation" in capsys.readouterr().err
    assert _snapshot(users) == before
    assert cli.main(["--benchmark", "basic_motions", "--output", str(users), "--overwrite"]) == 1
    assert _snapshot(users) == before


def test_benchmark_builder_replaces_its_own_output_only_after_a_successful_build(tmp_path, capsys):
    cli = _builder("build_real_benchmarks")
    output = tmp_path / "bm"
    assert cli.main(["--benchmark", "basic_motions", "--output", str(output)]) == 0
    before = _snapshot(output)
    assert cli.main(["--benchmark", "basic_motions", "--output", str(output)]) == 1  # exists: refused
    failing = ["--benchmark", "csv", "--input", str(tmp_path / "typo.csv"), "--sampling-rate", "50"]
    failing += ["--acc-units", "g", "--gyro-units", "rad/s", "--gravity", "include", "--output", str(output)]
    assert cli.main([*failing, "--overwrite"]) == 2  # the CSV is missing: the old benchmark stays
    assert "typo.csv" in capsys.readouterr().err and _snapshot(output) == before
    assert cli.main(["--benchmark", "basic_motions", "--whole", "--output", str(output), "--overwrite"]) == 0
    assert sum(len(split) for split in datasets.load_from_disk(str(output)).values()) == 80


def test_corpus_builder_keeps_the_old_corpus_when_a_rebuild_fails(tmp_path, capsys):
    cli = _builder("build_synthetic_corpus")
    output = tmp_path / "corpus"
    common = ["--output", str(output), "--num-windows", "6", "--num-proc", "1", "--splits", "train=1.0"]
    assert cli.main([*common, "--sites", "left_wrist"]) == 0
    before = _snapshot(output)
    assert cli.main([*common, "--sites", "left_wirst", "--overwrite"]) == 2  # a typo in a site name
    assert "left_wirst" in capsys.readouterr().err
    assert _snapshot(output) == before and sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]

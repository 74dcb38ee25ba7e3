"""Body models: the embedded generated SMPL-format body, user files (SMPL .npz/.pkl, SMPL-H), sites and errors;
pickled files refused without an opt-in, and their one-time conversion."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import smplx
import torch
from crafted_body_models import crafted_npz, crafted_pickle, smpl_pickle
from scipy import sparse

from imu_foundation.cli import main
from imu_foundation.simulation import (
    SMPL_SENSOR_SITES,
    BodyModelFileError,
    MotionSequence,
    PickledBodyModelError,
    SensorSite,
    VirtualImu,
    check_body_model_path,
    convert_body_model,
    generate_body_model_arrays,
    load_body_model,
    sensor_trajectories,
    simulate_imu,
    write_body_model,
)
from imu_foundation.simulation.body_model import _embedded_arrays
from imu_foundation.simulation.body_model_files import pickled_content
from imu_foundation.simulation.embedded_body import EMBEDDED_BODY_FILE
from imu_foundation.simulation.skeleton import SENSOR_SITE_NAMES, SMPL_JOINT_INDEX

REQUIRED_SITES = {
    "left_wrist", "right_wrist", "left_forearm", "right_forearm", "left_thigh", "right_thigh", "left_shank",
    "right_shank", "pelvis", "chest", "head",
}  # fmt: skip


def test_shipped_body_file_is_what_the_generator_builds():
    with np.load(EMBEDDED_BODY_FILE, allow_pickle=False) as shipped:
        regenerated = generate_body_model_arrays()
        assert sorted(shipped.files) == sorted(regenerated)
        for key, value in regenerated.items():
            # Equal up to float64 rounding: trigonometry may differ in the last bit between NumPy builds.
            if np.issubdtype(value.dtype, np.floating):
                np.testing.assert_allclose(shipped[key], value, rtol=0, atol=1e-12, err_msg=key)
            else:
                np.testing.assert_array_equal(shipped[key], value, err_msg=key)


def test_embedded_body_is_an_smpl_model_with_plausible_proportions():
    body = load_body_model()
    assert isinstance(body.model, smplx.SMPL) and body.model_type == "smpl"
    assert body.num_joints == 24 and body.num_vertices == 1200
    assert REQUIRED_SITES <= set(body.sites) and set(body.sites) == set(SENSOR_SITE_NAMES)
    arrays = generate_body_model_arrays()
    np.testing.assert_allclose(arrays["weights"].sum(1), 1.0)
    np.testing.assert_allclose(arrays["J_regressor"].sum(1), 1.0)
    vertices, joints = arrays["v_template"], arrays["J"]
    stature_m = vertices[:, 1].max() - vertices[:, 1].min()
    arm_span_m = vertices[:, 0].max() - vertices[:, 0].min()
    assert 1.6 < stature_m < 1.85 and 0.95 < arm_span_m / stature_m < 1.1
    index = SMPL_JOINT_INDEX
    assert (
        joints[index["head"], 1] > joints[index["neck"], 1] > joints[index["pelvis"], 1] > joints[index["left_knee"], 1]
    )
    assert joints[index["left_wrist"], 0] > joints[index["left_elbow"], 0] > 0 > joints[index["right_elbow"], 0]
    # Each site's vertex lies on the segment of its orienting joint.
    owner = arrays["weights"].argmax(1)
    for site in body.sites.values():
        assert owner[site.vertex] == site.joint, site


def test_shape_space_changes_stature_and_moves_the_joints():
    body = load_body_model()

    def standing(betas):
        frames = 2
        motion = MotionSequence.from_tensors(torch.zeros(frames, 3), torch.zeros(frames, 23, 3), None, 30.0, betas)
        vertices, _ = body.full_mesh_forward(motion)
        return vertices[0]

    mean, tall = standing(torch.zeros(10)), standing(torch.tensor([2.0] + [0.0] * 9))
    height = lambda v: v[:, 1].max() - v[:, 1].min()  # noqa: E731
    assert height(tall) / height(mean) == pytest.approx(1.10, abs=0.01)
    wide = standing(torch.tensor([0.0, 2.0] + [0.0] * 8))
    assert (wide[:, 2].max() - wide[:, 2].min()) > (mean[:, 2].max() - mean[:, 2].min())


def test_write_body_model_never_overwrites(tmp_path):
    target = tmp_path / "body.npz"
    target.write_bytes(b"user data")
    with pytest.raises(FileExistsError, match="already exists"):
        write_body_model(target)
    assert target.read_bytes() == b"user data"
    with pytest.raises(ValueError, match=".npz"):
        write_body_model(tmp_path / "body.pkl")


@pytest.fixture(scope="module")
def smpl_sized_arrays():
    return generate_body_model_arrays(6890)


def test_generated_smpl_sized_body_keeps_its_own_sites(tmp_path, smpl_sized_arrays):
    path = write_body_model(tmp_path / "SMPL_NEUTRAL.npz", num_vertices=6890)
    body = load_body_model(path)
    assert body.num_vertices == 6890 and body.topology.startswith("imu-foundation-generated")
    assert body.site("left_wrist").vertex == int(
        smpl_sized_arrays["site_vertex_ids"][list(smpl_sized_arrays["site_names"]).index("left_wrist")]
    )
    assert body.site("left_wrist").vertex != SMPL_SENSOR_SITES["left_wrist"].vertex


def _real_topology_arrays(arrays):
    """An SMPL-layout file with SMPL's vertex count and no site table: what a real SMPL file looks like."""
    smpl_keys = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f", "J")
    return {key: arrays[key] for key in smpl_keys}


@pytest.mark.parametrize("extension", ["npz", "pkl"])
def test_real_smpl_topology_uses_the_transpose_and_dip_vertex_ids(tmp_path, smpl_sized_arrays, extension):
    arrays = _real_topology_arrays(smpl_sized_arrays)
    path = tmp_path / f"SMPL_NEUTRAL.{extension}"
    if extension == "npz":
        np.savez(path, **arrays)
    else:  # real SMPL releases are pickles; this one imitates a user's downloaded file
        smpl_pickle(path, arrays)
        with pytest.raises(PickledBodyModelError, match="SMPL_NEUTRAL.pkl holds a Python pickle"):
            load_body_model(tmp_path)
    body = load_body_model(tmp_path, trust_pickled_files=extension == "pkl")  # a folder: found by SMPL's file names
    assert body.topology == "smpl" and body.source == str(path)
    assert body.sites == SMPL_SENSOR_SITES
    assert body.site("left_wrist").vertex == 1961 and body.site("right_wrist").vertex == 5424
    assert body.site("head").vertex == 411 and body.site("pelvis").vertex == 3021
    assert body.site("left_wrist").joint == 18  # oriented by the forearm, like TransPose


def test_missing_model_file_lists_where_it_looked(tmp_path):
    with pytest.raises(BodyModelFileError) as error:
        load_body_model(tmp_path, model_type="smpl", gender="female")
    message = str(error.value)
    assert str(tmp_path / "SMPL_FEMALE.pkl") in message and "SMPL_FEMALE.npz" in message
    assert "smpl.is.tue.mpg.de" in message
    with pytest.raises(BodyModelFileError, match="does not exist"):
        load_body_model(tmp_path / "nowhere" / "SMPL_NEUTRAL.pkl")


def test_malformed_model_files_name_the_problem(tmp_path, smpl_sized_arrays):
    incomplete = tmp_path / "SMPL_NEUTRAL.npz"
    np.savez(incomplete, v_template=smpl_sized_arrays["v_template"])
    with pytest.raises(BodyModelFileError, match=r"SMPL_NEUTRAL.npz is not an SMPL body model: it lacks \['shapedirs'"):
        load_body_model(incomplete)
    garbage = tmp_path / "SMPL_MALE.pkl"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(BodyModelFileError, match="SMPL_MALE.pkl could not be read as a body model"):
        load_body_model(garbage, trust_pickled_files=True)
    empty = tmp_path / "SMPL_FEMALE.npz"
    empty.write_bytes(b"")
    with pytest.raises(BodyModelFileError, match="SMPL_FEMALE.npz is empty"):
        load_body_model(empty)
    unnamed = tmp_path / "body.npz"
    np.savez(unnamed, **_real_topology_arrays(smpl_sized_arrays))
    with pytest.raises(ValueError, match="cannot tell the model type of .*body.npz.*model_type="):
        load_body_model(unnamed)
    assert load_body_model(unnamed, model_type="smpl").num_vertices == 6890


def test_unknown_site_error_lists_the_known_sites():
    body = load_body_model()
    with pytest.raises(ValueError, match="left_wrist"):
        body.site("left_pocket")


class _NoExtraJoints(torch.nn.Module):
    def forward(self, vertices, joints):
        return joints


def _hands_model_arrays(arrays, model_type):
    """SMPL-H's layout (52 joints: SMPL's first 22, then 15 per hand) or SMPL-X's (55: jaw and eyes before the
    hands), built around the generated body so that the joint orders of both can be checked."""
    fingers = 15
    vertices = arrays["v_template"].shape[0]
    parents = list(arrays["kintree_table"][0].astype(np.int64)[:22])
    if model_type == "smplx":
        parents += [15, 15, 15]  # jaw, left eye, right eye hang from the head
    first_hand_joint = len(parents)
    for wrist in (20, 21):  # 5 fingers x 3 joints, each finger a chain from the wrist
        base = len(parents)
        for finger in range(5):
            parents += [wrist, base + 3 * finger, base + 3 * finger + 1]
    num_joints = len(parents)
    parents[0] = 2**32 - 1
    weights = np.zeros((vertices, num_joints))
    weights[:, :22] = arrays["weights"][:, :22]
    weights[:, first_hand_joint + 4] += arrays["weights"][:, 22]  # SMPL's left hand -> left middle finger root
    weights[:, first_hand_joint + fingers + 4] += arrays["weights"][:, 23]
    hand_vertices = {side: np.flatnonzero(arrays["weights"][:, 22 + side] > 0.99) for side in (0, 1)}
    J_regressor = np.zeros((num_joints, vertices))
    J_regressor[:22] = arrays["J_regressor"][:22]
    J_regressor[22:first_hand_joint] = arrays["J_regressor"][15]  # face joints at the head joint
    for side in (0, 1):
        for k in range(fingers):
            J_regressor[first_hand_joint + side * fingers + k, hand_vertices[side][k]] = 1.0
    model = {
        "v_template": arrays["v_template"],
        "shapedirs": arrays["shapedirs"],
        "posedirs": np.zeros((vertices, 3, (num_joints - 1) * 9)),
        "J_regressor": J_regressor,
        "weights": weights,
        "kintree_table": np.array([parents, range(num_joints)], dtype=np.int64),
        "f": arrays["f"],
        "hands_componentsl": np.eye(45),
        "hands_componentsr": np.eye(45),
        "hands_meanl": np.full(45, 0.1),
        "hands_meanr": np.full(45, -0.1),
    }
    if model_type == "smplx":  # 10 shape + 10 expression directions, and face landmarks on the mesh
        model["shapedirs"] = np.concatenate([arrays["shapedirs"], 0.01 * arrays["shapedirs"]], axis=-1)
        model["lmk_faces_idx"] = np.arange(51)
        model["lmk_bary_coords"] = np.full((51, 3), 1 / 3)
    return model, first_hand_joint


@pytest.mark.parametrize(
    ("model_type", "model_class", "num_joints"), [("smplh", smplx.SMPLH, 52), ("smplx", smplx.SMPLX, 55)]
)
def test_hand_models_sensor_vertices_match_their_full_forward_pass(
    tmp_path, smpl_sized_arrays, model_type, model_class, num_joints
):
    arrays, first_hand_joint = _hands_model_arrays(smpl_sized_arrays, model_type)
    path = tmp_path / f"{model_type.upper()}_NEUTRAL.npz"
    np.savez(path, **arrays)
    body = load_body_model(path)
    assert body.model_type == model_type and isinstance(body.model, model_class)
    assert body.num_joints == num_joints
    generator = torch.Generator().manual_seed(0)
    frames = 90
    t = torch.arange(frames, dtype=torch.float64)[:, None] / 30.0
    body_pose = (0.4 * torch.randn(63, generator=generator, dtype=torch.float64) * torch.sin(3 * t)).reshape(-1, 21, 3)
    hands = (0.5 * torch.randn(90, generator=generator, dtype=torch.float64) * torch.sin(5 * t)).reshape(-1, 30, 3)
    motion = MotionSequence.from_tensors(0.3 * torch.sin(t).expand(-1, 3), body_pose, None, 30.0, hand_pose=hands)
    left_hand_vertex = int(np.flatnonzero(smpl_sized_arrays["weights"][:, 22] > 0.99)[20])
    finger = SensorSite("left_fingers", left_hand_vertex, first_hand_joint + 4)
    sites = ["left_wrist", "right_wrist", "head", finger]
    fast = simulate_imu(motion, body, sites, dtype=torch.float64)
    full = simulate_imu(motion, body, sites, method="full_mesh", dtype=torch.float64)
    torch.testing.assert_close(fast.acc, full.acc, atol=1e-5, rtol=0)
    torch.testing.assert_close(fast.gyro, full.gyro, atol=1e-5, rtol=0)
    # smplx's own forward pass (its joint order) puts the finger vertex where the simulator's skinning does.
    body.model.vertex_joint_selector = _NoExtraJoints()  # its extra joints index SMPL-X-sized meshes
    zeros = torch.zeros(frames, 3, dtype=torch.float64)
    kwargs = {"left_hand_pose": hands[:, :15].reshape(frames, -1), "right_hand_pose": hands[:, 15:].reshape(frames, -1)}
    if model_type == "smplx":
        kwargs |= {"jaw_pose": zeros, "leye_pose": zeros, "reye_pose": zeros}
        kwargs["expression"] = torch.zeros(frames, 10, dtype=torch.float64)
    smplx_vertices = body.model(
        global_orient=motion.global_orient,
        body_pose=body_pose.reshape(frames, -1),
        betas=torch.zeros(frames, 10, dtype=torch.float64),
        transl=zeros,
        **kwargs,
    ).vertices
    p_world_m, _ = sensor_trajectories(motion, body, [VirtualImu(finger)])
    torch.testing.assert_close(p_world_m[:, 0], smplx_vertices[:, left_hand_vertex], atol=1e-6, rtol=0)
    # The finger sensor turns with the left hand's pose, and only with it.
    still_hands = MotionSequence.from_tensors(motion.global_orient, body_pose, None, 30.0, hand_pose=hands * 0)
    still = simulate_imu(still_hands, body, sites, dtype=torch.float64)
    assert (fast.gyro[:, 3] - still.gyro[:, 3]).abs().max() > 1.0
    torch.testing.assert_close(fast.gyro[:, :3], still.gyro[:, :3])


# ------------------------------------------------------------------------------------------------------------------
# Pickled files: refused unless trusted, never run while inspected; the one-time conversion
# ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["pkl", "npz"])
def test_crafted_pickled_files_are_refused_and_never_run(tmp_path, kind):
    marker = tmp_path / "code_ran"
    models = tmp_path / "models"
    models.mkdir()
    if kind == "pkl":
        path = crafted_pickle(models / "SMPL_NEUTRAL.pkl", marker)
        what = "a Python pickle"
    else:
        path = crafted_npz(models / "SMPL_NEUTRAL.npz", marker, generate_body_model_arrays())
        what = "object arrays ['bs_style'] (NumPy stores object arrays pickled)"
    assert pickled_content(path) == what
    for attempt in (path, models):  # the file, and the folder that holds it under SMPL's name
        with pytest.raises(PickledBodyModelError) as error:
            load_body_model(attempt)
        message = str(error.value)
        assert f"{path} holds {what}" in message and "unpickling runs any code" in message
        assert f"imu-foundation convert-body-model {path}" in message and "trust_pickled_files=True" in message
        assert "\n" not in message
        with pytest.raises(PickledBodyModelError):
            check_body_model_path(attempt)
    with pytest.raises(PickledBodyModelError):
        convert_body_model(path, tmp_path / "converted.npz")
    assert not marker.exists() and not (tmp_path / "converted.npz").exists()
    # The payload is live: opting in does run it (the .pkl then lacks SMPL's arrays; the .npz loads).
    if kind == "pkl":
        with pytest.raises(BodyModelFileError, match="lacks"):
            load_body_model(path, trust_pickled_files=True)
    else:
        assert load_body_model(path, trust_pickled_files=True).num_vertices == 1200
    assert marker.exists()


def test_nothing_on_the_default_path_unpickles(tmp_path, monkeypatch, smpl_sized_arrays):
    """The embedded body and plain .npz files of every model type load with pickle disabled."""
    plain = {"smpl": _real_topology_arrays(smpl_sized_arrays)}
    for model_type in ("smplh", "smplx"):
        plain[model_type] = _hands_model_arrays(smpl_sized_arrays, model_type)[0]
    for model_type, arrays in plain.items():
        np.savez(tmp_path / f"{model_type.upper()}_NEUTRAL.npz", **arrays)

    def forbidden(*args, **kwargs):
        raise AssertionError("a body-model load unpickled something")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    _embedded_arrays.cache_clear()
    assert load_body_model().num_vertices == 1200
    for model_type in plain:
        assert load_body_model(tmp_path, model_type=model_type).model_type == model_type


def _smplx_forward(model: torch.nn.Module, model_type: str) -> tuple[torch.Tensor, torch.Tensor]:
    """smplx's own forward pass (vertices, joints) of a seeded pose and shape."""
    generator = torch.Generator().manual_seed(1)
    frames = 4
    randn = lambda *shape: 0.3 * torch.randn(*shape, generator=generator, dtype=torch.float64)  # noqa: E731
    kwargs = {"betas": randn(frames, 10), "global_orient": randn(frames, 3), "transl": randn(frames, 3)}
    kwargs["body_pose"] = randn(frames, 69 if model_type == "smpl" else 63)
    if model_type != "smpl":
        kwargs |= {"left_hand_pose": randn(frames, 45), "right_hand_pose": randn(frames, 45)}
    if model_type == "smplx":
        kwargs |= {"jaw_pose": randn(frames, 3), "leye_pose": randn(frames, 3), "reye_pose": randn(frames, 3)}
        kwargs["expression"] = randn(frames, 10)
    model.vertex_joint_selector = _NoExtraJoints()  # smplx's extra joints index meshes of the real sizes
    output = model(**kwargs)
    return output.vertices, output.joints


def _downloaded_model_file(tmp_path, arrays, model_type):
    """A file in the layout of the official download: SMPL's pickle with a sparse joint regressor and Python
    objects beside the arrays, or an SMPL+H / SMPL-X .npz with object arrays."""
    if model_type == "smpl":
        objects = {"J_regressor": sparse.csc_matrix(arrays["J_regressor"]), "bs_style": "lbs", "bs_type": "lrotmin"}
        return smpl_pickle(tmp_path / "SMPL_FEMALE.pkl", arrays | objects | {"pose_training_info": {"n": 1}})
    path = tmp_path / f"{model_type.upper()}_FEMALE.npz"
    np.savez(path, **arrays, joint2num=np.array({"pelvis": 0}, dtype=object), bs_style=np.array("lbs", dtype=object))
    return path


@pytest.mark.parametrize("model_type", ["smpl", "smplh", "smplx"])
def test_converted_file_loads_without_opt_in_and_matches_the_original(
    tmp_path, monkeypatch, smpl_sized_arrays, model_type
):
    if model_type == "smpl":
        arrays = _real_topology_arrays(smpl_sized_arrays)
    else:
        arrays = _hands_model_arrays(smpl_sized_arrays, model_type)[0]
    original = _downloaded_model_file(tmp_path, arrays, model_type)
    assert pickled_content(original) is not None
    converted = convert_body_model(original, tmp_path / "plain" / "converted.npz", trust_pickled_files=True)
    assert pickled_content(converted) is None
    with np.load(converted, allow_pickle=False) as stored:
        assert (str(stored["model_type"]), str(stored["gender"])) == (model_type, "female")
        assert not {"joint2num", "bs_style", "bs_type", "pose_training_info"} & set(stored.files)
        np.testing.assert_array_equal(stored["J_regressor"], arrays["J_regressor"])
    # smplx reads the downloaded file itself (this test trusts its own file) ...
    classes = {"smpl": smplx.SMPL, "smplh": smplx.SMPLH, "smplx": smplx.SMPLX}
    options = {} if model_type == "smpl" else {"ext": "npz", "use_pca": False, "flat_hand_mean": True}
    reference = classes[model_type](model_path=str(original), gender="female", dtype=torch.float64, **options)
    # ... and the converted file, which names no model type, loads with pickle disabled and gives the same outputs.
    monkeypatch.setattr(pickle, "load", lambda *args, **kwargs: pytest.fail("the converted file was unpickled"))
    body = load_body_model(converted)
    assert body.model_type == model_type and body.source == str(converted)
    for got, expected in zip(_smplx_forward(body.model, model_type), _smplx_forward(reference, model_type)):
        torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_conversion_errors_and_model_type_records(tmp_path, smpl_sized_arrays):
    arrays = _real_topology_arrays(smpl_sized_arrays)
    source = smpl_pickle(tmp_path / "downloaded.pkl", arrays)
    with pytest.raises(ValueError, match="cannot tell the model type"):
        convert_body_model(source, tmp_path / "a.npz", trust_pickled_files=True)
    with pytest.raises(ValueError, match="cannot tell the gender"):
        convert_body_model(source, tmp_path / "a.npz", model_type="smpl", trust_pickled_files=True)
    with pytest.raises(ValueError, match=".npz"):
        convert_body_model(source, tmp_path / "a.pkl", "smpl", "male", trust_pickled_files=True)
    target = convert_body_model(source, tmp_path / "a.npz", "smpl", "male", trust_pickled_files=True)
    with pytest.raises(FileExistsError, match="already exists"):
        convert_body_model(source, target, "smpl", "male", trust_pickled_files=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial file left behind
    assert load_body_model(target).model_type == "smpl"  # recorded in the file, not in its name
    with pytest.raises(ValueError, match="is a smpl model .recorded in the file., not 'smplx'"):
        load_body_model(target, model_type="smplx")


def test_convert_body_model_command(tmp_path, capsys, smpl_sized_arrays):
    source = smpl_pickle(tmp_path / "SMPL_NEUTRAL.pkl", _real_topology_arrays(smpl_sized_arrays))
    target = tmp_path / "plain" / "SMPL_NEUTRAL.npz"
    assert main(["convert-body-model", str(source), str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().out
    body = load_body_model(tmp_path / "plain")
    assert body.num_vertices == 6890 and body.source == str(target)
    assert main(["convert-body-model", str(source), str(target)]) == 1  # a refusal to overwrite
    error = capsys.readouterr().err
    assert "already exists" in error and error.count("\n") == 1

"""Body models: smplx's SMPL, SMPL-H and SMPL-X loaded from the user's files, or the embedded generated body.

``load_body_model()`` with no path gives the embedded default (see :mod:`.embedded_body`); with a path it loads
licensed SMPL-family files the user downloaded from the MPI sites, e.g.::

    load_body_model("~/models/smpl")                       # folder with SMPL_NEUTRAL.npz (or .pkl)
    load_body_model("~/models/smplx/SMPLX_MALE.npz", gender="male")
    load_body_model("~/amass/body_models/smplh", model_type="smplh", gender="female")  # AMASS layout: female/model.npz

Those downloads are pickles, and unpickling runs code from the file: they load only with
``trust_pickled_files=True``, or after a one-time :func:`convert_body_model` to a pickle-free ``.npz`` (see
:mod:`.body_model_files`). Whatever the file, smplx is handed checked plain arrays, never the file itself.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import smplx
import torch
from smplx.lbs import batch_rigid_transform, lbs
from smplx.utils import Struct
from torch import Tensor

from .body_model_files import (
    GENDERS,
    MODEL_NAMES,
    BodyModelFileError,
    ModelType,
    find_model_file,
    plain_body_model_arrays,
    read_body_model_arrays,
    recorded_text,
    resolve_model_type,
)
from .embedded_body import COARSE_NUM_VERTICES, EMBEDDED_BODY_FILE, generate_body_model_arrays
from .motion import MotionSequence
from .rotations import axis_angle_to_matrix
from .skeleton import NUM_SMPL_VERTICES, SMPL_SENSOR_SITES, SensorSite

NUM_SMPLX_VERTICES = 10475
# SMPL-X vertices of body-worn sensors (the Xsens MVN placement on the SMPL-X mesh). The arm and thigh sites of the
# SMPL table have no published SMPL-X counterpart; use a custom SensorSite for them.
SMPLX_SENSOR_SITES: dict[str, SensorSite] = {
    site.name: site
    for site in (
        SensorSite("left_wrist", 4617, 18),
        SensorSite("right_wrist", 7348, 19),
        SensorSite("left_shank", 3811, 4),
        SensorSite("right_shank", 6568, 5),
        SensorSite("left_ankle", 5894, 7),
        SensorSite("right_ankle", 8588, 8),
        SensorSite("pelvis", 5493, 0),
        SensorSite("chest", 5528, 9),
        SensorSite("head", 8942, 15),
    )
}


@dataclass
class BodyModel:
    """An smplx body model plus the named sensor sites on its mesh.

    Attributes:
        model: the smplx module (``smplx.SMPL``, ``SMPLH`` or ``SMPLX``), float64.
        model_type: ``"smpl"``, ``"smplh"`` or ``"smplx"``.
        sites: named sensor sites on this mesh (vertex id and orienting joint).
        source: the file it was loaded from, or ``"embedded"``.
        topology: ``"smpl"`` for the real SMPL / SMPL-H mesh, ``"smplx"`` for SMPL-X, or the generated body's tag.
    """

    model: torch.nn.Module
    model_type: ModelType
    sites: dict[str, SensorSite]
    source: str
    topology: str

    @property
    def num_vertices(self) -> int:
        return int(self.model.v_template.shape[0])

    @property
    def num_joints(self) -> int:
        return int(self.model.J_regressor.shape[0])

    @property
    def parents(self) -> Tensor:
        """``(J,)`` parent of each joint, ``-1`` for the root."""
        parents = self.model.parents.clone()
        parents[0] = -1
        return parents

    @property
    def dtype(self) -> torch.dtype:
        return self.model.v_template.dtype

    def site(self, name: str) -> SensorSite:
        """The named sensor site on this mesh; a clear error lists the known ones."""
        if name not in self.sites:
            raise ValueError(
                f"no sensor site {name!r} on this {self.topology} body (from {self.source}); known sites: "
                f"{sorted(self.sites)}. Pass a SensorSite(name, vertex, joint) to place a sensor anywhere."
            )
        return self.sites[name]

    # ------------------------------------------------------------------ pose and shape inputs

    def full_pose(self, motion: MotionSequence) -> Tensor:
        """``(T, J, 3)`` axis-angle of every joint of this model, in smplx's order, including its pose mean."""
        frames = motion.num_frames
        if self.model_type == "smpl":
            pose = motion.full_pose()
        else:
            hands = (
                motion.hand_pose if motion.hand_pose is not None else torch.zeros(frames, 30, 3, dtype=torch.float64)
            )
            face = [torch.zeros(frames, 3, 3, dtype=torch.float64)] if self.model_type == "smplx" else []
            pose = torch.cat([motion.global_orient[:, None], motion.body_pose[:, :21], *face, hands], dim=1)
        pose = pose.to(self.dtype)
        if hasattr(self.model, "pose_mean"):
            pose = pose + self.model.pose_mean.reshape(1, -1, 3)
        return pose

    def shape_components(self, betas: Tensor) -> tuple[Tensor, Tensor]:
        """``(1, K)`` shape coefficients and ``(V, 3, K)`` shape directions (SMPL-X adds a neutral expression)."""
        num_betas = self.model.shapedirs.shape[-1]
        coefficients = torch.zeros(1, num_betas, dtype=self.dtype)
        used = min(num_betas, betas.numel())
        coefficients[0, :used] = betas.reshape(-1)[:used].to(self.dtype)
        return coefficients, self.model.shapedirs

    # ------------------------------------------------------------------ the full smplx forward pass

    @torch.no_grad()
    def full_mesh_forward(
        self, motion: MotionSequence, vertex_ids: list[int] | None = None, chunk_frames: int = 1024
    ) -> tuple[Tensor, Tensor]:
        """Poses the whole mesh with smplx's linear blend skinning (``smplx.lbs.lbs``), chunk by chunk.

        This is the computation inside smplx's ``forward`` (shape blend shapes, joint regression, pose blend
        shapes, the kinematic chain, skinning of every vertex), fed rotation matrices from the package's exact
        Rodrigues formula: smplx's own axis-angle conversion adds 1e-8 to every rotation vector, an error that
        finite differences amplify wherever an axis-angle sequence wraps around pi.

        Args:
            motion: the pose sequence.
            vertex_ids: vertices to return (every chunk poses the whole mesh); all of them when None, which holds
                ``T * V * 3`` float64 values (16 GB for 100,000 frames of SMPL), so pass the ones you need.
            chunk_frames: frames posed at once.
        Returns:
            ``(T, V', 3)`` vertex positions (m, world) and ``(T, J, 3, 3)`` global joint rotations
            ``R_world_from_joint``.
        """
        full_pose = self.full_pose(motion)
        betas, shapedirs = self.shape_components(motion.betas)
        rest_joints = self.model.J_regressor @ (self.model.v_template + shapedirs @ betas[0])  # (J, 3)
        vertices, rotations = [], []
        for start in range(0, motion.num_frames, chunk_frames):
            rot_mats = axis_angle_to_matrix(full_pose[start : start + chunk_frames])  # (t, J, 3, 3)
            frames = rot_mats.shape[0]
            posed, _ = lbs(
                betas.expand(frames, -1),
                rot_mats,
                self.model.v_template,
                shapedirs,
                self.model.posedirs,
                self.model.J_regressor,
                self.model.parents,
                self.model.lbs_weights,
                pose2rot=False,
            )
            if vertex_ids is not None:
                posed = posed[:, vertex_ids]
            vertices.append(posed + motion.transl[start : start + chunk_frames, None].to(self.dtype))
            _, relative = batch_rigid_transform(
                rot_mats, rest_joints.expand(frames, -1, -1), self.model.parents, dtype=self.dtype
            )
            rotations.append(relative[..., :3, :3])
        return torch.cat(vertices), torch.cat(rotations)


# ---------------------------------------------------------------------- loading


def load_body_model(
    path: str | Path | None = None,
    model_type: ModelType | None = None,
    gender: str = "neutral",
    num_betas: int = 10,
    num_vertices: int | None = None,
    *,
    trust_pickled_files: bool = False,
) -> BodyModel:
    """Loads a body model for IMU simulation (float64, so that finite-difference accelerations stay exact).

    Args:
        path: ``None`` for the embedded generated body; otherwise a model file (``.npz`` / ``.pkl``) or a folder
            holding the usual SMPL-family file names (``SMPL_NEUTRAL.npz``, ``SMPLH_MALE.pkl``,
            ``SMPLX_FEMALE.npz``, AMASS's ``smplh/<gender>/model.npz``, ...; an ``.npz`` before a ``.pkl``).
        model_type: ``"smpl"``, ``"smplh"`` or ``"smplx"``; when ``None``, the type a converted file records, or
            the one its name tells.
        gender: ``"neutral"``, ``"male"`` or ``"female"``, used to pick the file in a folder.
        num_betas: shape coefficients to use (at most what the file has).
        num_vertices: embedded body only: mesh size (default 1,200; 6,890 builds SMPL's size for benchmarks).
        trust_pickled_files: allow a pickled model file (SMPL's ``.pkl``, an ``.npz`` with object arrays).
            Unpickling runs any code the file contains, so by default such a file is refused; pass True only for
            files from a source you trust, or convert them once with :func:`convert_body_model`. The embedded body
            and converted files never need it.
    Raises:
        PickledBodyModelError: the file holds pickled objects and ``trust_pickled_files`` is False (the message
            says how to convert it).
        BodyModelFileError: the file is missing (the message lists every path looked at) or is not a body model.
    """
    if path is None:
        return _embedded_body_model(num_vertices or COARSE_NUM_VERTICES)
    if num_vertices is not None:
        raise ValueError("num_vertices only applies to the embedded body; a model file fixes its own mesh.")
    if gender not in GENDERS:
        raise ValueError(f"gender must be 'neutral', 'male' or 'female', got {gender!r}.")
    file, named_type = find_model_file(Path(path).expanduser(), model_type, gender)
    raw = read_body_model_arrays(file, trust_pickled_files)
    model_type = resolve_model_type(file, model_type, raw, named_type)
    arrays = plain_body_model_arrays(raw, model_type, file)
    if model_type == "smpl":
        model = _smpl_from_arrays(arrays, num_betas, file)
    else:
        model = _hands_model_from_arrays(arrays, model_type, recorded_text(arrays, "gender") or gender, num_betas, file)
    vertices = int(model.v_template.shape[0])
    sites = _sites_from_arrays(arrays) or _sites_for_topology(vertices)
    topology = recorded_text(arrays, "topology") or _topology_name(vertices)
    return BodyModel(model, model_type, sites, str(file), topology)


@lru_cache(maxsize=4)
def _embedded_arrays(num_vertices: int) -> tuple[dict[str, np.ndarray], str]:
    if num_vertices == COARSE_NUM_VERTICES and EMBEDDED_BODY_FILE.is_file():
        return read_body_model_arrays(EMBEDDED_BODY_FILE), f"embedded ({EMBEDDED_BODY_FILE.name})"
    return generate_body_model_arrays(num_vertices), f"embedded (generated, {num_vertices} vertices)"


def _embedded_body_model(num_vertices: int) -> BodyModel:
    """A fresh model each call (callers may modify its buffers); the arrays behind it are cached."""
    arrays, source = _embedded_arrays(num_vertices)
    model = _smpl_from_arrays(arrays, 10, EMBEDDED_BODY_FILE)
    return BodyModel(model, "smpl", _sites_from_arrays(arrays), source, str(arrays["topology"]))


def _smpl_from_arrays(arrays: dict[str, np.ndarray], num_betas: int, file: Path) -> torch.nn.Module:
    vertices = arrays["v_template"].shape[0]
    if arrays["shapedirs"].shape[:2] != (vertices, 3) or arrays["weights"].shape[0] != vertices:
        raise BodyModelFileError(
            f"{file}: inconsistent arrays: v_template {arrays['v_template'].shape}, shapedirs "
            f"{arrays['shapedirs'].shape}, weights {arrays['weights'].shape}."
        )
    keypoints = None
    if "keypoint_names" in arrays:
        keypoints = dict(zip(arrays["keypoint_names"].tolist(), arrays["keypoint_vertex_ids"].tolist()))
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a warning for 10-coefficient shape spaces
            model = smplx.SMPL(
                model_path=str(file),
                data_struct=Struct(**arrays),
                num_betas=num_betas,
                vertex_ids=keypoints,
                dtype=torch.float64,
            )
    except Exception as error:  # noqa: BLE001 - any malformed array is reported with the file named
        raise BodyModelFileError(f"{file} could not be read as an SMPL model: {error!r}") from error
    return model.requires_grad_(False)


def _hands_model_from_arrays(
    arrays: dict[str, np.ndarray], model_type: ModelType, gender: str, num_betas: int, file: Path
) -> torch.nn.Module:
    """smplx's SMPLH or SMPLX from checked plain arrays; hands as full axis-angle with a flat mean, as in AMASS."""
    options = {"gender": gender, "num_betas": num_betas, "use_pca": False, "flat_hand_mean": True}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if model_type == "smplh":
                model = smplx.SMPLH(model_path=str(file), data_struct=Struct(**arrays), dtype=torch.float64, **options)
            else:
                # smplx.SMPLX takes no arrays, only a file that it opens with np.load(allow_pickle=True). It gets a
                # private copy of the arrays checked here, never the user's file (which could change in between).
                with tempfile.TemporaryDirectory(prefix="imu-foundation-smplx-") as folder:
                    copy = Path(folder) / "SMPLX_MODEL.npz"
                    np.savez(copy, **arrays)
                    model = smplx.SMPLX(model_path=str(copy), ext="npz", dtype=torch.float64, **options)
    except Exception as error:  # noqa: BLE001 - any malformed array is reported with the file named
        raise BodyModelFileError(
            f"{file} could not be read as an {MODEL_NAMES[model_type]} model: {error!r}"
        ) from error
    return model.requires_grad_(False)


def _sites_from_arrays(arrays: dict[str, np.ndarray]) -> dict[str, SensorSite]:
    if "site_names" not in arrays:
        return {}
    rows = zip(arrays["site_names"].tolist(), arrays["site_vertex_ids"].tolist(), arrays["site_joint_ids"].tolist())
    return {name: SensorSite(name, int(vertex), int(joint)) for name, vertex, joint in rows}


def _sites_for_topology(num_vertices: int) -> dict[str, SensorSite]:
    """The published sensor vertices for the real SMPL / SMPL-H (6,890) or SMPL-X (10,475) meshes, else none."""
    return {NUM_SMPL_VERTICES: SMPL_SENSOR_SITES, NUM_SMPLX_VERTICES: SMPLX_SENSOR_SITES}.get(num_vertices, {})


def _topology_name(num_vertices: int) -> str:
    return {NUM_SMPL_VERTICES: "smpl", NUM_SMPLX_VERTICES: "smplx"}.get(num_vertices, f"unknown-{num_vertices}")

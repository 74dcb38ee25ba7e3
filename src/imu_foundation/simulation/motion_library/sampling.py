"""Generating motions: seeded parameter draws, the generator call, mirroring and heading, captions and metadata."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..motion import MotionSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_y
from .context import GeneratorContext
from .curves import DTYPE, cumulative, smooth_noise
from .pose_builder import DEG, MIRROR_PAIRS, J, PoseBuilder, mirror_rotation
from .registry import ActivitySpec, get_activity, list_activities

_MAX_DURATION_S = 600.0
_BETAS = 10
_CAPTIONS_PER_MOTION = 3
_OVERRIDABLE = ("cycle_hz", "amplitude", "heading_rad", "phase_rad", "betas", "posture", "variability", "sway")


def generate_motion(
    activity: str,
    seed: int,
    *,
    duration_s: float | None = None,
    fps: float = 60.0,
    handedness: str | None = None,
    **overrides: Any,
) -> MotionSequence:
    """One generated, captioned SMPL motion of ``activity``.

    Args:
        activity: a name from :func:`list_activities`.
        seed: random seed; with the other arguments it fixes the result bit for bit.
        duration_s: length (s); random in the activity's range when ``None``.
        fps: frame rate (Hz).
        handedness: ``"left"`` or ``"right"``: the hand doing a one-handed activity (other activities are
            mirrored, which changes e.g. which fist leads); random when ``None``.
        **overrides: fix any randomised parameter: ``cycle_hz`` (Hz), ``amplitude`` (factor), ``heading_rad``,
            ``phase_rad`` (cycle phase at the first frame), ``betas`` (10 values), ``posture``, ``variability``
            (scale of the per-repetition variation of speed and amplitude, default 1, 0 = perfectly periodic),
            ``sway`` (scale of the natural postural noise, default 1), or an activity parameter (see
            ``ACTIVITIES[activity].params``).

    Returns:
        The :class:`MotionSequence` (float64, y up), with ``captions``, ``activity``, ``sequence_id`` and every
        chosen parameter in ``metadata``.
    """
    spec = get_activity(activity)
    _check_arguments(spec, duration_s, fps, handedness, overrides)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(activity.encode())])
    # Draw every default in a fixed order, then apply the overrides, so fixing one parameter leaves the others.
    drawn: dict[str, Any] = {
        "cycle_hz": rng.uniform(*spec.cycle_hz),
        "amplitude": rng.uniform(*spec.amplitude),
        "duration_s": rng.uniform(*spec.duration_s),
        "handedness": "left" if rng.random() < 0.5 else "right",
        "heading_rad": rng.uniform(-math.pi, math.pi),
        "phase_rad": rng.uniform(0, 2 * math.pi),
        "betas": np.clip(rng.standard_normal(_BETAS), -2.0, 2.0),
        "posture": spec.postures[int(rng.integers(len(spec.postures)))],
        "variability": 1.0,
        "sway": 1.0,
    }
    params = {name: _draw(rng, choice) for name, choice in spec.params.items()}
    drawn.update({k: v for k, v in overrides.items() if k in drawn})
    params.update({k: v for k, v in overrides.items() if k in spec.params})
    if duration_s is not None:
        drawn["duration_s"] = duration_s
    if handedness is not None:
        drawn["handedness"] = handedness
    betas = np.asarray(drawn["betas"], dtype=np.float64).reshape(-1)
    frames = max(2, round(float(drawn["duration_s"]) * fps))
    ctx = _context(spec, rng, frames, fps, drawn, params)
    body = PoseBuilder(frames)
    spec.generator(body, ctx)
    _add_sway(body, ctx, float(drawn["sway"]))
    global_orient, body_pose, transl = _finish(body, ctx, drawn["handedness"] == "left", float(drawn["heading_rad"]))
    metadata = _metadata(spec, seed, fps, frames, drawn, betas, ctx)
    return MotionSequence(
        global_orient=global_orient,
        body_pose=body_pose,
        transl=transl,
        fps=float(fps),
        betas=torch.from_numpy(betas.copy()),
        captions=_captions(spec, rng, drawn, ctx),
        activity=activity,
        sequence_id=f"{activity}-{seed}",
        metadata=metadata,
    )


def sample_motions(
    num: int, seed: int, activities: Sequence[str] | None = None, **kwargs: Any
) -> Iterator[MotionSequence]:
    """``num`` motions cycling through ``activities`` (all when ``None``) in seeded random order.

    Each pass over the activities is a fresh shuffle, so any ``num`` is balanced to within one per activity. The
    per-motion seeds are drawn from ``seed``; ``kwargs`` go to :func:`generate_motion`.
    """
    names = list(activities) if activities is not None else list_activities()
    if not names:
        raise ValueError("activities must name at least one activity")
    for name in names:
        get_activity(name)
    if num < 0:
        raise ValueError(f"num must be >= 0, got {num}")
    rng = np.random.default_rng(int(seed) & 0xFFFFFFFF)
    order: list[str] = []
    for _ in range(num):
        if not order:
            order = [names[i] for i in rng.permutation(len(names))]
        yield generate_motion(order.pop(0), int(rng.integers(0, 2**31 - 1)), **kwargs)


def _check_arguments(
    spec: ActivitySpec, duration_s: float | None, fps: float, handedness: str | None, overrides: dict[str, Any]
) -> None:
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive frame rate in Hz, got {fps!r}.")
    if duration_s is not None and not (math.isfinite(duration_s) and 0 < duration_s <= _MAX_DURATION_S):
        raise ValueError(f"duration_s must be in (0, {_MAX_DURATION_S:g}] seconds, got {duration_s!r}.")
    if handedness is not None and handedness not in ("left", "right"):
        raise ValueError(f"handedness must be 'left', 'right' or None, got {handedness!r}.")
    unknown = sorted(set(overrides) - set(_OVERRIDABLE) - set(spec.params))
    if unknown:
        allowed = sorted(set(_OVERRIDABLE) | set(spec.params))
        raise ValueError(f"Unknown parameters {unknown} for activity {spec.name!r}; allowed: {allowed}.")
    for name in ("cycle_hz", "amplitude"):
        value = overrides.get(name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive, got {value!r}.")
    if "posture" in overrides and overrides["posture"] not in spec.postures:
        raise ValueError(f"posture for {spec.name!r} must be one of {spec.postures}, got {overrides['posture']!r}.")
    if "betas" in overrides and np.asarray(overrides["betas"]).ndim != 1:
        raise ValueError("betas must be a 1-D list of shape coefficients.")


def _draw(rng: np.random.Generator, choice: tuple[float, float] | tuple[str, ...]) -> Any:
    if all(isinstance(c, str) for c in choice):
        return choice[int(rng.integers(len(choice)))]
    return float(rng.uniform(*choice))


def _context(
    spec: ActivitySpec, rng: np.random.Generator, frames: int, fps: float, drawn: dict[str, Any], params: dict
) -> GeneratorContext:
    """Time, phase and amplitude tracks with slow per-repetition variation."""
    t = torch.arange(frames, dtype=DTYPE) / fps
    cycle_hz, amplitude, variability = float(drawn["cycle_hz"]), float(drawn["amplitude"]), float(drawn["variability"])
    # Cadence and amplitude drift over a few cycles (not within one), like a person's repetitions do.
    slow = min(0.25, cycle_hz / 3)
    freq = cycle_hz * (1 + 0.04 * variability * smooth_noise(rng, t, 1, max_hz=slow, min_hz=slow / 5)[:, 0])
    amp = amplitude * (1 + 0.06 * variability * smooth_noise(rng, t, 1, max_hz=slow, min_hz=slow / 5)[:, 0])
    phase = float(drawn["phase_rad"]) + 2 * math.pi * cumulative(freq, fps)
    ctx = GeneratorContext(t, float(fps), cycle_hz, amplitude, phase, freq, amp, rng, str(drawn["posture"]))
    ctx.record(**params)
    return ctx


def _add_sway(body: PoseBuilder, ctx: GeneratorContext, scale: float) -> None:
    """Low-frequency natural variability on top of the activity: trunk, head and arm joints, root position."""
    if scale == 0:
        return
    joints_deg = {"spine1": 0.8, "spine2": 0.8, "spine3": 0.8, "neck": 1.5, "head": 2.0, "left_collar": 1.0,
                  "right_collar": 1.0, "left_shoulder": 2.0, "right_shoulder": 2.0, "left_elbow": 2.0,
                  "right_elbow": 2.0, "left_wrist": 4.0, "right_wrist": 4.0}  # fmt: skip
    for name, deg in joints_deg.items():
        wobble = scale * deg * DEG * ctx.noise(3, max_hz=0.6, min_hz=0.05)
        body.compose(J[name], axis_angle_to_matrix(wobble))
    body.offset = body.offset + scale * 0.003 * ctx.noise(3, max_hz=0.4, min_hz=0.05)


def _finish(
    body: PoseBuilder, ctx: GeneratorContext, mirror: bool, heading_rad: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Mirrors (left-handed), turns to the heading, integrates travel; returns orient, body pose, transl."""
    rot, offset, wander = body.rot, body.offset.clone(), body.yaw_wander
    if mirror:
        rot = mirror_rotation(rot)
        for left, right in MIRROR_PAIRS:
            rot[:, [left, right]] = rot[:, [right, left]]
        offset[:, 0] = -offset[:, 0]
        wander = -wander
    heading = rotation_y(heading_rad + wander)  # (T, 3, 3)
    root = heading @ rot[:, 0]
    forward = heading[:, :, 2] * body.speed[:, None]  # velocity along the current heading
    transl = (heading @ offset[:, :, None])[:, :, 0] + cumulative(forward, ctx.fps)
    transl[:, 1] += body.climb
    full = matrix_to_axis_angle(torch.cat([root[:, None], rot[:, 1:]], dim=1))
    return full[:, 0], full[:, 1:], transl


def _speed_word(spec: ActivitySpec, cycle_hz: float) -> tuple[str, str]:
    low, high = spec.cycle_hz
    third = 0 if cycle_hz < low + (high - low) / 3 else 1 if cycle_hz < low + 2 * (high - low) / 3 else 2
    return spec.speed_words[third], ("slow", "moderate", "fast")[third]


def _captions(spec: ActivitySpec, rng: np.random.Generator, drawn: dict[str, Any], ctx: GeneratorContext) -> list[str]:
    speed_word, speed_adj = _speed_word(spec, float(drawn["cycle_hz"]))
    hand = drawn["handedness"]
    fields = {**ctx.params, "hand": hand, "other_hand": "left" if hand == "right" else "right",
              "speed_word": speed_word, "speed_adj": speed_adj, "posture": ctx.posture}  # fmt: skip
    chosen = rng.permutation(len(spec.captions))[:_CAPTIONS_PER_MOTION]
    return [spec.captions[i].format(**fields) for i in sorted(chosen)]


def _metadata(
    spec: ActivitySpec, seed: int, fps: float, frames: int, drawn: dict[str, Any], betas: np.ndarray, ctx
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "generator": "imu_foundation.simulation.motion_library",
        "activity": spec.name,
        "seed": int(seed),
        "cycle_hz": float(drawn["cycle_hz"]),
        "cycle": spec.cycle,
        "amplitude": float(drawn["amplitude"]),
        "handedness": str(drawn["handedness"]),
        "one_handed": spec.one_handed,
        "duration_s": frames / fps,
        "fps": float(fps),
        "heading_rad": float(drawn["heading_rad"]),
        "phase_rad": float(drawn["phase_rad"]),
        "posture": ctx.posture,
        "variability": float(drawn["variability"]),
        "sway": float(drawn["sway"]),
        "betas": [float(b) for b in betas],
    }
    metadata.update(ctx.params)
    return metadata

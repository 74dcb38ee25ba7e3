"""Generating motions: seeded parameter draws, the generator call, mirroring and heading, captions and metadata."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..motion import MotionSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_y
from .captions import caption_fields, draw_captions, transition_captions
from .context import GeneratorContext
from .curves import DTYPE, cumulative
from .pose_builder import DEG, MIRROR_PAIRS, J, PoseBuilder, mirror_rotation
from .registry import ACTIVITIES, ActivitySpec, get_activity, list_activities
from .transitions import BLEND_S, join, transition_partners
from .variety import Tempo, Variety, continuous_phase, draw_variety, resting_phase, scale_arm_asymmetry

_MAX_DURATION_S = 600.0
_BETAS = 10
_VARIETY = tuple(f.name for f in fields(Variety))
_OVERRIDABLE = ("cycle_hz", "amplitude", "heading_rad", "phase_rad", "betas", "posture", "variability", "sway")
_OVERRIDABLE += _VARIETY


@dataclass
class _Built:
    """A generated motion and what its captions are made from."""

    motion: MotionSequence
    spec: ActivitySpec
    fields: dict[str, Any]
    variety: Variety


def generate_motion(
    activity: str,
    seed: int,
    *,
    duration_s: float | None = None,
    fps: float = 60.0,
    handedness: str | None = None,
    then: str | None = None,
    then_at_s: float | None = None,
    **overrides: Any,
) -> MotionSequence:
    """One generated, captioned SMPL motion of ``activity`` (optionally changing to ``then`` part-way).

    Args:
        activity: a name from :func:`list_activities`.
        seed: random seed; with the other arguments it fixes the result bit for bit.
        duration_s: length (s); random in the activity's range when ``None``.
        fps: frame rate (Hz).
        handedness: ``"left"`` or ``"right"``: the hand doing a one-handed activity (other activities are
            mirrored, which changes e.g. which fist leads); random when ``None``.
        then: a second activity the person changes to (see :func:`~.transitions.transition_partners` for the
            natural ones); the motion blends from one to the other over about a second and the captions describe
            both ("a person walks, then stops and stands still"). ``activity`` becomes ``"<first>_then_<second>"``.
        then_at_s: when the change happens (the middle of the blend, s); random in the middle third when ``None``.
        **overrides: fix any randomised parameter: ``cycle_hz`` (Hz), ``amplitude`` (factor), ``heading_rad``,
            ``phase_rad`` (cycle phase at the first frame), ``betas`` (10 values), ``posture``, ``variability``
            (scale of every variation between and within repetitions, default 1, 0 = perfectly periodic),
            ``sway`` (scale of the natural postural noise, default 1), the motion's variety (``tempo_drift``,
            ``tempo_jitter``, ``amplitude_jitter``, ``rest_fraction``, ``arm_asymmetry``, see
            :class:`~.variety.Variety`), or an activity parameter (see ``ACTIVITIES[activity].params``). With
            ``then``, they apply to the first activity.

    Returns:
        The :class:`MotionSequence` (float64, y up), with ``captions``, ``activity``, ``sequence_id`` and every
        chosen parameter in ``metadata``.
    """
    if then is None:
        if then_at_s is not None:
            raise ValueError("then_at_s needs then= (the activity the person changes to).")
        return _build(activity, seed, duration_s, fps, handedness, overrides).motion
    return _build_transition(activity, then, seed, duration_s, fps, handedness, then_at_s, overrides)


def sample_motions(
    num: int,
    seed: int,
    activities: Sequence[str] | None = None,
    *,
    transitions: float = 0.0,
    **kwargs: Any,
) -> Iterator[MotionSequence]:
    """``num`` motions cycling through ``activities`` (all when ``None``) in seeded random order.

    Each pass over the activities is a fresh shuffle, so any ``num`` is balanced to within one per activity (the
    first activity of a transition counts). The per-motion seeds are drawn from ``seed``; with probability
    ``transitions`` a motion changes part-way to a natural second activity (:func:`transition_partners`).
    ``kwargs`` go to :func:`generate_motion`.
    """
    names = list(activities) if activities is not None else list_activities()
    if not names:
        raise ValueError("activities must name at least one activity")
    for name in names:
        get_activity(name)
    if num < 0:
        raise ValueError(f"num must be >= 0, got {num}")
    if not (isinstance(transitions, int | float) and 0.0 <= transitions <= 1.0):
        raise ValueError(f"transitions must be a probability in [0, 1], got {transitions!r}")
    rng = np.random.default_rng(int(seed) & 0xFFFFFFFF)
    order: list[str] = []
    for _ in range(num):
        if not order:
            order = [names[i] for i in rng.permutation(len(names))]
        activity, motion_seed = order.pop(0), int(rng.integers(0, 2**31 - 1))
        then = None
        if transitions > 0 and rng.random() < transitions:
            posture = kwargs.get("posture") or ACTIVITIES[activity].postures[0]
            partners = transition_partners(activity, posture)
            then = partners[int(rng.integers(len(partners)))] if partners else None
        yield generate_motion(activity, motion_seed, then=then, **kwargs)


# ---------------------------------------------------------------------------------------------------- one activity


def _streams(seed: int, activity: str) -> list[np.random.Generator]:
    """Independent generators: parameter draws, variety, captions, the generator's own noise, and the
    per-repetition cadence, amplitude and rests. A longer motion draws more repetitions from the last three without
    shifting anything else, so a motion is the same at every frame rate and regenerates from its metadata."""
    root = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(activity.encode())])
    return [np.random.default_rng(child) for child in root.spawn(7)]


def _build(
    activity: str,
    seed: int,
    duration_s: float | None,
    fps: float,
    handedness: str | None,
    overrides: dict[str, Any],
) -> _Built:
    spec = get_activity(activity)
    _check_arguments(spec, duration_s, fps, handedness, overrides)
    draws, variety_rng, caption_rng, motion_rng, *repetition_rngs = _streams(seed, activity)
    # Draw every default in a fixed order, then apply the overrides, so fixing one parameter leaves the others.
    drawn: dict[str, Any] = {
        "cycle_hz": draws.uniform(*spec.cycle_hz),
        "amplitude": draws.uniform(*spec.amplitude),
        "duration_s": draws.uniform(*spec.duration_s),
        "handedness": "left" if draws.random() < 0.5 else "right",
        "heading_rad": draws.uniform(-math.pi, math.pi),
        "phase_rad": draws.uniform(0, 2 * math.pi),
        "betas": np.clip(draws.standard_normal(_BETAS), -2.0, 2.0),
        "posture": spec.postures[int(draws.integers(len(spec.postures)))],
        "variability": 1.0,
        "sway": 1.0,
    }
    params = {name: _draw(draws, choice) for name, choice in spec.params.items()}
    drawn.update({k: v for k, v in overrides.items() if k in drawn})
    params.update({k: v for k, v in overrides.items() if k in spec.params})
    if duration_s is not None:
        drawn["duration_s"] = duration_s
    if handedness is not None:
        drawn["handedness"] = handedness
    variety = draw_variety(variety_rng, spec.rests, float(drawn["variability"]))
    variety = replace(variety, **{k: float(v) for k, v in overrides.items() if k in _VARIETY})
    betas = np.asarray(drawn["betas"], dtype=np.float64).reshape(-1)
    frames = max(2, round(float(drawn["duration_s"]) * fps))
    ctx = _context(spec, repetition_rngs, motion_rng, frames, fps, drawn, params, variety)
    body = PoseBuilder(frames)
    spec.generator(body, ctx)
    scale_arm_asymmetry(body.rot, variety.arm_asymmetry)
    _add_sway(body, ctx, float(drawn["sway"]))
    global_orient, body_pose, transl = _finish(body, ctx, drawn["handedness"] == "left", float(drawn["heading_rad"]))
    fields_ = caption_fields(spec, drawn, ctx.params, ctx.posture)
    motion = MotionSequence(
        global_orient=global_orient,
        body_pose=body_pose,
        transl=transl,
        fps=float(fps),
        betas=torch.from_numpy(betas.copy()),
        captions=draw_captions(spec, caption_rng, fields_, variety),
        activity=activity,
        sequence_id=f"{activity}-{seed}",
        metadata=_metadata(spec, seed, fps, frames, drawn, betas, ctx, variety),
    )
    return _Built(motion, spec, fields_, variety)


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
    limits = {"tempo_drift": (-0.5, 0.5), "tempo_jitter": (0.0, 0.3), "amplitude_jitter": (0.0, 0.3),
              "rest_fraction": (0.0, 0.9), "arm_asymmetry": (-1.0, 1.0)}  # fmt: skip
    for name, (low, high) in limits.items():
        value = overrides.get(name)
        if value is not None and not (isinstance(value, int | float) and low <= value <= high):
            raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}.")
    if overrides.get("rest_fraction") and not spec.rests:
        raise ValueError(f"{spec.name!r} is not done in repetitions with rests; rest_fraction must stay 0.")
    if "posture" in overrides and overrides["posture"] not in spec.postures:
        raise ValueError(f"posture for {spec.name!r} must be one of {spec.postures}, got {overrides['posture']!r}.")
    if "betas" in overrides and np.asarray(overrides["betas"]).ndim != 1:
        raise ValueError("betas must be a 1-D list of shape coefficients.")


def _draw(rng: np.random.Generator, choice: tuple[float, float] | tuple[str, ...]) -> Any:
    if all(isinstance(c, str) for c in choice):
        return choice[int(rng.integers(len(choice)))]
    return float(rng.uniform(*choice))


def _context(
    spec: ActivitySpec,
    repetition_rngs: list[np.random.Generator],
    motion_rng: np.random.Generator,
    frames: int,
    fps: float,
    drawn: dict[str, Any],
    params: dict,
    variety: Variety,
) -> GeneratorContext:
    """Time, phase and amplitude tracks: tempo drift, per-repetition variation and rests (:mod:`.variety`)."""
    t = torch.arange(frames, dtype=DTYPE) / fps
    cycle_hz, amplitude = float(drawn["cycle_hz"]), float(drawn["amplitude"])
    tempo_rng, size_rng, rest_rng = repetition_rngs
    tempo = Tempo((tempo_rng, size_rng), cycle_hz, amplitude, frames / fps, variety)
    freq, amp = tempo.freq(t), tempo.amp(t)
    if variety.rest_fraction > 0:
        phase, freq = resting_phase(rest_rng, t, tempo, float(drawn["phase_rad"]), variety.rest_fraction)
    else:
        phase = continuous_phase(freq, fps, float(drawn["phase_rad"]))
    ctx = GeneratorContext(t, float(fps), cycle_hz, amplitude, phase, freq, amp, motion_rng, str(drawn["posture"]))
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


def _metadata(
    spec: ActivitySpec,
    seed: int,
    fps: float,
    frames: int,
    drawn: dict[str, Any],
    betas: np.ndarray,
    ctx: GeneratorContext,
    variety: Variety,
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
        **variety.to_dict(),
    }
    metadata.update(ctx.params)
    return metadata


# ---------------------------------------------------------------------------------------------------- transitions


def _build_transition(
    first: str,
    second: str,
    seed: int,
    duration_s: float | None,
    fps: float,
    handedness: str | None,
    then_at_s: float | None,
    overrides: dict[str, Any],
) -> MotionSequence:
    """``first`` changing to ``second``: both generated for the same body, blended around ``then_at_s``."""
    get_activity(second)
    a = _build(first, seed, duration_s, fps, handedness, overrides)
    duration = a.motion.duration_s
    if then_at_s is None:
        then_at_s = duration * np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x7E11]).uniform(0.35, 0.65)
    if not (math.isfinite(then_at_s) and BLEND_S <= then_at_s <= duration - BLEND_S):
        raise ValueError(
            f"then_at_s must leave {BLEND_S:g} s of each activity, within [{BLEND_S:g}, {duration - BLEND_S:g}] s "
            f"for this {duration:.3g} s motion; got {then_at_s!r}."
        )
    start = round((then_at_s - BLEND_S / 2) * fps)  # first frame of the blend
    second_spec = get_activity(second)
    generic = {k: v for k, v in overrides.items() if k in ("variability", "sway")}
    posture = a.motion.metadata["posture"]
    if posture in second_spec.postures:
        generic["posture"] = posture
    # The second activity faces where the first one faces when the blend starts, on the same body.
    generic |= {"heading_rad": _heading(a.motion, start), "betas": a.motion.betas.tolist()}
    b = _build(second, seed, (a.motion.num_frames - start) / fps, fps, a.motion.metadata["handedness"], generic)
    orient, pose, transl = join(a.motion, b.motion, start, round(BLEND_S * fps))
    captions = transition_captions(a.spec, b.spec, _streams(seed, f"{first}>{second}")[2], a.fields, b.fields)
    metadata = {
        "generator": "imu_foundation.simulation.motion_library",
        "activity": f"{first}_then_{second}",
        "seed": int(seed),
        "then_at_s": float(then_at_s),
        "blend_s": BLEND_S,
        "duration_s": a.motion.num_frames / fps,
        "fps": float(fps),
        "handedness": a.motion.metadata["handedness"],
        "betas": a.motion.metadata["betas"],
        "segments": [
            {**a.motion.metadata, "start_s": 0.0, "end_s": (start + round(BLEND_S * fps)) / fps},
            {**b.motion.metadata, "start_s": start / fps, "end_s": a.motion.num_frames / fps},
        ],
    }
    return MotionSequence(
        global_orient=orient,
        body_pose=pose,
        transl=transl,
        fps=float(fps),
        betas=a.motion.betas.clone(),
        captions=captions,
        activity=f"{first}_then_{second}",
        sequence_id=f"{first}-{seed}-then-{second}",
        metadata=metadata,
    )


def _heading(motion: MotionSequence, frame: int) -> float:
    """Yaw (rad) of the root's forward axis at ``frame``, about y."""
    forward = axis_angle_to_matrix(motion.global_orient[frame])[:, 2]
    return float(torch.atan2(forward[0], forward[2]))

"""Shoulder rehabilitation exercises: abduction, forward flexion, Codman pendulum, external rotation."""

from __future__ import annotations

import math

import torch

from ..context import GeneratorContext
from ..curves import rise, smootherstep, soft_max_limit
from ..pose_builder import (
    DEG,
    PoseBuilder,
    hang_arms,
    normalize,
    shoulder_from_direction,
    stand,
    vec,
)
from ..registry import activity


@activity(
    "shoulder_abduction",
    cycle_hz=(0.25, 0.6),
    cycle="raise and lower",
    captions=(
        "a person raises the {hand} arm sideways and lowers it",
        "someone does lateral raises with the {hand} arm",
        "shoulder abduction exercise with the {hand} arm",
        "a person lifts the {hand} arm out to the side {speed_word}",
    ),
    one_handed=True,
    params={"range_deg": (100.0, 160.0)},
    verbs=(
        "raises the {hand} arm out to the side",
        "does lateral raises with the {hand} arm",
        "lifts the {hand} arm sideways and lowers it",
        "does shoulder abduction with the {hand} arm",
    ),
    nouns=("shoulder abduction", "lateral arm raises", "arm abduction", "side raises"),
    exercise=True,
    rests=True,
)
def shoulder_abduction(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Lateral arm raise with a straight elbow, thumb turning up (external rotation) as the arm goes overhead."""
    # Limit the slowly varying range, not the angle itself: saturating a fast motion would jerk it.
    elevation = 10.0 + soft_max_limit(ctx.params["range_deg"] * ctx.amp, 160.0, 3.0) * rise(ctx.phase)
    external = 45.0 * smootherstep((elevation - 60.0) / 90.0)
    body.arm_angles("right", elevation, 88.0, 6.0, external_rotation_deg=external)
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)


@activity(
    "shoulder_flexion",
    cycle_hz=(0.25, 0.6),
    cycle="raise and lower",
    captions=(
        "a person raises the {hand} arm forward and overhead",
        "someone does front raises with the {hand} arm",
        "shoulder flexion exercise with the {hand} arm",
        "a person lifts the straight {hand} arm forward {speed_word}",
    ),
    one_handed=True,
    params={"range_deg": (110.0, 160.0)},
    verbs=(
        "raises the {hand} arm forward and overhead",
        "does front raises with the {hand} arm",
        "lifts the straight {hand} arm in front and up",
        "does forward elevation with the {hand} arm",
    ),
    nouns=(
        "shoulder flexion",
        "forward elevation",
        "front raises",
        "forward arm raises",
        "forward elevation of the arm",
    ),
    exercise=True,
    rests=True,
)
def shoulder_flexion(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Forward arm raise with a straight elbow, thumb up, from the side to overhead and back."""
    # Limit the slowly varying range, not the angle itself: saturating a fast motion would jerk it.
    elevation = 10.0 + soft_max_limit(ctx.params["range_deg"] * ctx.amp, 160.0, 3.0) * rise(ctx.phase)
    body.arm_angles("right", elevation, 8.0, 6.0, external_rotation_deg=10.0)
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)
    body.spine(flex_deg=-3.0 * rise(ctx.phase))  # a little back extension at the top


@activity(
    "pendulum",
    cycle_hz=(0.5, 0.9),
    cycle="circle",
    captions=(
        "a person leans forward and lets the {hand} arm swing in small circles",
        "someone does pendulum exercises with the {hand} arm",
        "bent over, a person circles the hanging {hand} arm {speed_word}",
        "codman pendulum exercise for the {hand} shoulder",
    ),
    one_handed=True,
    params={"trunk_pitch_deg": (55.0, 80.0), "radius_deg": (8.0, 16.0), "direction": ("clockwise", "counterclockwise")},
    verbs=(
        "swings the hanging {hand} arm in small circles",
        "does pendulum exercises with the {hand} arm",
        "leans forward and circles the relaxed {hand} arm",
        "lets the {hand} arm swing like a pendulum",
    ),
    nouns=("pendulum exercise", "codman pendulum", "arm pendulum swings", "pendulum circles", "a pendulum exercise"),
    exercise=True,
)
def pendulum(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Codman pendulum: bent forward, the other hand on a table, the relaxed arm hanging and circling slowly."""
    pitch = ctx.params["trunk_pitch_deg"]
    pelvis, trunk = 0.6 * pitch, 0.4 * pitch
    body.root(pitch_deg=pelvis)
    for side in ("left", "right"):
        body.leg(side, pelvis + 10.0, 15.0, 5.0, hip_abduct_deg=6.0)
    body.spine(flex_deg=trunk)
    body.head(flex_deg=-0.5 * pitch)
    down = vec(0.0, -math.cos(pitch * DEG), math.sin(pitch * DEG), ctx.frames)  # world down in the chest frame
    forward = vec(0.0, math.sin(pitch * DEG), math.cos(pitch * DEG), ctx.frames)
    lateral = vec(1.0, 0.0, 0.0, ctx.frames)
    radius = math.tan(ctx.params["radius_deg"] * DEG) * ctx.amp[:, None]
    sense = 1.0 if ctx.params["direction"] == "clockwise" else -1.0
    circle = radius * (torch.sin(ctx.phase)[:, None] * sense * lateral + torch.cos(ctx.phase)[:, None] * forward)
    body.arm("right", shoulder_from_direction(normalize(down + circle), 0.0), 8.0)
    body.arm("left", shoulder_from_direction(normalize(down + 0.45 * forward), 0.0), 5.0, pronation_deg=80.0)


@activity(
    "external_rotation",
    cycle_hz=(0.3, 0.6),
    cycle="rotate out and back",
    captions=(
        "a person rotates the {hand} forearm outwards with the elbow at the side",
        "someone does external rotation exercises with the {hand} arm",
        "shoulder external rotation with a band, {hand} arm",
        "a person swings the bent {hand} forearm out and in",
    ),
    one_handed=True,
    params={"range_deg": (70.0, 100.0), "start_deg": (20.0, 35.0)},
    verbs=(
        "rotates the {hand} forearm outwards with the elbow at the side",
        "does external rotation with a band in the {hand} hand",
        "turns the bent {hand} arm out against a resistance band",
    ),
    nouns=(
        "shoulder external rotation",
        "external rotation",
        "band external rotation",
        "external rotation with a resistance band",
        "external rotation of the shoulder",
    ),
    exercise=True,
    rests=True,
)
def external_rotation(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Shoulder external rotation (band exercise): elbow at the side bent 90 deg, the forearm swings outwards from
    the belly (20-35 deg of internal rotation) to 35-80 deg of external rotation and back."""
    rotation = -ctx.params["start_deg"] + ctx.params["range_deg"] * ctx.amp * rise(ctx.phase)
    body.arm_angles("right", 12.0, 75.0, 90.0, external_rotation_deg=rotation)
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)

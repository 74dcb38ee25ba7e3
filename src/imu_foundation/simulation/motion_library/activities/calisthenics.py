"""Calisthenics: arm circles, jumping jacks and squats."""

from __future__ import annotations

import math

import torch

from ..context import GeneratorContext
from ..curves import bump, hop_height, rise, soft_max_limit
from ..pose_builder import (
    DEG,
    PoseBuilder,
    shoulder_from_direction,
    stand,
    vec,
)
from ..registry import activity


@activity(
    "arm_circles",
    cycle_hz=(0.6, 1.2),
    cycle="circle",
    captions=(
        "a person makes {direction} arm circles",
        "someone circles both outstretched arms {speed_word}",
        "a person holds the arms out to the sides and rotates them in small circles",
        "doing {direction} arm circles",
    ),
    params={"radius_deg": (12.0, 25.0), "direction": ("forward", "backward")},
    verbs=(
        "makes {direction} arm circles",
        "circles both arms",
        "rotates the outstretched arms in circles",
        "does arm circles",
    ),
    nouns=("arm circles", "{direction} arm circles", "arm circle exercises", "circles with straight arms"),
    exercise=True,
)
def arm_circles(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Both arms held out sideways, tracing small circles together (forwards or backwards)."""
    radius = torch.tan(ctx.params["radius_deg"] * DEG * ctx.amp)
    sense = 1.0 if ctx.params["direction"] == "forward" else -1.0
    for side in ("left", "right"):
        direction = vec(1.0, radius * torch.sin(ctx.phase), sense * radius * torch.cos(ctx.phase), ctx.frames)
        body.arm(side, shoulder_from_direction(direction, 0.0), 5.0)
    stand(body, ctx)


@activity(
    "jumping_jacks",
    cycle_hz=(0.8, 1.3),
    cycle="jack (out and in)",
    captions=(
        "a person does jumping jacks",
        "someone performs jumping jacks {speed_word}",
        "a person jumps, spreading the legs and clapping the hands overhead",
        "doing star jumps",
    ),
    params={"arm_top_deg": (150.0, 172.0), "flight_fraction": (0.3, 0.45)},
    verbs=("does jumping jacks", "performs jumping jacks", "does star jumps", "is doing jumping jacks"),
    nouns=("jumping jacks", "star jumps", "jumping jack exercises", "a set of jumping jacks"),
    exercise=True,
)
def jumping_jacks(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Jumping jacks: jump feet apart while the arms sweep overhead, jump back; two hops per cycle."""
    flight = ctx.params["flight_fraction"]
    hop = torch.remainder(2 * ctx.phase / (2 * math.pi), 1.0)
    height = hop_height(hop, flight, 1.0 / (2 * ctx.cycle_hz))
    # Knees and hips give most at mid-stance, the toes point down mid-flight: smooth bumps over each hop (the
    # height's own stance/flight switch would put a corner into the joint angles).
    dip = bump(2 * ctx.phase, (1 - flight) / 2, 2.5)
    airborne = bump(2 * ctx.phase, 1 - flight / 2, 0.5 / flight**2)
    # Open (arms up, feet apart) half a cycle after closed, centred on the middle of the landing.
    opening = 0.5 * (1 - torch.cos(ctx.phase - math.pi * (1 - flight) / 2))
    top = soft_max_limit(ctx.params["arm_top_deg"] * ctx.amp, 172.0, 3.0)
    for side in ("left", "right"):
        knee = 6.0 + 28.0 * dip
        body.leg(side, 3.0 + 14.0 * dip, knee, 10.0 * dip - 15.0 * airborne, 3.0 + 13.0 * opening)
        body.arm_angles(side, 15.0 + (top - 15.0) * opening, 85.0, 15.0, external_rotation_deg=50.0 * opening)
    body.root(pitch_deg=4.0 * dip)
    body.spine(flex_deg=3.0 * dip)
    body.offset[:, 1] = height


@activity(
    "squats",
    cycle_hz=(0.25, 0.5),
    cycle="squat (down and up)",
    captions=(
        "a person does squats",
        "someone squats down and stands up again {speed_word}",
        "a person performs bodyweight squats with the arms forward",
        "doing deep knee bends",
    ),
    params={"depth_deg": (70.0, 90.0)},
    verbs=(
        "does squats",
        "squats down and stands back up",
        "performs bodyweight squats",
        "does deep knee bends",
        "is squatting",
    ),
    nouns=("squats", "bodyweight squats", "air squats", "squat exercise"),
    exercise=True,
    rests=True,
)
def squats(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Bodyweight squats to about thigh-parallel; arms raised forward for balance as the hips go down."""
    depth = rise(ctx.phase) * ctx.amp
    thigh = 5.0 + soft_max_limit(ctx.params["depth_deg"] * ctx.amp, 95.0, 2.0) * rise(ctx.phase)
    body.crouch(thigh, 5.0 + 25.0 * depth, pelvis_pitch_deg=25.0 * depth, knees_out_deg=10.0 * depth)
    body.spine(flex_deg=12.0 * depth)
    body.head(flex_deg=-15.0 * depth)
    for side in ("left", "right"):
        body.arm_angles(side, 10.0 + 75.0 * depth, 15.0, 10.0, pronation_deg=60.0)

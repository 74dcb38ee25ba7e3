"""Locomotion: walking, running and climbing stairs (gait-cycle joint curves, trunk counter-rotation, arm swing)."""

from __future__ import annotations

import math

import torch

from ..context import GeneratorContext
from ..curves import bump, hop_height
from ..pose_builder import (
    DEG,
    PoseBuilder,
    flex_abduct_direction,
    shoulder_from_direction,
)
from ..registry import activity


def gait_trunk(body: PoseBuilder, ctx: GeneratorContext, lean_deg: float, scale: float) -> None:
    """Pelvis rotation and obliquity, counter-rotating thorax, head held level, for a gait phase ``ctx.phase``."""
    a, phase = ctx.amp * scale, ctx.phase
    pelvis_yaw = -4.0 * a * torch.cos(phase)  # the swinging leg's side of the pelvis comes forward
    pelvis_roll = 3.0 * a * torch.sin(phase + 0.3)  # the swing side drops (left stance: right side down)
    body.root(pitch_deg=lean_deg * 0.5 + 1.5 * torch.cos(2 * phase), yaw_deg=pelvis_yaw, roll_deg=pelvis_roll)
    thorax_twist = 7.0 * a * torch.cos(phase)
    body.spine(flex_deg=lean_deg * 0.5, twist_deg=thorax_twist, bend_deg=-pelvis_roll)
    body.head(flex_deg=-lean_deg * 0.6, twist_deg=-(pelvis_yaw + thorax_twist))


def swing_arms(body: PoseBuilder, ctx: GeneratorContext, swing_deg: float, elbow_deg: float, peak: float) -> None:
    """Arm swing in antiphase with the same-side leg; the elbow bends more as the arm swings forward, and the
    forearm turns a little with it (palm slightly down in front, to the thigh behind), as real wrist gyroscopes
    show besides the main swing axis."""
    for side, offset in (("left", 0.0), ("right", math.pi)):
        swing = -torch.cos(ctx.phase + offset - 2 * math.pi * peak)  # +1 when the same-side hip is most extended
        flex = 3.0 + swing_deg * ctx.amp * swing
        elbow = elbow_deg + 0.4 * swing_deg * ctx.amp * swing
        pronation = 10.0 + 0.6 * swing_deg * ctx.amp * swing
        # A small fixed abduction keeps the hands clear of the hips.
        body.arm(side, shoulder_from_direction(flex_abduct_direction(flex, 7.0), 5.0), elbow, pronation)


@activity(
    "walking",
    cycle_hz=(0.8, 1.0),
    cycle="gait cycle (two steps)",
    captions=(
        "a person walks forward {speed_word}",
        "someone is walking {speed_word}",
        "a person takes a {speed_adj} walk",
        "walking straight ahead at a {speed_adj} pace",
    ),
    params={"stride_m": (1.35, 1.55), "arm_swing_deg": (9.0, 16.0), "elbow_deg": (18.0, 30.0)},
    speed_words=("slowly", "at a normal pace", "briskly"),
    verbs=("walks", "walks forward", "is walking", "walks straight ahead", "takes a walk", "goes for a walk"),
    speed_verbs=(
        ("strolls", "strolls along", "walks slowly", "ambles along"),
        ("walks", "walks at a normal pace"),
        ("walks briskly", "strides along", "walks fast", "power walks"),
    ),
    nouns=("walking", "a walk", "walking forward", "a stroll"),
    intensity_words=(("with short steps", "taking small steps"), ("with long strides", "taking long steps")),
)
def walking(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Gait cycle from left heel strike (phase 0). Sagittal joint curves after Perry & Burnfield's normal gait."""
    a = ctx.amp
    for side, offset in (("left", 0.0), ("right", math.pi)):
        p = ctx.phase + offset
        hip = 10.0 + 21.0 * a * torch.cos(p - 2 * math.pi * 0.87)  # +31 late swing .. -11 terminal stance
        knee = 5.0 + 12.0 * a * bump(p, 0.13, 8.0) + 55.0 * a * bump(p, 0.72, 4.0)  # loading, then swing peak
        ankle = 2.0 - 5.0 * bump(p, 0.06, 20.0) + 10.0 * a * bump(p, 0.43, 8.0) - 18.0 * a * bump(p, 0.62, 20.0)
        body.leg(side, hip, knee, ankle, hip_abduct_deg=2.0)
    gait_trunk(body, ctx, lean_deg=3.0, scale=1.0)
    swing_arms(body, ctx, swing_deg=ctx.params["arm_swing_deg"], elbow_deg=ctx.params["elbow_deg"], peak=0.87)
    stride = ctx.params["stride_m"] * a.sqrt()
    # Slowest at mid-stance (the body's highest point), fastest at double support: the inverted pendulum.
    body.speed = stride * ctx.freq * (1 + 0.06 * torch.cos(2 * ctx.phase))
    body.offset[:, 1] = -0.022 * a * torch.cos(2 * ctx.phase)  # lowest at heel strikes
    body.offset[:, 0] = 0.02 * a * torch.sin(ctx.phase)  # over the stance foot
    body.yaw_wander = 3.0 * DEG * ctx.noise(1, max_hz=0.12, min_hz=0.03)[:, 0]


@activity(
    "running",
    cycle_hz=(1.25, 1.55),
    cycle="gait cycle (two steps)",
    captions=(
        "a person runs forward {speed_word}",
        "someone is running {speed_word}",
        "a person goes for a run",
        "running ahead at a {speed_adj} pace",
    ),
    params={
        "stride_m": (2.0, 2.3),
        "arm_swing_deg": (28.0, 40.0),
        "elbow_deg": (75.0, 95.0),
        "flight_fraction": (0.25, 0.4),
    },
    speed_words=("at an easy jog", "at a steady pace", "fast"),
    verbs=("runs", "is running", "runs forward", "goes for a run", "runs along"),
    speed_verbs=(
        ("jogs", "jogs slowly", "goes for an easy jog", "is jogging"),
        ("runs", "jogs", "runs at a steady pace"),
        ("runs fast", "runs quickly", "runs hard", "races along"),
    ),
    nouns=("running", "a run", "running forward", "a run outdoors"),
    intensity_words=(("with short strides", "taking short quick steps"), ("with long strides", "with a long stride")),
)
def running(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Running gait from left foot strike: a flight phase each step, knees to ~100 deg in swing, arms bent ~90."""
    a, flight = ctx.amp, ctx.params["flight_fraction"]
    contact_gait = (1 - flight) / 2  # stance as a fraction of the gait cycle
    for side, offset in (("left", 0.0), ("right", math.pi)):
        p = ctx.phase + offset
        hip = 14.0 + 28.0 * a * torch.cos(p - 2 * math.pi * 0.85)
        knee = 12.0 + 28.0 * a * bump(p, contact_gait / 2, 12.0) + 90.0 * a * bump(p, 0.68, 4.0)
        ankle = 12.0 * bump(p, contact_gait / 2, 12.0) - 22.0 * a * bump(p, contact_gait + 0.03, 14.0) + 3.0
        body.leg(side, hip, knee, ankle, hip_abduct_deg=1.0)
    gait_trunk(body, ctx, lean_deg=8.0, scale=1.3)
    swing_arms(body, ctx, swing_deg=ctx.params["arm_swing_deg"], elbow_deg=ctx.params["elbow_deg"], peak=0.85)
    hop = torch.remainder(2 * ctx.phase / (2 * math.pi), 1.0)  # two steps per gait cycle
    height = hop_height(hop, flight, 1.0 / (2 * ctx.cycle_hz))
    body.offset[:, 1] = height
    body.offset[:, 0] = 0.012 * a * torch.sin(ctx.phase)
    body.speed = ctx.params["stride_m"] * a.sqrt() * ctx.freq
    body.yaw_wander = 3.0 * DEG * ctx.noise(1, max_hz=0.12, min_hz=0.03)[:, 0]


@activity(
    "climbing_stairs",
    cycle_hz=(0.7, 0.9),
    cycle="gait cycle (two stairs)",
    captions=(
        "a person walks up the stairs",
        "someone climbs a flight of stairs {speed_word}",
        "a person goes upstairs",
        "walking up steps at a {speed_adj} pace",
    ),
    params={"riser_m": (0.15, 0.19), "going_m": (0.25, 0.3)},
    verbs=(
        "walks up the stairs",
        "climbs the stairs",
        "goes upstairs",
        "walks up a flight of stairs",
        "climbs up some steps",
        "ascends a staircase",
    ),
    nouns=("climbing stairs", "walking upstairs", "stair climbing", "going up the stairs"),
    intensity_words=(("taking small steps", "carefully"), ("taking big steps", "with long strides")),
)
def climbing_stairs(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Stair ascent, one step per stair: large hip and knee flexion, the body rising one riser per step."""
    a = ctx.amp
    for side, offset in (("left", 0.0), ("right", math.pi)):
        p = ctx.phase + offset
        hip = 33.0 + 30.0 * a * torch.cos(p - 2 * math.pi * 0.9)  # ~63 at foot placement, ~3 at push-off
        knee = 10.0 + 55.0 * a * bump(p, 0.02, 3.0) + 85.0 * a * bump(p, 0.72, 2.5)
        ankle = 8.0 * bump(p, 0.15, 6.0) - 15.0 * bump(p, 0.55, 12.0)
        body.leg(side, hip, knee, ankle, hip_abduct_deg=3.0)
    gait_trunk(body, ctx, lean_deg=12.0, scale=0.8)
    swing_arms(body, ctx, swing_deg=10.0, elbow_deg=25.0, peak=0.9)
    steps = 2 * (ctx.phase - ctx.phase[0])  # step phase since the first frame
    riser, going = ctx.params["riser_m"], ctx.params["going_m"]
    # Each step lifts the body one riser, mostly during single support: a ramp with a per-step ripple.
    body.climb = riser * (steps - 0.5 * (torch.sin(2 * ctx.phase) - torch.sin(2 * ctx.phase[0]))) / (2 * math.pi)
    body.speed = 2 * going * ctx.freq * (1 - 0.3 * torch.cos(2 * ctx.phase))
    body.offset[:, 0] = 0.025 * torch.sin(ctx.phase)

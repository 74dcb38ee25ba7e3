"""Daily living: drinking, brushing teeth, stirring a pot, lifting a box."""

from __future__ import annotations

import torch

from ..context import GeneratorContext
from ..curves import DTYPE, keyframes, soft_max_limit
from ..pose_builder import (
    PoseBuilder,
    flex_abduct_direction,
    hands_on_lap,
    hang_arms,
    set_posture,
    shoulder_from_direction,
    stand,
    vec,
)
from ..registry import activity

# The mouth relative to the shoulder joint (m), chest frame, left-arm convention (+x lateral): IK targets are
# given like this.
_MOUTH_FROM_SHOULDER = (-0.17, 0.13, 0.16)


@activity(
    "drinking",
    cycle_hz=(0.1, 0.2),
    cycle="sip",
    captions=(
        "a person drinks from a cup with the {hand} hand",
        "someone takes a sip holding a glass in the {hand} hand",
        "a person lifts a cup to the mouth and drinks while {posture}",
        "drinking with the {hand} hand",
    ),
    one_handed=True,
    postures=("standing", "sitting"),
    duration_s=(8.0, 20.0),
    verbs=(
        "drinks from a cup",
        "takes a sip",
        "sips a drink",
        "drinks from a glass",
        "lifts a cup to the mouth and drinks",
    ),
    nouns=("drinking", "drinking from a cup", "having a drink", "taking sips of water"),
    describe=("speed",),
    rests=True,
    repetitions="sips",
)
def drinking(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Sipping from a cup: lift it from table or waist height to the mouth, tip it, put it back (a sip a cycle)."""
    knots = (0.0, 0.15, 0.35, 0.45, 0.55, 0.65, 0.85)
    keys = ((0, 0), (0, 0), (1, 0), (1, 1), (1, 1), (1, 0), (0, 0))
    reach, tip = keyframes(ctx.fraction, knots, keys).unbind(-1)
    rest = torch.tensor([-0.04, -0.30, 0.28] if ctx.posture == "sitting" else [-0.02, -0.33, 0.24], dtype=DTYPE)
    mouth = torch.tensor(_MOUTH_FROM_SHOULDER, dtype=DTYPE) + torch.tensor([0.06, -0.08, 0.09], dtype=DTYPE)
    target = rest + reach[:, None] * (mouth - rest)
    body.arm_reach("right", target, (0.7, -1.0, -0.1), pronation_deg=-15.0 * tip, wrist_flex_deg=-15.0 * tip)
    set_posture(body, ctx)
    if ctx.posture == "sitting":
        hands_on_lap(body, ctx, sides=("left",))
    else:
        hang_arms(body, ctx, sides=("left",))
    body.head(flex_deg=5.0 - 20.0 * tip * ctx.amp)


@activity(
    "brushing_teeth",
    cycle_hz=(2.0, 4.0),
    cycle="brush stroke (back and forth)",
    captions=(
        "a person brushes their teeth with the {hand} hand",
        "someone is brushing teeth {speed_word}",
        "a person scrubs the teeth with a toothbrush in the {hand} hand",
        "brushing teeth, {hand}-handed",
    ),
    one_handed=True,
    verbs=("brushes their teeth", "brushes the teeth", "is brushing teeth", "scrubs the teeth with a toothbrush"),
    nouns=("brushing teeth", "tooth brushing", "teeth brushing"),
    describe=("speed",),
)
def brushing_teeth(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Brushing teeth: the hand in front of the mouth scrubbing side to side, moving between regions."""
    scrub = 0.02 * ctx.amp * torch.sin(ctx.phase)
    region = ctx.noise(3, max_hz=0.15, min_hz=0.04)  # slow moves between left, front and right teeth
    target = torch.tensor([0.0, 0.07, 0.27], dtype=DTYPE) + vec(
        scrub + 0.04 * region[:, 0], 0.015 * region[:, 1], 0.0, ctx.frames
    )
    body.arm_reach("right", target, (0.7, -1.0, 0.1), pronation_deg=35.0 + 35.0 * region[:, 2], wrist_flex_deg=10.0)
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)
    body.spine(flex_deg=8.0)
    body.head(flex_deg=5.0, twist_deg=5.0 * region[:, 0])


@activity(
    "stirring",
    cycle_hz=(0.8, 1.8),
    cycle="stir (one circle)",
    captions=(
        "a person stirs a pot with the {hand} hand",
        "someone is stirring food {speed_word}",
        "a person stirs with a spoon in the {hand} hand while holding the pot",
        "stirring in circles with the {hand} hand",
    ),
    one_handed=True,
    params={"radius_m": (0.04, 0.08)},
    verbs=("stirs a pot", "stirs food in a pot", "is stirring", "stirs with a spoon", "stirs a pan while cooking"),
    nouns=("stirring", "stirring a pot", "cooking, stirring a pot"),
    describe=("speed",),
)
def stirring(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Stirring a pot: the hand circles over the pot at waist height while the other hand holds its handle."""
    radius = ctx.params["radius_m"] * ctx.amp
    circle = vec(radius * torch.cos(ctx.phase), 0.0, radius * torch.sin(ctx.phase), ctx.frames)
    center = torch.tensor([-0.10, -0.32, 0.30], dtype=DTYPE)
    body.arm_reach("right", center + circle, (0.5, -1.0, -0.5), pronation_deg=25.0, wrist_flex_deg=15.0)
    body.arm_reach("left", vec(-0.02, -0.36, 0.26, ctx.frames), (0.5, -1.0, -0.5), pronation_deg=60.0)
    stand(body, ctx)
    body.spine(flex_deg=12.0, twist_deg=-4.0)
    body.head(flex_deg=25.0)


@activity(
    "lifting",
    cycle_hz=(0.09, 0.16),
    cycle="lift, hold and put down",
    captions=(
        "a person lifts a box from the floor",
        "someone picks up a box, holds it and puts it back down",
        "a person bends down, lifts a heavy box to the waist and sets it down again",
        "lifting an object off the ground with both hands",
    ),
    duration_s=(10.0, 22.0),
    params={"style": ("squat", "stoop")},
    verbs=(
        "lifts a box from the floor",
        "picks up a box and puts it back down",
        "lifts a heavy box",
        "bends down and lifts a box",
        "lifts an object off the ground",
    ),
    nouns=("lifting", "lifting a box", "picking up a box", "a lift from the floor"),
    describe=("speed",),
    rests=True,
    repetitions="lifts",
)
def lifting(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Lifting a box from the floor to the waist, holding it, and putting it back down (one lift a cycle)."""
    knots = (0.0, 0.08, 0.25, 0.32, 0.5, 0.6, 0.78, 0.85)
    keys = ((0, 0), (0, 0), (1, 0), (1, 0.15), (0, 1), (0, 1), (1, 0.15), (1, 0))
    depth, hold = keyframes(ctx.fraction, knots, keys).unbind(-1)
    depth = depth * soft_max_limit(ctx.amp, 1.1, 0.03)
    if ctx.params["style"] == "squat":  # legs bend, back stays fairly straight
        thigh, shank, pelvis, trunk = 95.0 * depth, 28.0 * depth, 30.0 * depth, 30.0 * depth
    else:  # stoop: legs nearly straight, the back bends
        thigh, shank, pelvis, trunk = 12.0 * depth, 12.0 * depth, 55.0 * depth, 40.0 * depth
    body.crouch(thigh, shank, pelvis_pitch_deg=pelvis)
    body.spine(flex_deg=trunk)
    body.head(flex_deg=10.0 - 0.4 * trunk)
    chest_pitch = pelvis + trunk  # arms reaching straight down to the box must flex this much at the shoulder
    flex = chest_pitch + 25.0 * hold * (1 - depth)
    elbow = 12.0 + 70.0 * hold * (1 - depth)
    for side in ("left", "right"):
        direction = flex_abduct_direction(flex, 6.0 + 8.0 * hold)  # hands apart around the box
        body.arm(side, shoulder_from_direction(direction, 0.0), elbow, pronation_deg=-10.0)

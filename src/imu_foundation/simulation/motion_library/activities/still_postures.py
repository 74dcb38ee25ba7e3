"""Still postures: quiet standing and sitting, alive with sway, breathing and fidgeting."""

from __future__ import annotations

from ...rotations import axis_angle_to_matrix
from ..context import GeneratorContext
from ..pose_builder import (
    DEG,
    J,
    PoseBuilder,
    breathing,
    hands_on_lap,
    hang_arms,
    sit,
    stand,
    vec,
)
from ..registry import activity


@activity(
    "standing",
    cycle_hz=(0.2, 0.33),
    cycle="breath",
    captions=(
        "a person stands still",
        "someone is standing in place",
        "a person stands quietly and waits",
        "standing upright without moving much",
    ),
    params={"arms": ("sides", "sides", "clasped")},
    verbs=("stands still", "stands in place", "is standing", "stands quietly", "stands and waits", "stands upright"),
    nouns=("standing", "standing still", "standing in place", "quiet standing"),
    describe=(),
)
def standing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Quiet standing: postural sway (weight shifts, not stepping) and breathing (the cycle is one breath)."""
    stand(body, ctx)
    shift = 0.012 * ctx.noise(2, max_hz=0.25, min_hz=0.03)  # centre-of-pressure sway, about a centimetre
    body.offset[:, 0], body.offset[:, 2] = shift[:, 0], 0.5 * shift[:, 1]
    # The feet stay put: a sideways pelvis shift adducts the leg on its side and abducts the other, a forward
    # shift tilts both legs forward (hips extend, ankles dorsiflex). 0.85 m: hip to floor.
    lean, tilt = shift[:, 0] / 0.85 / DEG, 0.5 * shift[:, 1] / 0.85 / DEG
    body.leg("left", 2.0 - tilt, 4.0, 2.0 + tilt, hip_abduct_deg=3.0 - lean)
    body.leg("right", 2.0 - tilt, 4.0, 2.0 + tilt, hip_abduct_deg=3.0 + lean)
    if ctx.params["arms"] == "clasped":
        for side in ("left", "right"):
            body.arm_reach(side, vec(-0.15, -0.45, 0.12, ctx.frames), (0.6, -0.2, -1.0), pronation_deg=60.0)
    else:
        hang_arms(body, ctx)
    body.head(flex_deg=3.0 * ctx.noise(1, max_hz=0.3)[:, 0], twist_deg=6.0 * ctx.noise(1, max_hz=0.2)[:, 0])
    # Idle hands: people standing still shift and fidget (real "standing" wrist gyroscopes read ~0.5 rad/s).
    for joint, deg in (("left_shoulder", 3.0), ("right_shoulder", 3.0), ("left_elbow", 5.0), ("right_elbow", 5.0)):
        body.compose(J[joint], axis_angle_to_matrix(deg * DEG * ctx.noise(3, max_hz=0.8, min_hz=0.1)))
    breathing(body, ctx)


@activity(
    "sitting",
    cycle_hz=(0.2, 0.33),
    cycle="breath",
    captions=(
        "a person sits on a chair",
        "someone is sitting still",
        "a person sits quietly with hands on the lap",
        "sitting down and resting",
    ),
    postures=("sitting",),
    verbs=("sits on a chair", "sits still", "is sitting", "sits quietly", "sits and rests"),
    nouns=("sitting", "sitting on a chair", "sitting still", "resting in a chair"),
    describe=(),
)
def sitting(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Sitting on a chair, hands resting on the thighs, small shifts of trunk and head (the cycle is a breath)."""
    sit(body, ctx, trunk_lean_deg=2.0 * ctx.noise(1, max_hz=0.15)[:, 0])
    hands_on_lap(body, ctx)
    body.head(flex_deg=5.0 + 4.0 * ctx.noise(1, max_hz=0.3)[:, 0], twist_deg=8.0 * ctx.noise(1, max_hz=0.2)[:, 0])
    breathing(body, ctx)

"""One-arm bent-over row with a dumbbell (ROW of the seglearn watch exercises).

Hinged forward at the hips (trunk 45-70 degrees from vertical, knees soft), the free hand braced on the knee or a
bench, the working arm hangs straight down holding the dumbbell. The elbow is pulled up and back past the torso
until the hand reaches the lower ribs / hip (elbow flexed about 90 degrees, shoulder extended relative to the
trunk, shoulder blade retracted), then the weight is lowered. Neutral grip (palm to the body). About 1.5 s per
repetition.
"""

from __future__ import annotations

import math

from ..context import GeneratorContext
from ..curves import rise, soft_max_limit
from ..pose_builder import DEG, PoseBuilder, normalize, shoulder_from_direction, vec
from ..registry import activity


@activity(
    "bent_over_row",
    cycle_hz=(0.45, 0.8),
    cycle="pull and lower",
    captions=(
        "a person bends forward and rows a dumbbell up with the {hand} arm",
        "someone does one-arm bent-over rows with a dumbbell in the {hand} hand",
        "bent over, a person pulls a weight up to the hip with the {hand} hand {speed_word}",
        "single-arm dumbbell row, {hand} arm, the other hand braced on a bench",
    ),
    one_handed=True,
    params={"trunk_pitch_deg": (45.0, 70.0), "retraction_deg": (8.0, 15.0)},
    verbs=(
        "does bent-over rows with a dumbbell in the {hand} hand",
        "rows a dumbbell up with the {hand} arm",
        "bends forward and pulls a weight up to the hip",
        "does one-arm dumbbell rows",
    ),
    nouns=(
        "bent-over rows",
        "one-arm dumbbell rows",
        "single-arm rows",
        "dumbbell rows",
        "a rowing exercise with a dumbbell",
    ),
    exercise=True,
    rests=True,
)
def bent_over_row(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Trunk hinged forward; the hanging arm pulls the weight from below the shoulder to beside the hip."""
    pitch = ctx.params["trunk_pitch_deg"]
    pelvis, trunk = 0.65 * pitch, 0.35 * pitch
    body.root(pitch_deg=pelvis)
    for side, hip in (("left", 10.0), ("right", 25.0)):  # a split stance: the braced side's knee forward
        body.leg(side, pelvis + hip, 20.0 + 0.5 * hip, 10.0, hip_abduct_deg=6.0)
    body.spine(flex_deg=trunk)
    body.head(flex_deg=-0.45 * pitch)
    # World directions in the pitched chest frame (left-arm convention).
    down = vec(0.0, -math.cos(pitch * DEG), math.sin(pitch * DEG), ctx.frames)
    backward = vec(0.0, -math.sin(pitch * DEG), -math.cos(pitch * DEG), ctx.frames)
    lateral = vec(1.0, 0.0, 0.0, ctx.frames)
    pull = (rise(ctx.phase) * soft_max_limit(ctx.amp, 1.1, 0.03))[:, None]
    bottom = 0.48 * down + 0.03 * lateral  # hanging straight below the shoulder
    top = 0.16 * down + 0.10 * backward + 0.06 * lateral  # by the hip, the elbow above the back
    pole = normalize(-0.3 * down + backward + 0.2 * lateral)  # the elbow leads up and back
    body.arm_reach("right", bottom + pull * (top - bottom), pole, pronation_deg=5.0)
    body.scapula("right", retraction_deg=ctx.params["retraction_deg"] * pull[:, 0])
    # The free hand braced on a bench in front: the arm reaches down and forward, elbow almost straight.
    forward = vec(0.0, math.sin(pitch * DEG), math.cos(pitch * DEG), ctx.frames)
    body.arm("left", shoulder_from_direction(normalize(down + 0.5 * forward), 0.0), 10.0, pronation_deg=80.0)

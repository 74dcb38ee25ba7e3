"""Trapezius work: the lower-trapezius row with a resistance band (TRAP of the seglearn watch exercises) and
shoulder shrugs.

Lower-trapezius row: standing, facing a band anchored in front at chest height, the arm starts reaching forward
(shoulder flexed 60-90 degrees, elbow almost straight) and pulls the band down and back until the elbow is at the
side and bent, while the shoulder blade is squeezed down and back (scapular retraction and depression, the work
of the lower trapezius). About 1.5 s per repetition.

Shrugs: arms hanging (usually holding dumbbells), the shoulders are lifted straight up towards the ears, held a
moment and lowered (scapular elevation, the upper trapezius), 2-3 s per repetition.
"""

from __future__ import annotations

import math

import torch

from ..context import GeneratorContext
from ..curves import DTYPE, keyframes, rise, soft_max_limit
from ..pose_builder import DEG, PoseBuilder, hang_arms, stand
from ..registry import activity


@activity(
    "lower_trapezius_row",
    cycle_hz=(0.45, 0.8),
    cycle="pull and return",
    captions=(
        "a person pulls a resistance band down and back with the {hand} arm, squeezing the shoulder blade",
        "someone does a lower trapezius row with a band in the {hand} hand",
        "a person rows the {hand} arm back against an elastic band {speed_word}",
        "scapular retraction exercise with a band, {hand} arm",
    ),
    one_handed=True,
    params={"reach_deg": (60.0, 90.0), "retraction_deg": (8.0, 16.0)},
    verbs=(
        "pulls a resistance band down and back with the {hand} arm",
        "does a lower trapezius row with the {hand} arm",
        "rows the {hand} arm back against a band",
        "squeezes the shoulder blade back, pulling a band",
    ),
    nouns=(
        "lower trapezius rows",
        "band rows",
        "trapezius rows with a resistance band",
        "scapular retraction exercises",
        "a trapezius exercise with a band",
    ),
    exercise=True,
    rests=True,
)
def lower_trapezius_row(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """The hand goes from reaching forward at chest height to beside the hip, the elbow pulled back past the side."""
    pull = rise(ctx.phase) * soft_max_limit(ctx.amp, 1.1, 0.03)
    reach = ctx.params["reach_deg"] * DEG
    # Wrist targets relative to the shoulder (m, left-arm convention: +x lateral, +y up, +z forward).
    start = torch.tensor([0.0, -0.48 * math.cos(reach), 0.48 * math.sin(reach)], dtype=DTYPE)
    end = torch.tensor([0.04, -0.36, 0.06], dtype=DTYPE)  # by the hip, elbow bent about 80 degrees
    target = start + pull[:, None] * (end - start)
    body.arm_reach("right", target, (0.15, -0.4, -1.0), pronation_deg=10.0 + 20.0 * pull)  # elbow leads back
    body.scapula("right", elevation_deg=-6.0 * pull, retraction_deg=ctx.params["retraction_deg"] * pull)
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)
    body.spine(flex_deg=1.0, twist_deg=3.0 * pull)  # the chest turns a little with the pull


@activity(
    "shoulder_shrugs",
    cycle_hz=(0.3, 0.55),
    cycle="shrug (up, hold, down)",
    captions=(
        "a person shrugs both shoulders up towards the ears and lowers them",
        "someone does shoulder shrugs holding dumbbells",
        "a person lifts and drops the shoulders {speed_word}",
        "shrugging exercise for the trapezius",
    ),
    params={"lift_deg": (20.0, 35.0)},
    verbs=(
        "shrugs the shoulders",
        "does shoulder shrugs",
        "lifts the shoulders up to the ears and lowers them",
        "shrugs holding dumbbells",
    ),
    nouns=("shoulder shrugs", "shrugs", "dumbbell shrugs", "trapezius shrugs"),
    exercise=True,
    rests=True,
)
def shoulder_shrugs(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Both shoulder girdles rise (scapular elevation), hold at the top and come down; arms hang straight."""
    knots = (0.0, 0.1, 0.4, 0.55, 0.85)
    lift = keyframes(ctx.fraction, knots, ((0.0,), (0.0,), (1.0,), (1.0,), (0.0,)))[:, 0] * ctx.amp
    hang_arms(body, ctx)
    for side in ("left", "right"):
        body.scapula(side, elevation_deg=ctx.params["lift_deg"] * lift, retraction_deg=3.0 * lift)
    stand(body, ctx)
    body.head(flex_deg=-3.0 * lift)

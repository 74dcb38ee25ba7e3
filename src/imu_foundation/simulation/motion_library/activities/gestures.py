"""Gestures: waving and clapping."""

from __future__ import annotations

import math

import torch

from ..context import GeneratorContext
from ..pose_builder import (
    PoseBuilder,
    hang_arms,
    set_posture,
    stand,
    vec,
)
from ..registry import activity


@activity(
    "waving",
    cycle_hz=(1.2, 2.5),
    cycle="wave (out and back)",
    captions=(
        "a person waves with the {hand} hand",
        "someone raises the {hand} hand and waves hello",
        "a person waves goodbye with their {hand} arm",
        "waving the {hand} hand {speed_word}",
    ),
    one_handed=True,
    params={"elevation_deg": (80.0, 105.0)},
    verbs=(
        "waves the {hand} hand",
        "waves with the {hand} hand",
        "waves hello with the {hand} hand",
        "waves goodbye with the {hand} hand",
        "raises the {hand} hand and waves",
    ),
    nouns=("waving", "waving hello", "waving goodbye", "a wave of the {hand} hand"),
    describe=("speed",),
)
def waving(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Waving hello: upper arm raised forward and out, forearm up, palm forward, swung side to side by turning the
    upper arm about its axis (which moves the hand medially and laterally)."""
    swing = torch.sin(ctx.phase) * ctx.amp
    body.arm_angles(
        "right",
        ctx.params["elevation_deg"],
        20.0,
        95.0 - 8.0 * swing,  # opening the elbow a little on the way out keeps the hand's path level
        external_rotation_deg=25.0 + 25.0 * swing,
        pronation_deg=85.0,
        wrist_deviation_deg=12.0 * swing,
    )
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)
    body.spine(flex_deg=1.0, bend_deg=-2.0)
    body.head(twist_deg=-8.0)


@activity(
    "clapping",
    cycle_hz=(1.5, 3.0),
    cycle="clap",
    captions=(
        "a person claps their hands",
        "someone is clapping {speed_word}",
        "a person applauds",
        "clapping hands in front of the chest while {posture}",
    ),
    postures=("standing", "sitting"),
    params={"spread_m": (0.06, 0.12)},
    verbs=("claps", "claps their hands", "is clapping", "applauds", "claps the hands together"),
    nouns=("clapping", "applause", "hand clapping", "clapping hands"),
    describe=("speed",),
)
def clapping(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Clapping in front of the chest; the hands meet with a brief, sharp deceleration (the clap)."""
    eps = 0.15  # softens the turn-around at the clap: a finite, large deceleration instead of a kink
    opening = (torch.sqrt(torch.sin(ctx.phase / 2) ** 2 + eps**2) - eps) / (math.sqrt(1 + eps**2) - eps)
    spread = ctx.params["spread_m"] * ctx.amp * opening
    for side in ("left", "right"):
        target = vec(-0.135 + spread, -0.14 + 0.02 * opening, 0.30, ctx.frames)
        body.arm_reach(side, target, (0.6, -1.0, -0.3), pronation_deg=-10.0, wrist_flex_deg=-20.0)
    set_posture(body, ctx)

"""Strength exercises: upright row, bicep curl, sit-to-stand."""

from __future__ import annotations

import torch

from ..context import GeneratorContext
from ..curves import DTYPE, keyframes, rise, soft_max_limit
from ..pose_builder import (
    PoseBuilder,
    hang_arms,
    stand,
    vec,
)
from ..registry import activity


@activity(
    "upright_row",
    cycle_hz=(0.25, 0.5),
    cycle="pull and lower",
    captions=(
        "a person does upright rows",
        "someone pulls a bar up to the chest with both hands {speed_word}",
        "a person lifts the hands from the thighs to the chest, elbows high",
        "upright row exercise",
    ),
    verbs=(
        "does upright rows",
        "pulls a bar up to the chest",
        "lifts a bar from the thighs to the chin",
        "performs upright rows with a barbell",
    ),
    nouns=("upright rows", "barbell upright rows", "upright row exercise"),
    exercise=True,
    rests=True,
)
def upright_row(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Upright row: a bar pulled from the thighs to the collarbones, elbows leading up and out."""
    lift = rise(ctx.phase) * soft_max_limit(ctx.amp, 1.1, 0.03)
    bottom = torch.tensor([-0.09, -0.49, 0.10], dtype=DTYPE)
    top = torch.tensor([-0.10, -0.02, 0.12], dtype=DTYPE)
    target = bottom + lift[:, None] * (top - bottom)
    for side in ("left", "right"):
        # Overhand grip: palms to the thighs at the bottom, down when the forearms are level.
        body.arm_reach(
            side,
            target,
            (1.0, 0.3, -0.4),
            pronation_deg=85.0 * soft_max_limit(lift, 1.0, 0.03),
            wrist_flex_deg=20.0 * lift,
        )
    stand(body, ctx)


@activity(
    "bicep_curl",
    cycle_hz=(0.3, 0.6),
    cycle="curl up and down",
    captions=(
        "a person does bicep curls with the {hand} arm",
        "someone curls a dumbbell in the {hand} hand",
        "a person bends the {hand} elbow lifting a weight {speed_word}",
        "arm curls with the {hand} hand",
    ),
    one_handed=True,
    params={"range_deg": (115.0, 135.0)},
    verbs=(
        "does bicep curls with the {hand} arm",
        "curls a dumbbell in the {hand} hand",
        "lifts a weight by bending the {hand} elbow",
        "does arm curls",
    ),
    nouns=("bicep curls", "dumbbell curls", "arm curls", "biceps curls"),
    exercise=True,
    rests=True,
)
def bicep_curl(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Dumbbell curl: palm up, the elbow flexes from straight to ~135 deg with the upper arm kept at the side."""
    curl = rise(ctx.phase) * ctx.amp
    elbow = 10.0 + soft_max_limit(ctx.params["range_deg"] * ctx.amp, 135.0, 3.0) * rise(ctx.phase)
    body.arm_angles("right", 6.0 + 10.0 * curl, 20.0, elbow, pronation_deg=-80.0)
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)


@activity(
    "sit_to_stand",
    cycle_hz=(0.15, 0.3),
    cycle="stand up and sit down",
    captions=(
        "a person stands up from a chair and sits back down",
        "someone does chair stands with arms crossed",
        "a person repeatedly rises from sitting to standing {speed_word}",
        "sit to stand exercise",
    ),
    duration_s=(8.0, 16.0),
    postures=("sitting",),
    verbs=(
        "stands up from a chair and sits back down",
        "does chair stands",
        "rises from the chair and sits again",
        "does sit-to-stand repetitions",
    ),
    nouns=("sit to stand", "chair stands", "sit-to-stand exercise", "the chair stand test"),
    exercise=True,
    rests=True,
)
def sit_to_stand(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Repeated chair stands with the arms crossed over the chest (the 30-second chair stand test)."""
    knots = (0.0, 0.1, 0.22, 0.38, 0.55, 0.68, 0.8, 0.9)
    keys = ((0, 0), (0, 0), (0.1, 1), (1, 0.1), (1, 0), (0.6, 0.7), (0.05, 0.4), (0, 0))
    stand, lean = keyframes(ctx.fraction, knots, keys).unbind(-1)
    seated = 1 - stand
    lean = lean * ctx.amp
    body.crouch(88.0 * seated, 6.0 * seated + 14.0 * lean * seated, pelvis_pitch_deg=-8.0 * seated + 28.0 * lean)
    body.spine(flex_deg=8.0 * seated + 12.0 * lean)
    body.head(flex_deg=-10.0 * lean)
    for side in ("left", "right"):
        body.arm_reach(side, vec(-0.27, -0.06, 0.12, ctx.frames), (0.5, -1.0, 0.0), pronation_deg=80.0)

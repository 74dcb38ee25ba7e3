"""Desk work: typing and handwriting."""

from __future__ import annotations

import torch

from ..context import GeneratorContext
from ..curves import DTYPE, keyframes
from ..pose_builder import (
    PoseBuilder,
    sit,
    vec,
)
from ..registry import activity


@activity(
    "typing",
    cycle_hz=(3.0, 6.0),
    cycle="keystroke",
    captions=(
        "a person types on a keyboard",
        "someone sits at a desk typing {speed_word}",
        "a person is typing on a computer",
        "typing with both hands while seated",
    ),
    postures=("sitting",),
    verbs=("types on a keyboard", "is typing", "types at a desk", "types on a computer"),
    nouns=("typing", "keyboard typing", "working at a computer"),
    describe=("speed",),
)
def typing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Typing at a desk: forearms level, palms down, small quick hand motions over the keys."""
    sit(body, ctx, trunk_lean_deg=6.0)
    for side in ("left", "right"):
        # Keystrokes: the fingers travel ~4 mm, the wrist well under a millimetre.
        keys = 0.0007 * ctx.noise(3, max_hz=ctx.cycle_hz * 1.3, min_hz=ctx.cycle_hz * 0.7)
        reach = 0.015 * ctx.noise(3, max_hz=0.4, min_hz=0.05)  # moving over the keyboard
        target = torch.tensor([-0.06, -0.24, 0.32], dtype=DTYPE) + keys * ctx.amp[:, None] + reach
        body.arm_reach(side, target, (0.3, -1.0, -0.5), pronation_deg=85.0, wrist_flex_deg=-15.0)
    body.head(flex_deg=12.0 + 3.0 * ctx.noise(1, max_hz=0.3)[:, 0])


@activity(
    "writing",
    cycle_hz=(2.5, 5.0),
    cycle="pen stroke",
    captions=(
        "a person writes with a pen in the {hand} hand",
        "someone sits at a desk writing notes",
        "a person writes on paper with the {hand} hand",
        "handwriting, {hand}-handed",
    ),
    one_handed=True,
    postures=("sitting",),
    params={"line_s": (2.5, 4.5), "line_start": (0.0, 1.0)},
    verbs=("writes with a pen", "writes on paper", "writes notes by hand", "is writing"),
    nouns=("writing", "handwriting", "writing with a pen", "taking notes by hand"),
    describe=("speed",),
)
def writing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Writing with a pen at a desk: small loops (letters) drifting along a line, a return every line."""
    sit(body, ctx, trunk_lean_deg=14.0)
    line_s = ctx.params["line_s"]
    line_pos = torch.remainder(ctx.t / line_s + ctx.params["line_start"], 1.0)
    # Along the line, then a quick return: smooth at both ends so the wrist does not jerk.
    along = keyframes(line_pos, (0.0, 0.9), ((0.0,), (1.0,)))[:, 0]
    loop = 0.003 * ctx.amp  # the pen draws ~1 cm letters mostly with the fingers; the wrist moves less
    strokes = vec(loop * torch.cos(ctx.phase), 0.0, 0.7 * loop * torch.sin(ctx.phase), ctx.frames)
    target = torch.tensor([-0.16, -0.28, 0.30], dtype=DTYPE) + vec(0.12 * along, 0.0, 0.0, ctx.frames) + strokes
    body.arm_reach("right", target, (0.7, -1.0, -0.3), pronation_deg=55.0, wrist_flex_deg=-10.0)
    body.arm_reach("left", vec(-0.12, -0.28, 0.30, ctx.frames), (0.6, -1.0, -0.4), pronation_deg=85.0)
    body.head(flex_deg=25.0)

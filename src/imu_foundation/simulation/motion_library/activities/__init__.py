"""The library's activities, one small module per family; importing this package registers them all."""

from . import (  # noqa: F401 - imported to register their activities
    bent_over_row,
    boxing,
    calisthenics,
    daily_living,
    desk_work,
    gait,
    gestures,
    internal_rotation,
    racket_sports,
    shoulder_exercises,
    still_postures,
    strength,
    trapezius,
)

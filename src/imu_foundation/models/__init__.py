"""The package's model families, each in a transformers-style folder: ``img2imu`` and ``multi3net``."""

# transformers first: importing it registers the package's models with the Auto classes (see imu_foundation's
# __init__), which imports the model folders; done here, that happens before any of them has started to load.
import transformers  # noqa: F401

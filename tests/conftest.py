"""Test-wide settings: nothing may reach a hub, every run is seeded."""

import os

# Read by huggingface_hub at import time, so set before anything imports it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_everything():
    torch.manual_seed(0)
    yield


# ------------------------------------------------------------------------------------------------------------------
# The package's Hub-compatible server on loopback (imu_foundation.hub_server), for push_to_hub / from_pretrained /
# load_dataset tests.
# huggingface_hub reads HF_ENDPOINT and HF_HUB_OFFLINE at import, and this suite runs offline, so clients talk to it
# from a subprocess: ``local_hub.run_client(code, home=tmp_path)``.
# ------------------------------------------------------------------------------------------------------------------
@pytest.fixture
def local_hub(tmp_path):
    """A fresh, empty loopback hub storing under ``tmp_path / "hub"``; fails the test on unhandled requests."""
    from imu_foundation.hub_server import LocalHub

    with LocalHub(tmp_path / "hub") as hub:
        yield hub
    assert not hub.unhandled, f"requests the local hub does not implement: {hub.unhandled}"

"""The package's metrics as ``evaluate`` modules that load from their folders, with no network.

Each metric is a folder ``metrics/<name>/`` holding ``<name>.py`` (an ``evaluate.Metric`` with ``_info`` and
``_compute``, and the plain function that computes it: the package's one implementation) and ``README.md`` (its
card). ``evaluate.load("f1")`` downloads from the Hub; these load by path:

    >>> from imu_foundation.evaluation import load_metric
    >>> load_metric("macro_f1").compute(predictions=[0, 1, 1], references=[0, 1, 0])
    {'macro_f1': 0.6666666666666666}
    >>> evaluate.combine([load_metric("accuracy"), load_metric("macro_f1")]).compute(...)

- ``accuracy``: fraction of correct predictions (class indices or names);
- ``macro_f1``: mean F1 over the classes present in the references;
- ``retrieval``: Recall@k and MRR, text-to-IMU and IMU-to-text, from a similarity matrix (relevance: same label).

A folder is also a complete metric repo: :func:`push_metric_to_hub` publishes it as a Space (the form of Hub metrics),
after which ``evaluate.load("<user>/<name>")`` loads it anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

METRICS_DIR = Path(__file__).parent
# The Space's app: evaluate's widget for trying the metric in the browser.
_SPACE_APP = """import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load("{repo_id}")
launch_gradio_widget(module)
"""


def list_metrics() -> list[str]:
    """Names of the metrics shipped with the package."""
    return sorted(path.name for path in METRICS_DIR.iterdir() if (path / f"{path.name}.py").is_file())


def metric_path(name: str) -> Path:
    """The folder of a shipped metric (``evaluate.load(str(metric_path(name)))`` loads it)."""
    if name not in list_metrics():
        raise ValueError(f"Unknown metric {name!r}; the package ships {list_metrics()}.")
    return METRICS_DIR / name


def load_metric(name: str, **kwargs: Any):
    """``evaluate.load`` of a shipped metric from its folder: no network. ``kwargs`` go to ``evaluate.load``;
    ``keep_in_memory`` defaults to True (no cache files on disk)."""
    import evaluate

    return evaluate.load(str(metric_path(name)), **{"keep_in_memory": True, **kwargs})


def push_metric_to_hub(name: str, repo_id: str, *, token: str | None = None, private: bool | None = None) -> str:
    """Publishes a shipped metric as a Hub metric repo (a Gradio Space, as evaluate's own metrics are).

    The Space holds the script under the repo's name (``<repo name>.py``, what ``evaluate.load(repo_id)`` fetches),
    the card and an ``app.py`` with evaluate's widget. Returns the repo URL.
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    folder = metric_path(name)
    script_name = repo_id.split("/")[-1] + ".py"
    api = HfApi(token=token)
    url = api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
    operations = [
        CommitOperationAdd(path_in_repo=script_name, path_or_fileobj=str(folder / f"{name}.py")),
        CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=str(folder / "README.md")),
        CommitOperationAdd(path_in_repo="app.py", path_or_fileobj=_SPACE_APP.format(repo_id=repo_id).encode()),
    ]
    api.create_commit(repo_id, operations, commit_message=f"Metric {name}", repo_type="space")
    return str(url)


__all__ = ["METRICS_DIR", "list_metrics", "load_metric", "metric_path", "push_metric_to_hub"]

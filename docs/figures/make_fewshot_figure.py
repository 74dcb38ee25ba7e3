"""Few-shot macro-F1 against shots of the study's main rows, from the committed study outputs in docs/results/.

    python docs/figures/make_fewshot_figure.py    # writes docs/figures/fewshot_all.png

Every file holds seed 0 x 5 folds of the same protocol (the hand-crafted rows match run for run), so the curves are
paired; each method is drawn from the file whose command ran it last (the fine-tuned Img2Imu row from the run after
the BatchNorm fix).
"""

from __future__ import annotations

import json
from pathlib import Path

from imu_foundation.plotting import save_few_shot_plot

RESULTS = Path(__file__).resolve().parents[1] / "results"
# method -> the study output that holds it
ROWS = {
    "hand_crafted_lr": "fewshot_pretrained",
    "minirocket_ridge": "fewshot_pretrained",
    "cnn_scratch": "fewshot_pretrained",
    "multi3net_finetuned": "fewshot_pretrained",
    "statistics_plus_multi3net": "fewshot_midlevel_fused",
    "img2imu_imagenet_finetuned": "fewshot_img2imu_finetuned_moco",
    "img2imu_moco_finetuned": "fewshot_img2imu_finetuned_moco",
    "multi3net_img2imu_finetuned": "fewshot_multi3net_img2imu",
}


def main() -> Path:
    curves: dict[str, dict[str, list[tuple[int, float, float]]]] = {}
    chance = {}
    for method, name in ROWS.items():
        study = json.loads((RESULTS / f"{name}.json").read_text())
        for row in study["summary"]:
            if row["method"] == method:
                label = study["methods"][method]
                curves.setdefault(row["dataset"], {}).setdefault(label, []).append(
                    (row["shots"], row["macro_f1_mean"], row["macro_f1_std"])
                )
        chance.update({dataset: 1.0 / info["num_classes"] for dataset, info in study["datasets"].items()})
    return save_few_shot_plot(curves, Path(__file__).resolve().parent / "fewshot_all.png", chance=chance)


if __name__ == "__main__":
    print(main())

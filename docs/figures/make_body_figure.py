"""Draws the embedded generated body (front and side views) with its sensor sites: docs/images/embedded_body.png.

python docs/figures/make_body_figure.py
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from imu_foundation.simulation import load_body_model

OUTPUT = Path(__file__).resolve().parents[1] / "images" / "embedded_body.png"


def main() -> None:
    body = load_body_model()
    vertices = body.model.v_template.numpy()
    figure = Figure(figsize=(9, 6), layout="constrained")
    front, side = figure.subplots(1, 2, width_ratios=[1.8, 1])
    for axes, (h, label) in zip((front, side), ((0, "x (m, the body's left)"), (2, "z (m, forward)"))):
        axes.scatter(vertices[:, h], vertices[:, 1], s=2, c="0.6")
        for site in body.sites.values():
            x, y = vertices[site.vertex, h], vertices[site.vertex, 1]
            axes.scatter(x, y, s=30, c="tab:red", zorder=3)
            if h == 0 and not site.name.startswith("right_"):
                below = site.name in ("left_forearm", "left_shank")  # keep neighbouring labels apart
                offset = (-20, -12) if below else (4, 4)
                axes.annotate(site.name, (x, y), xytext=offset, textcoords="offset points", fontsize=7)
        axes.set_aspect("equal")
        axes.set_xlabel(label)
        axes.set_ylabel("y (m, up)")
    front.set_title(f"embedded body, rest pose ({body.num_vertices} vertices, 24 joints)")
    side.set_title("side view")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(OUTPUT, dpi=110)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

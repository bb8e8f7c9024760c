"""Plots every run_* folder in the current directory: training loss curves and generated samples."""

import glob
import os

os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")  # the sandbox's home is read-only
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

# Which runs to plot and their legend labels, in order. Add an entry for every run you want in
# the paper; run folders missing from this dict are plotted under their folder name.
labels = {
    "run_0": "Baseline",
}


def runs_to_plot():
    found = sorted(d for d in glob.glob("run_*") if os.path.exists(os.path.join(d, "all_results.npy")))
    ordered = [r for r in labels if r in found] + [r for r in found if r not in labels]
    return [(r, labels.get(r, r)) for r in ordered]


def load(run):
    return np.load(os.path.join(run, "all_results.npy"), allow_pickle=True).item()


def smooth(x, window=25):
    x = np.asarray(x, dtype=float)
    if len(x) < window:
        return x
    return np.convolve(x, np.ones(window) / window, mode="valid")


def main():
    runs = [(r, label, load(r)) for r, label in runs_to_plot()]
    if not runs:
        raise SystemExit("no run_*/all_results.npy found: run experiment.py first")
    datasets = list(runs[0][2]["curves"])
    colors = plt.cm.tab10(np.linspace(0, 1, 10))

    fig, axes = plt.subplots(1, len(datasets), figsize=(4 * len(datasets), 3.5), squeeze=False)
    for j, ds in enumerate(datasets):
        ax = axes[0][j]
        for i, (_, label, res) in enumerate(runs):
            if ds in res["curves"]:
                ax.plot(smooth(res["curves"][ds]["train_losses"]), label=label, color=colors[i % 10])
        ax.set_title(ds)
        ax.set_xlabel("Step")
        ax.set_ylabel("Training loss (smoothed)")
        ax.grid(True, alpha=0.3)
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig("train_loss.png", dpi=120)
    plt.close(fig)

    # One row per run, one column per dataset: generated points over the ground truth.
    fig, axes = plt.subplots(len(runs), len(datasets), figsize=(3.2 * len(datasets), 3.2 * len(runs)), squeeze=False)
    for i, (_, label, res) in enumerate(runs):
        for j, ds in enumerate(datasets):
            ax = axes[i][j]
            if ds in res["curves"]:
                c = res["curves"][ds]
                ax.scatter(c["truth"][:, 0], c["truth"][:, 1], s=1, alpha=0.3, color="gray")
                ax.scatter(c["samples"][:, 0], c["samples"][:, 1], s=1, alpha=0.6, color=colors[i % 10])
            ax.set_title(f"{label}: {ds}", fontsize=9)
            ax.set_xlim(-2, 2)
            ax.set_ylim(-2, 2)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    fig.savefig("generated_images.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()

"""Plots every run_* folder in the current directory: loss and accuracy curves per dataset."""

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


def main():
    runs = [(r, label, load(r)) for r, label in runs_to_plot()]
    if not runs:
        raise SystemExit("no run_*/all_results.npy found: run experiment.py first")
    datasets = list(runs[0][2]["curves"])
    colors = plt.cm.tab10(np.linspace(0, 1, 10))
    for metric, ylabel in [("train_loss", "Training loss"), ("val_loss", "Validation loss"), ("val_acc", "Validation accuracy")]:
        for ds in datasets:
            plt.figure(figsize=(6, 4))
            for i, (_, label, res) in enumerate(runs):
                log = res["curves"].get(ds)
                if not log:
                    continue
                plt.plot([e["step"] for e in log], [e[metric] for e in log], label=label, color=colors[i % 10])
            plt.title(f"{ylabel} on {ds}")
            plt.xlabel("Update step")
            plt.ylabel(ylabel)
            if metric != "val_acc":
                plt.yscale("log")
            plt.legend()
            plt.grid(True, alpha=0.3)
            plt.tight_layout()
            plt.savefig(f"{metric}_{ds}.png", dpi=120)
            plt.close()


if __name__ == "__main__":
    main()

"""Plots every run_* folder in the current directory: training and validation loss curves."""

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
    dataset = runs[0][2]["config"]["dataset"]
    colors = plt.cm.tab10(np.linspace(0, 1, 10))
    for metric, ylabel in [("train_loss", "Training loss"), ("val_loss", "Validation loss")]:
        plt.figure(figsize=(6, 4))
        for i, (_, label, res) in enumerate(runs):
            # Mean over seeds, with a band of one standard error when there are several.
            steps = [e["step"] for e in res["runs"][0]["log"]]
            curves = np.array([[e[metric] for e in r["log"]] for r in res["runs"]])
            mean = curves.mean(0)
            plt.plot(steps, mean, label=label, color=colors[i % 10])
            if len(curves) > 1:
                se = curves.std(0, ddof=1) / np.sqrt(len(curves))
                plt.fill_between(steps, mean - se, mean + se, color=colors[i % 10], alpha=0.2)
        plt.title(f"{ylabel} on {dataset}")
        plt.xlabel("Iteration")
        plt.ylabel(f"{ylabel} (nats per character)")
        plt.legend()
        plt.grid(True, alpha=0.3)
        plt.tight_layout()
        plt.savefig(f"{metric}_{dataset}.png", dpi=120)
        plt.close()


if __name__ == "__main__":
    main()

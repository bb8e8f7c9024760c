"""Denoising diffusion (DDPM) on 2-D point sets: an MLP learns to reverse a Gaussian noising process.

Usage: python experiment.py --out_dir run_0

Writes <out_dir>/final_info.json as {dataset: {"means": {metric: value}}} and
<out_dir>/all_results.npy (training curves and generated samples, read by plot.py).

Conventions of the durable-scientist runner (keep them when editing this file):
- SCIENTIST_FAST=1 (environment) shrinks the run to well under a minute on a CPU.
- SCIENTIST_SEED=k (environment, default 0) shifts every seed by 100*k: the runner's repeated seeds
  of the baseline and the final variant (the noise gate) set it.
- Every SCIENTIST_CHECKPOINT_EVERY steps, and after each dataset, <out_dir>/checkpoint.pt is
  written atomically; a run that finds one resumes from it (the runner restores it after a crash).
- Lines `SCIENTIST_PROGRESS {"step": s, "total": T, "loss": x}` on stdout report progress.
"""

import argparse
import copy
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.spatial import cKDTree

FAST = os.environ.get("SCIENTIST_FAST", "") == "1"
SEED_INDEX = int(os.environ.get("SCIENTIST_SEED") or 0)

CONFIG = dict(
    datasets=["circle", "moons", "line", "spiral"],
    num_points=20000,  # training points per dataset
    eval_points=2000,  # held-out points for the eval loss and the sample-quality metrics
    num_timesteps=100,
    beta_start=1e-4,
    beta_end=0.02,
    hidden_size=256,
    hidden_layers=3,
    embedding_dim=128,
    batch_size=256,
    lr=1e-3,
    ema_decay=0.995,
    steps_per_dataset=10000,
    seed=7,
)
if FAST:
    CONFIG.update(num_points=4000, eval_points=1000, hidden_size=64, embedding_dim=32, steps_per_dataset=300, lr=3e-3, ema_decay=0.98)

DEFAULT_CHECKPOINT_EVERY = 100 if FAST else 2000


# ---------------------------------------------------------------------------------------------
# Runner protocol: progress lines, atomic checkpoints, resume. Self-contained on purpose.
# ---------------------------------------------------------------------------------------------
def cpu_budget():
    """Cores this process may use: affinity, capped by a cgroup CPU quota (containers)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    for path in ("/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"):
        try:
            with open(path) as f:
                parts = f.read().split()
            if path.endswith("cpu.max"):
                if parts[0] != "max":
                    n = min(n, math.ceil(int(parts[0]) / int(parts[1])))
            else:
                quota = int(parts[0])
                with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
                    period = int(f.read())
                if quota > 0:
                    n = min(n, math.ceil(quota / period))
            break
        except (OSError, ValueError, IndexError):
            continue
    return max(1, n)


def rng_state():
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }


def set_rng_state(state):
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Checkpointer:
    """Checkpoint every `every` steps to <out_dir>/checkpoint.pt and report progress on stdout."""

    def __init__(self, out_dir, total, default_every):
        self.path = os.path.join(out_dir, "checkpoint.pt")
        self.total = total
        self.every = int(os.environ.get("SCIENTIST_CHECKPOINT_EVERY") or default_every)
        # Test hook: exit abruptly after this many steps, as if the machine had died.
        self.stop_after = int(os.environ.get("SCIENTIST_STOP_AFTER_STEPS") or 0)
        self.last_report = 0.0
        self.losses = []

    def load(self, config):
        if not os.path.exists(self.path):
            return None
        try:
            try:  # torch >= 2.6 loads weights only by default; RNG states need the full unpickler
                state = torch.load(self.path, map_location="cpu", weights_only=False)
            except TypeError:  # torch < 1.13 has no weights_only
                state = torch.load(self.path, map_location="cpu")
        except Exception as e:  # a torn or foreign file: start over rather than fail
            print(f"checkpoint unreadable ({e}); starting from scratch", flush=True)
            return None
        if state.get("config") != config:
            print("checkpoint was written with another configuration; starting from scratch", flush=True)
            return None
        print("SCIENTIST_RESUMED " + json.dumps({"step": state["step"]}), flush=True)
        return state

    def save(self, state):
        tmp = self.path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.path)  # atomic: a reader never sees a half-written checkpoint

    def due(self, step):
        return self.every > 0 and step % self.every == 0

    def report(self, step, loss):
        self.losses.append(loss)
        now = time.monotonic()
        if step == 1 or step == self.total or now - self.last_report >= 2.0:
            mean = sum(self.losses) / len(self.losses)
            line = {"step": step, "total": self.total, "loss": mean if math.isfinite(mean) else None}
            print("SCIENTIST_PROGRESS " + json.dumps(line), flush=True)
            self.last_report = now
            self.losses = []

    def maybe_stop(self, step):
        if self.stop_after and step >= self.stop_after:
            print(f"stopping after step {step} (SCIENTIST_STOP_AFTER_STEPS)", flush=True)
            sys.stdout.flush()
            os._exit(75)



# ---------------------------------------------------------------------------------------------
# Data: synthetic 2-D point clouds, generated from a seed (nothing is downloaded).
# ---------------------------------------------------------------------------------------------
def make_points(name, n, seed):
    rng = np.random.RandomState(seed)
    if name == "circle":
        a = rng.uniform(0, 2 * np.pi, n)
        pts = np.stack([np.cos(a), np.sin(a)], 1) + rng.normal(0, 0.03, (n, 2))
    elif name == "moons":
        a = rng.uniform(0, np.pi, n)
        upper = rng.rand(n) < 0.5
        x = np.where(upper, np.cos(a), 1 - np.cos(a))
        y = np.where(upper, np.sin(a), 0.5 - np.sin(a))
        pts = np.stack([x - 0.5, y - 0.25], 1) * 1.2 + rng.normal(0, 0.05, (n, 2))
    elif name == "line":
        x = rng.uniform(-1, 1, n)
        pts = np.stack([x, 0.5 * x], 1) + rng.normal(0, 0.02, (n, 2))
    elif name == "spiral":
        t = np.sqrt(rng.uniform(0.05, 1, n)) * 3 * np.pi
        pts = np.stack([t * np.cos(t), t * np.sin(t)], 1) / (3 * np.pi) + rng.normal(0, 0.02, (n, 2))
    else:
        raise ValueError(f"unknown dataset {name}")
    return torch.tensor(pts, dtype=torch.float32)


# ---------------------------------------------------------------------------------------------
# Model: an MLP on sinusoidal features of the point and of the timestep, predicting the noise.
# ---------------------------------------------------------------------------------------------
def sinusoidal(x, dim, scale=1.0):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=x.device) / max(half - 1, 1))
    angles = scale * x[:, None] * freqs[None]
    return torch.cat([torch.sin(angles), torch.cos(angles)], -1)


class Denoiser(nn.Module):
    def __init__(self, hidden, layers, emb):
        super().__init__()
        self.emb = emb
        self.inp = nn.Linear(3 * emb, hidden)
        self.blocks = nn.ModuleList(nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, hidden), nn.GELU()) for _ in range(layers))
        self.out = nn.Linear(hidden, 2)

    def forward(self, x, t):
        # Coordinates are scaled up so that small distances change the features (like Fourier features).
        h = torch.cat([sinusoidal(x[:, 0], self.emb, 25.0), sinusoidal(x[:, 1], self.emb, 25.0), sinusoidal(t.float(), self.emb)], -1)
        h = self.inp(h)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class Schedule:
    """The DDPM forward process q(x_t | x_0) and the ancestral sampler."""

    def __init__(self, steps, beta_start, beta_end, device):
        self.steps = steps
        self.betas = torch.linspace(beta_start, beta_end, steps, device=device)
        self.alphas = 1.0 - self.betas
        self.abar = torch.cumprod(self.alphas, 0)

    def noisy(self, x0, t, noise):
        a = self.abar[t][:, None]
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    @torch.no_grad()
    def sample(self, model, n, generator, device):
        x = torch.randn(n, 2, generator=generator).to(device)
        for t in reversed(range(self.steps)):
            ts = torch.full((n,), t, device=device, dtype=torch.long)
            eps = model(x, ts)
            mean = (x - self.betas[t] / (1 - self.abar[t]).sqrt() * eps) / self.alphas[t].sqrt()
            if t > 0:
                var = self.betas[t] * (1 - self.abar[t - 1]) / (1 - self.abar[t])
                mean = mean + var.sqrt() * torch.randn(n, 2, generator=generator).to(device)
            x = mean
        return x


def knn_kl(p, q, k=5):
    """kNN estimate of KL(p || q) in nats from samples (Wang, Kulkarni and Verdu, 2009)."""
    n, m, d = len(p), len(q), p.shape[1]
    r = cKDTree(p).query(p, k + 1)[0][:, -1]  # the point itself is its own nearest neighbour
    s = cKDTree(q).query(p, k)[0]
    s = s[:, -1] if s.ndim > 1 else s
    r, s = np.maximum(r, 1e-10), np.maximum(s, 1e-10)
    return float(d * np.mean(np.log(s / r)) + math.log(m / (n - 1)))


def rbf_mmd2(x, y):
    """Squared maximum mean discrepancy with a Gaussian kernel, bandwidth = median distance."""
    z = np.concatenate([x, y])
    d2 = ((z[:, None] - z[None]) ** 2).sum(-1)
    k = np.exp(-d2 / np.median(d2[d2 > 0]))
    n = len(x)
    return float(k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean())


@torch.no_grad()
def eval_loss(model, sched, points, seed, device):
    g = torch.Generator().manual_seed(seed)
    t = torch.randint(0, sched.steps, (len(points),), generator=g).to(device)
    noise = torch.randn(points.shape, generator=g).to(device)
    x0 = points.to(device)
    return F.mse_loss(model(sched.noisy(x0, t, noise), t), noise).item()


def main():
    parser = argparse.ArgumentParser(description="DDPM on 2-D point sets")
    parser.add_argument("--out_dir", type=str, default="run_0")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    # Half the cores: on a shared or hyper-threaded machine more threads run slower, not faster.
    torch.set_num_threads(int(os.environ.get("SCIENTIST_NUM_THREADS") or max(1, cpu_budget() // 2)))
    device = "cuda" if torch.cuda.is_available() else "cpu"

    cfg = CONFIG
    steps = cfg["steps_per_dataset"]
    total = steps * len(cfg["datasets"])
    ckpt = Checkpointer(args.out_dir, total, DEFAULT_CHECKPOINT_EVERY)
    state = ckpt.load(cfg) or {"dataset_index": 0, "step": 0, "results": {}, "curves": {}}
    results, curves = state["results"], state["curves"]
    sched = Schedule(cfg["num_timesteps"], cfg["beta_start"], cfg["beta_end"], device)

    for di in range(state["dataset_index"], len(cfg["datasets"])):
        name = cfg["datasets"][di]
        seed = cfg["seed"] + 100 * SEED_INDEX + di
        train = make_points(name, cfg["num_points"], seed)
        held_out = make_points(name, cfg["eval_points"], seed + 1000)
        seed_everything(seed)
        model = Denoiser(cfg["hidden_size"], cfg["hidden_layers"], cfg["embedding_dim"]).to(device)
        ema = copy.deepcopy(model)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
        data_rng = torch.Generator().manual_seed(seed)
        start, losses, elapsed = 0, [], 0.0
        if state.get("model") is not None and state["dataset_index"] == di:
            model.load_state_dict(state["model"])
            ema.load_state_dict(state["ema"])
            opt.load_state_dict(state["optimizer"])
            data_rng.set_state(state["data_rng"])
            set_rng_state(state["rng"])
            start, losses, elapsed = state["local_step"], state["losses"], state["elapsed"]
        state = {}  # only the first dataset of a resumed run restores anything

        print(f"dataset {name}: {len(train)} points", flush=True)
        t0 = time.time() - elapsed
        for step in range(start + 1, steps + 1):
            for group in opt.param_groups:  # cosine decay to 10 % of the base rate
                group["lr"] = cfg["lr"] * (0.55 + 0.45 * math.cos(math.pi * (step - 1) / steps))
            idx = torch.randint(len(train), (cfg["batch_size"],), generator=data_rng)
            x0 = train[idx].to(device)
            t = torch.randint(0, sched.steps, (len(x0),), generator=data_rng).to(device)
            noise = torch.randn(x0.shape, generator=data_rng).to(device)
            loss = F.mse_loss(model(sched.noisy(x0, t, noise), t), noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(cfg["ema_decay"]).add_(pm, alpha=1 - cfg["ema_decay"])
            losses.append(loss.item())

            global_step = di * steps + step
            ckpt.report(global_step, loss.item())
            if ckpt.due(global_step) and step < steps:
                ckpt.save(
                    {
                        "config": cfg, "step": global_step, "dataset_index": di, "local_step": step,
                        "results": results, "curves": curves, "losses": losses, "elapsed": time.time() - t0,
                        "model": model.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(),
                        "data_rng": data_rng.get_state(), "rng": rng_state(),
                    }
                )
            ckpt.maybe_stop(global_step)
        train_time = time.time() - t0

        ema.eval()
        t1 = time.time()
        samples = sched.sample(ema, cfg["eval_points"], torch.Generator().manual_seed(seed + 2000), device).cpu()
        inference_time = time.time() - t1
        truth, gen = held_out.numpy(), samples.numpy()
        window = max(1, len(losses) // 10)
        results[name] = {
            "training_loss": float(np.mean(losses[-window:])),
            "eval_loss": eval_loss(ema, sched, held_out, seed + 3000, device),
            "kl_divergence": knn_kl(truth, gen),
            "mmd": rbf_mmd2(truth[:1000], gen[:1000]),
            "training_time": train_time,
            "inference_time": inference_time,
            # Parameters of the denoiser trained: the compute ledger compares variants by it.
            "n_params": sum(p.numel() for p in model.parameters()),
        }
        curves[name] = {"train_losses": losses, "samples": gen, "truth": truth}
        print(f"dataset {name}: " + json.dumps(results[name]), flush=True)
        # A checkpoint at the boundary holds results only: small, and a resume skips this dataset.
        ckpt.save({"config": cfg, "step": (di + 1) * steps, "dataset_index": di + 1, "results": results, "curves": curves})

    final_info = {name: {"means": metrics} for name, metrics in results.items()}
    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump(final_info, f, indent=2)
    np.save(os.path.join(args.out_dir, "all_results.npy"), {"config": cfg, "curves": curves})


if __name__ == "__main__":
    main()

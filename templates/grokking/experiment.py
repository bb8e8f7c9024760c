"""Grokking on algorithmic data: a small transformer learns a binary operation from half its table.

Usage: python experiment.py --out_dir run_0

Writes <out_dir>/final_info.json as {dataset: {"means": {metric: value}}} and
<out_dir>/all_results.npy (training curves, read by plot.py).

Conventions of the durable-scientist runner (keep them when editing this file):
- SCIENTIST_FAST=1 (environment) shrinks the run to well under a minute on a CPU.
- SCIENTIST_SEED=k (environment, default 0) shifts every seed by 100*k: the runner's repeated seeds
  of the baseline and the final variant (the noise gate) set it.
- Every SCIENTIST_CHECKPOINT_EVERY steps, and after each dataset, <out_dir>/checkpoint.pt is
  written atomically; a run that finds one resumes from it (the runner restores it after a crash).
- Lines `SCIENTIST_PROGRESS {"step": s, "total": T, "loss": x}` on stdout report progress.
"""

import argparse
import itertools
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

FAST = os.environ.get("SCIENTIST_FAST", "") == "1"
SEED_INDEX = int(os.environ.get("SCIENTIST_SEED") or 0)

CONFIG = dict(
    datasets=["x_plus_y", "x_minus_y", "x_div_y", "permutation"],
    prime=97,  # modulus of the arithmetic tasks
    perm_n=5,  # the permutation task composes elements of S_n
    train_fraction=0.5,
    num_layers=2,
    dim_model=128,
    num_heads=4,
    batch_size=512,
    lr=1e-3,
    weight_decay=0.5,
    warmup_steps=50,
    steps_per_dataset=7500,
    eval_every=100,
    seed=1337,
)
if FAST:
    CONFIG.update(
        prime=23, perm_n=4, dim_model=64, batch_size=128, lr=3e-3, warmup_steps=10, steps_per_dataset=150, eval_every=25
    )

DEFAULT_CHECKPOINT_EVERY = 50 if FAST else 1000


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
# Data: every (x, y) pair of the operation's table, split at random into train and validation.
# Sequences are [x, op, y, =]; the model predicts the answer at the last position.
# ---------------------------------------------------------------------------------------------
def make_dataset(name, config, seed):
    p = config["prime"]
    if name == "permutation":
        elements = list(itertools.permutations(range(config["perm_n"])))
        index = {perm: i for i, perm in enumerate(elements)}
        n = len(elements)
        pairs = [(a, b, index[tuple(elements[a][j] for j in elements[b])]) for a in range(n) for b in range(n)]
    elif name == "x_plus_y":
        n = p
        pairs = [(x, y, (x + y) % p) for x in range(p) for y in range(p)]
    elif name == "x_minus_y":
        n = p
        pairs = [(x, y, (x - y) % p) for x in range(p) for y in range(p)]
    elif name == "x_div_y":
        n = p
        pairs = [(x, y, (x * pow(y, p - 2, p)) % p) for x in range(p) for y in range(1, p)]
    else:
        raise ValueError(f"unknown dataset {name}")
    op, eq = n, n + 1  # two extra tokens after the n element tokens
    data = torch.tensor([[a, op, b, eq, c] for a, b, c in pairs], dtype=torch.long)
    g = torch.Generator().manual_seed(seed)
    data = data[torch.randperm(len(data), generator=g)]
    n_train = int(len(data) * config["train_fraction"])
    return data[:n_train], data[n_train:], n + 2, n


# ---------------------------------------------------------------------------------------------
# Model: a causal decoder-only transformer.
# ---------------------------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    def __init__(self, vocab, n_out, dim, heads, layers, seq_len=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(seq_len, dim)
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_out)
        self.register_buffer("mask", torch.triu(torch.ones(seq_len, seq_len, dtype=torch.bool), 1))

    def forward(self, seq):
        x = self.tok(seq) + self.pos(torch.arange(seq.shape[1], device=seq.device))
        for block in self.blocks:
            x = block(x, self.mask)
        return self.head(self.ln(x[:, -1]))


@torch.no_grad()
def evaluate(model, data, device, batch=4096):
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(data), batch):
        chunk = data[i : i + batch].to(device)
        logits = model(chunk[:, :4])
        loss_sum += F.cross_entropy(logits, chunk[:, 4], reduction="sum").item()
        correct += (logits.argmax(-1) == chunk[:, 4]).sum().item()
    model.train()
    return loss_sum / len(data), correct / len(data)


def build(config, vocab, n_out, device):
    model = Transformer(vocab, n_out, config["dim_model"], config["num_heads"], config["num_layers"]).to(device)
    opt = torch.optim.AdamW(
        model.parameters(), lr=config["lr"], betas=(0.9, 0.98), weight_decay=config["weight_decay"]
    )
    return model, opt


def main():
    parser = argparse.ArgumentParser(description="Grokking on modular arithmetic")
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

    for di in range(state["dataset_index"], len(cfg["datasets"])):
        name = cfg["datasets"][di]
        seed = cfg["seed"] + 100 * SEED_INDEX + di
        train, val, vocab, n_out = make_dataset(name, cfg, seed)
        seed_everything(seed)
        model, opt = build(cfg, vocab, n_out, device)
        data_rng = torch.Generator().manual_seed(seed)
        start, log, elapsed = 0, [], 0.0
        if state.get("model") is not None and state["dataset_index"] == di:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            data_rng.set_state(state["data_rng"])
            set_rng_state(state["rng"])
            start, log, elapsed = state["local_step"], state["log"], state["elapsed"]
        state = {}  # only the first dataset of a resumed run restores anything

        print(f"dataset {name}: {len(train)} train / {len(val)} val examples, vocab {vocab}", flush=True)
        t0 = time.time() - elapsed
        for step in range(start + 1, steps + 1):
            for group in opt.param_groups:  # linear warm-up, then constant
                group["lr"] = cfg["lr"] * min(1.0, step / cfg["warmup_steps"])
            idx = torch.randint(len(train), (cfg["batch_size"],), generator=data_rng)
            batch = train[idx].to(device)
            loss = F.cross_entropy(model(batch[:, :4]), batch[:, 4])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

            if step % cfg["eval_every"] == 0 or step == steps:
                tl, ta = evaluate(model, train, device)
                vl, va = evaluate(model, val, device)
                log.append({"step": step, "train_loss": tl, "train_acc": ta, "val_loss": vl, "val_acc": va})
            global_step = di * steps + step
            ckpt.report(global_step, loss.item())
            if ckpt.due(global_step) and step < steps:
                ckpt.save(
                    {
                        "config": cfg, "step": global_step, "dataset_index": di, "local_step": step,
                        "results": results, "curves": curves, "log": log, "elapsed": time.time() - t0,
                        "model": model.state_dict(), "optimizer": opt.state_dict(),
                        "data_rng": data_rng.get_state(), "rng": rng_state(),
                    }
                )
            ckpt.maybe_stop(global_step)

        last = log[-1]
        reached = [e["step"] for e in log if e["val_acc"] >= 0.99]
        results[name] = {
            "final_train_loss": last["train_loss"],
            "final_val_loss": last["val_loss"],
            "final_train_acc": last["train_acc"],
            "final_val_acc": last["val_acc"],
            "step_val_acc_99": reached[0] if reached else steps,
            "train_time_s": time.time() - t0,
            # Parameters of the model trained: the compute ledger compares variants by it.
            "n_params": sum(p.numel() for p in model.parameters()),
        }
        curves[name] = log
        print(f"dataset {name}: " + json.dumps(results[name]), flush=True)
        # A checkpoint at the boundary holds results only: small, and a resume skips this dataset.
        ckpt.save({"config": cfg, "step": (di + 1) * steps, "dataset_index": di + 1, "results": results, "curves": curves})

    final_info = {name: {"means": metrics} for name, metrics in results.items()}
    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump(final_info, f, indent=2)
    np.save(os.path.join(args.out_dir, "all_results.npy"), {"config": cfg, "curves": curves})


if __name__ == "__main__":
    main()

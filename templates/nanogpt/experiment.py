"""A character-level GPT trained on a small corpus of fables that ships with this template.

Usage: python experiment.py --out_dir run_0

Writes <out_dir>/final_info.json as {dataset: {"means": {metric: value}, "stderrs": {...}}} (mean
and standard error over seeds) and <out_dir>/all_results.npy (per-seed curves and a text sample).

Conventions of the durable-scientist runner (keep them when editing this file):
- SCIENTIST_FAST=1 (environment) shrinks the run to well under a minute on a CPU.
- SCIENTIST_SEED=k (environment, default 0) shifts every seed by 100*k: the runner's repeated seeds
  of the baseline and the final variant (the noise gate) set it.
- Every SCIENTIST_CHECKPOINT_EVERY steps, and after each seed, <out_dir>/checkpoint.pt is
  written atomically; a run that finds one resumes from it (the runner restores it after a crash).
- Lines `SCIENTIST_PROGRESS {"step": s, "total": T, "loss": x}` on stdout report progress.
"""

import argparse
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
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

CONFIG = dict(
    dataset="fables",  # data/corpus.txt, written by data/make_corpus.py
    seeds=[0, 1],
    val_fraction=0.1,
    n_layer=6,
    n_head=6,
    n_embd=384,
    block_size=256,
    dropout=0.2,
    batch_size=64,
    lr=1e-3,
    min_lr=1e-4,
    warmup_steps=100,
    weight_decay=0.1,
    max_steps=5000,
    eval_every=250,
    eval_batches=50,
    sample_chars=500,
)
if FAST:
    CONFIG.update(
        seeds=[0], n_layer=2, n_head=2, n_embd=64, block_size=64, dropout=0.0, batch_size=16, lr=3e-3,
        warmup_steps=20, max_steps=250, eval_every=50, eval_batches=4, sample_chars=100,
    )

DEFAULT_CHECKPOINT_EVERY = 50 if FAST else 500


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
# Data: characters of the corpus as integer ids; random windows of block_size + 1 characters.
# ---------------------------------------------------------------------------------------------
def load_corpus(config):
    with open(os.path.join(DATA_DIR, "corpus.txt"), encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n_val = int(len(data) * config["val_fraction"])
    return data[:-n_val], data[-n_val:], chars


def get_batch(data, config, generator, device):
    bs, block = config["batch_size"], config["block_size"]
    ix = torch.randint(len(data) - block - 1, (bs,), generator=generator)
    x = torch.stack([data[i : i + block] for i in ix.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + block] for i in ix.tolist()])
    return x.to(device), y.to(device)


# ---------------------------------------------------------------------------------------------
# Model: a GPT (pre-norm transformer decoder with learned positions and tied embeddings).
# ---------------------------------------------------------------------------------------------
class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_head = c["n_head"]
        self.qkv = nn.Linear(c["n_embd"], 3 * c["n_embd"])
        self.proj = nn.Linear(c["n_embd"], c["n_embd"])
        self.drop = nn.Dropout(c["dropout"])
        mask = torch.tril(torch.ones(c["block_size"], c["block_size"], dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, c["block_size"], c["block_size"]))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf")).softmax(-1)
        y = (self.drop(att) @ v).transpose(1, 2).reshape(B, T, C)
        return self.drop(self.proj(y))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln1 = nn.LayerNorm(c["n_embd"])
        self.attn = CausalSelfAttention(c)
        self.ln2 = nn.LayerNorm(c["n_embd"])
        self.mlp = nn.Sequential(
            nn.Linear(c["n_embd"], 4 * c["n_embd"]), nn.GELU(), nn.Linear(4 * c["n_embd"], c["n_embd"]),
            nn.Dropout(c["dropout"]),
        )

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.block_size = c["block_size"]
        self.tok = nn.Embedding(vocab, c["n_embd"])
        self.pos = nn.Embedding(c["block_size"], c["n_embd"])
        self.drop = nn.Dropout(c["dropout"])
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["n_layer"]))
        self.ln = nn.LayerNorm(c["n_embd"])
        self.head = nn.Linear(c["n_embd"], vocab, bias=False)
        self.head.weight = self.tok.weight  # weight tying
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.drop(self.tok(idx) + self.pos(torch.arange(T, device=idx.device)))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln(x))
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, n, generator):
        for _ in range(n):
            logits, _ = self(idx[:, -self.block_size :])
            probs = logits[:, -1].softmax(-1).cpu()
            idx = torch.cat([idx, torch.multinomial(probs, 1, generator=generator).to(idx.device)], 1)
        return idx


@torch.no_grad()
def estimate_loss(model, data, config, seed, device):
    """Mean loss over a fixed set of batches (same batches at every evaluation)."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    losses = [model(*get_batch(data, config, g, device))[1].item() for _ in range(config["eval_batches"])]
    model.train()
    return float(np.mean(losses))


def lr_at(step, c):
    if step <= c["warmup_steps"]:
        return c["lr"] * step / c["warmup_steps"]
    progress = (step - c["warmup_steps"]) / max(1, c["max_steps"] - c["warmup_steps"])
    return c["min_lr"] + 0.5 * (c["lr"] - c["min_lr"]) * (1 + math.cos(math.pi * progress))


def build(cfg, vocab, device):
    model = GPT(cfg, vocab).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}]
    return model, torch.optim.AdamW(groups, lr=cfg["lr"], betas=(0.9, 0.99))


def main():
    parser = argparse.ArgumentParser(description="Character-level GPT on a small corpus")
    parser.add_argument("--out_dir", type=str, default="run_0")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    # Half the cores: on a shared or hyper-threaded machine more threads run slower, not faster.
    torch.set_num_threads(int(os.environ.get("SCIENTIST_NUM_THREADS") or max(1, cpu_budget() // 2)))
    device = "cuda" if torch.cuda.is_available() else "cpu"

    cfg = CONFIG
    train, val, chars = load_corpus(cfg)
    steps = cfg["max_steps"]
    total = steps * len(cfg["seeds"])
    ckpt = Checkpointer(args.out_dir, total, DEFAULT_CHECKPOINT_EVERY)
    state = ckpt.load(cfg) or {"run_index": 0, "step": 0, "runs": []}
    runs = state["runs"]  # one entry of metrics and curves per finished seed
    tokens_per_step = cfg["batch_size"] * cfg["block_size"]

    for ri in range(state["run_index"], len(cfg["seeds"])):
        seed = cfg["seeds"][ri] + 100 * SEED_INDEX
        seed_everything(seed)
        model, opt = build(cfg, len(chars), device)
        data_rng = torch.Generator().manual_seed(seed)
        start, log, elapsed = 0, [], 0.0
        if state.get("model") is not None and state["run_index"] == ri:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            data_rng.set_state(state["data_rng"])
            set_rng_state(state["rng"])
            start, log, elapsed = state["local_step"], state["log"], state["elapsed"]
        state = {}  # only the first seed of a resumed run restores anything

        print(f"seed {seed}: {len(train)} train / {len(val)} val characters, vocab {len(chars)}", flush=True)
        t0 = time.time() - elapsed
        for step in range(start + 1, steps + 1):
            for group in opt.param_groups:
                group["lr"] = lr_at(step, cfg)
            _, loss = model(*get_batch(train, cfg, data_rng, device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

            if step % cfg["eval_every"] == 0 or step == steps:
                log.append({
                    "step": step,
                    "train_loss": estimate_loss(model, train, cfg, 10_000 + seed, device),
                    "val_loss": estimate_loss(model, val, cfg, 20_000 + seed, device),
                })
            global_step = ri * steps + step
            ckpt.report(global_step, loss.item())
            if ckpt.due(global_step) and step < steps:
                ckpt.save({
                    "config": cfg, "step": global_step, "run_index": ri, "local_step": step, "runs": runs,
                    "log": log, "elapsed": time.time() - t0, "model": model.state_dict(),
                    "optimizer": opt.state_dict(), "data_rng": data_rng.get_state(), "rng": rng_state(),
                })
            ckpt.maybe_stop(global_step)
        train_time = time.time() - t0

        model.eval()
        t1 = time.time()
        prompt = torch.tensor([[chars.index("\n")]], device=device)
        out = model.generate(prompt, cfg["sample_chars"], torch.Generator().manual_seed(seed))
        sample_time = time.time() - t1
        sample = "".join(chars[i] for i in out[0].tolist())
        metrics = {
            "final_train_loss": log[-1]["train_loss"],
            "final_val_loss": log[-1]["val_loss"],
            "best_val_loss": min(e["val_loss"] for e in log),
            "total_train_time": train_time,
            # Measured over the whole run, including evaluations, so it compares end-to-end cost.
            "train_tokens_per_second": steps * tokens_per_step / train_time,
            "sample_tokens_per_second": cfg["sample_chars"] / sample_time,
            # Parameters of the model trained: the compute ledger compares variants by it.
            "n_params": sum(p.numel() for p in model.parameters()),
        }
        runs.append({"seed": seed, "metrics": metrics, "log": log, "sample": sample})
        print(f"seed {seed}: " + json.dumps(metrics), flush=True)
        print("sample: " + sample.strip().replace("\n", " | ")[:200], flush=True)
        # A checkpoint at the boundary holds results only: small, and a resume skips this seed.
        ckpt.save({"config": cfg, "step": (ri + 1) * steps, "run_index": ri + 1, "runs": runs})

    names = list(runs[0]["metrics"])
    values = {k: np.array([r["metrics"][k] for r in runs]) for k in names}
    means = {k: float(v.mean()) for k, v in values.items()}
    stderrs = {k: float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0 for k, v in values.items()}
    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump({cfg["dataset"]: {"means": means, "stderrs": stderrs}}, f, indent=2)
    np.save(os.path.join(args.out_dir, "all_results.npy"), {"config": cfg, "runs": runs})


if __name__ == "__main__":
    main()

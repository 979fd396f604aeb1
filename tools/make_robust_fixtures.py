#!/usr/bin/python3
"""Make the robust multi-teacher fixtures of MLNet.Distillation (issue 15 item 5).

What it makes, in tests/MLNet.Distillation.Tests/Fixtures/robust/:
  - digits.csv.gz   scikit-learn's bundled UCI optical digits (1,797 rows, 64
      pixel features 0..16, 10 classes), rows shuffled with a fixed seed,
      columns Label,F0..F63,Split (Label = 0..9, Split = train/test, a
      stratified 70/30 split), gzip'ed with mtime 0 so the bytes are reproducible.
  - digits_clean_teacher.onnx   "features" [batch,64] -> "logits" [batch,10];
      MLP 64-128-128-10 (ReLU) trained on the train split with cross-entropy;
      the train-split standardisation is the graph's first op (raw pixels in).
  - digits_robust_teacher.onnx  the same architecture adversarially trained
      (Madry et al. 2018) for ROBUST_EPOCHS epochs: every step trains on PGD
      examples of the batch (TRAIN_STEPS steps of TRAIN_STEP_SIZE).
  - robust_reference.json   PyTorch logits of both teachers on the first 8 rows,
      their clean and adversarial test accuracies under the attack below, and
      the attack's settings.

The attack (the same as the C# AdversarialAttack with Space = Standardized):
an L-infinity ball of radius EPSILON in the standardised feature space, i.e.
|x'_j - x_j| <= EPSILON * std_j with std_j the train split's (population)
standard deviation of feature j (0 for constant pixels: never perturbed), and
x' clipped to the train split's per-feature [min, max]. PGD: a uniform random
start in the ball, STEPS steps of STEP_SIZE * std_j * sign(gradient of the
cross-entropy with the true label), projected after each step.

How to run
==========
    apt-get install python3-torch python3-onnx python3-sklearn libopenblas0-pthread
    /usr/bin/python3 tools/make_robust_fixtures.py

Written against Debian 12's torch 1.13, onnx 1.12, scikit-learn 1.2. Seeded,
CPU only, 2 threads; about 10 minutes on 2 busy cores.
"""

import gzip
import io
import json
import os
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "MLNet.Distillation.Tests", "Fixtures", "robust")
OPSET = 13
EPSILON = 0.3        # L-inf radius in units of each feature's train standard deviation
STEPS = 10           # PGD steps of the evaluation attack
STEP_SIZE = 0.075    # per step, in the same units (EPSILON / 4)
TRAIN_STEPS = 5      # PGD steps of adversarial training (cheaper than the evaluation attack, as usual)
TRAIN_STEP_SIZE = 0.15   # 2.5 * EPSILON / TRAIN_STEPS (Madry et al.)
EPOCHS = 60
ROBUST_EPOCHS = 40
HIDDEN = 128


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Teacher(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(1.0 / np.where(std > 0, std, 1.0), dtype=torch.float32))
        self.net = nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))

    def forward(self, x):
        return self.net((x - self.mean) * self.scale)


def pgd(model, x, y, std, lo, hi, eps, steps, step_size, gen):
    """L-inf PGD in the standardised space (radius eps*std_j), clipped to [lo, hi]."""
    was_training = model.training
    model.eval()
    delta = (torch.rand(x.shape, generator=gen) * 2 - 1) * eps * std
    x_adv = torch.clamp(x + delta, lo, hi)
    for _ in range(steps):
        x_adv = x_adv.detach().requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        grad, = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + step_size * std * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps * std), x + eps * std)
        x_adv = torch.clamp(x_adv, lo, hi)
    model.train(was_training)
    return x_adv.detach()


def train(model, x, y, adversarial, std, lo, hi, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    n = len(x)
    for epoch in range(ROBUST_EPOCHS if adversarial else EPOCHS):
        model.train()
        order = torch.randperm(n, generator=gen)
        for s in range(0, n, 64):
            idx = order[s:s + 64]
            xb, yb = x[idx], y[idx]
            if adversarial:
                xb = pgd(model, xb, yb, std, lo, hi, EPSILON, TRAIN_STEPS, TRAIN_STEP_SIZE, gen)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def export(model, path):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(2, 64),), path, input_names=["features"], output_names=["logits"],
                          dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}}, opset_version=OPSET,
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL, export_params=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    log(f"  {os.path.relpath(path, REPO)}: {os.path.getsize(path)} bytes")


def main():
    start = time.time()
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    digits = load_digits()
    x_all = digits.data.astype(np.float32)
    y_all = digits.target.astype(np.int64)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(x_all))
    x_all, y_all = x_all[perm], y_all[perm]
    train_idx, test_idx = train_test_split(np.arange(len(x_all)), test_size=0.3, stratify=y_all, random_state=0)
    split = np.array(["train"] * len(x_all), dtype=object)
    split[test_idx] = "test"

    buf = io.StringIO()
    buf.write("Label," + ",".join(f"F{j}" for j in range(64)) + ",Split\n")
    for i in range(len(x_all)):
        buf.write(f"{y_all[i]}," + ",".join(str(int(v)) for v in x_all[i]) + f",{split[i]}\n")
    csv_path = os.path.join(OUT, "digits.csv.gz")
    with open(csv_path, "wb") as raw:
        with gzip.GzipFile(filename="digits.csv", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(buf.getvalue().encode("ascii"))
    log(f"  {os.path.relpath(csv_path, REPO)}: {os.path.getsize(csv_path)} bytes")

    is_train = split == "train"
    xtr, ytr = torch.tensor(x_all[is_train]), torch.tensor(y_all[is_train])
    xte, yte = torch.tensor(x_all[~is_train]), torch.tensor(y_all[~is_train])
    mean = xtr.mean(0).numpy()
    std_np = xtr.std(0, unbiased=False).numpy()
    std = torch.tensor(std_np)
    lo, hi = xtr.min(0).values, xtr.max(0).values

    reference = {"epsilon": EPSILON, "steps": STEPS, "step_size": STEP_SIZE, "space": "standardized",
                 "robust_training": {"epochs": ROBUST_EPOCHS, "pgd_steps": TRAIN_STEPS, "step_size": TRAIN_STEP_SIZE},
                 "rows": {"train": int(is_train.sum()), "test": int((~is_train).sum())}, "teachers": {}}
    for name, adversarial, seed in [("clean", False, 1), ("robust", True, 2)]:
        log(f"training the {name} teacher")
        model = train(Teacher(mean, std_np), xtr, ytr, adversarial, std, lo, hi, seed)
        gen = torch.Generator().manual_seed(7)
        x_adv = pgd(model, xte, yte, std, lo, hi, EPSILON, STEPS, STEP_SIZE, gen)
        clean_acc, adv_acc = accuracy(model, xte, yte), accuracy(model, x_adv, yte)
        log(f"  {name}: clean test accuracy {clean_acc:.4f}, PGD-{STEPS} accuracy {adv_acc:.4f} (own gradients)")
        path = os.path.join(OUT, f"digits_{name}_teacher.onnx")
        export(model, path)
        with torch.no_grad():
            logits = model(torch.tensor(x_all[:8]))
        reference["teachers"][name] = {"file": os.path.basename(path), "clean_test_accuracy": clean_acc,
                                       "pgd_test_accuracy_white_box": adv_acc,
                                       "logits_first_8_rows": [[float(v) for v in row] for row in logits]}
    with open(os.path.join(OUT, "robust_reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    log(f"done in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch side of the student training-speed benchmark (tests/MLNet.Distillation.Benchmarks --student-speed).

Trains the same student as the library -- same layers, batch size, optimiser (Adam, lr 1e-3, no weight decay), loss
(Hinton KD: alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE), float32, thread count -- on the same
rows, read from the .npy files the benchmark wrote, and prints one `RESULT epoch <i> <wall s> <CPU s> <loss>` line per epoch.

The loop is the fast idiomatic one, not a per-row Dataset/DataLoader: each epoch draws a permutation, gathers the
whole training set into shuffled tensors once (x[perm]) and slices batches out of them. The epoch time includes that
shuffle, every batch's slicing, forward, backward, optimiser step and `loss.item()` (as a loop that logs its loss does).

Usage: /usr/bin/python3 tools/bench_pytorch_students.py --data DIR --model mlp --hidden 128 --epochs 4 --batch 128 --threads 2
Needs Debian's python3-torch with libopenblas0-pthread (without it PyTorch's CPU matrix products fall back to the
reference BLAS, ~40x slower); the script says which BLAS it loaded.
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Standardize(nn.Module):
    """(x - mean) * scale with the training rows' mean and 1 / population std (1 where the std is below 1e-6), as the library's MLP student."""

    def __init__(self, x):
        super().__init__()
        mean = x.double().mean(0)
        std = (x.double().pow(2).mean(0) - mean * mean).clamp_min(0).sqrt()
        scale = torch.where(std > 1e-6, 1 / std, torch.ones_like(std))
        self.register_buffer("mean", mean.float().reshape(1, -1))
        self.register_buffer("scale", scale.float().reshape(1, -1))

    def forward(self, x):
        return (x - self.mean) * self.scale


def mlp(x, hidden, classes):
    layers, width = [Standardize(x)], x.shape[1]
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


class Normalize(nn.Module):
    """(x - mean) * scale with one mean and 1 / std over every pixel of the training rows, as the library's CNN student."""

    def __init__(self, x):
        super().__init__()
        mean, std = x.double().mean().item(), x.double().std(unbiased=False).item()
        self.mean, self.scale = mean, (1 / std if std > 1e-6 else 1.0)

    def forward(self, x):
        return (x - self.mean) * self.scale


def cnn(x, hidden, classes, blocks=(16, 32), image=(1, 28, 28)):
    """The library's default CNN student (CnnOptions): per block a 3x3 convolution (padding 1, no bias), batch norm, ReLU,
    2x2 max pool; flatten; the dense layers."""
    layers, channels, (c, h, w) = [Normalize(x), nn.Unflatten(1, image)], image[0], image
    for out in blocks:
        layers += [nn.Conv2d(channels, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
        channels, h, w = out, h // 2, w // 2
    layers.append(nn.Flatten())
    width = channels * h * w
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


class TokenMean(nn.Module):
    """The library's embedding-bag body: the mean of the embeddings of the non-padding ids (0 is padding)."""

    def __init__(self, vocabulary, dimension):
        super().__init__()
        self.tokens = nn.Embedding(vocabulary, dimension)
        nn.init.normal_(self.tokens.weight, 0, 0.1)

    def forward(self, x):
        ids = x.long()
        mask = ids.gt(0).float()
        return (self.tokens(ids) * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp_min(1)


class TokenCnn(nn.Module):
    """The library's text CNN body (Kim 2014): embeddings of the non-padding ids, per kernel size a 1-D convolution over
    the right-padded sequence, ReLU, masked to windows that start on a token, max over positions; concatenated."""

    def __init__(self, vocabulary, dimension, kernels=(3, 4, 5), filters=64):
        super().__init__()
        self.tokens = nn.Embedding(vocabulary, dimension)
        nn.init.normal_(self.tokens.weight, 0, 0.1)
        self.kernels = kernels
        self.convolutions = nn.ModuleList(nn.Conv1d(dimension, filters, k) for k in kernels)

    def forward(self, x):
        ids = x.long()
        mask = ids.gt(0).float()
        embedded = (self.tokens(ids) * mask.unsqueeze(-1)).transpose(1, 2)
        starts = mask.unsqueeze(1)
        pooled = [(F.relu(conv(F.pad(embedded, (0, k - 1)))) * starts).amax(2) for k, conv in zip(self.kernels, self.convolutions)]
        return torch.cat(pooled, 1)


def dense(body, width, hidden, classes):
    layers = [body]
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def text_bag(x, hidden, classes, dimension=64):
    return dense(TokenMean(int(x.max()) + 1, dimension), dimension, hidden, classes)


def text_cnn(x, hidden, classes, dimension=64, kernels=(3, 4, 5), filters=64):
    return dense(TokenCnn(int(x.max()) + 1, dimension, kernels, filters), filters * len(kernels), hidden, classes)


MODELS = {"mlp": mlp, "cnn": cnn, "text-bag": text_bag, "text-cnn": text_cnn}


def hinton(student, teacher, labels, temperature, alpha):
    log_ps = F.log_softmax(student / temperature, 1)
    log_pt = F.log_softmax(teacher / temperature, 1)
    kd = F.kl_div(log_ps, log_pt, log_target=True, reduction="batchmean") * (temperature * temperature)
    return alpha * kd + (1 - alpha) * F.cross_entropy(student, labels)


def blas_in_use():
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line}
    return ",".join(sorted(os.path.basename(os.path.dirname(l)) + "/" + os.path.basename(l) for l in libs)) or "none found"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with features.npy (float32 [N, F]), labels.npy (int64 [N]), teacher.npy (float32 [N, C])")
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--hidden", default="128", help="hidden layer widths, comma-separated")
    p.add_argument("--epochs", type=int, required=True, help="epochs, the first of which is the warm-up")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--temperature", type=float, default=4.0)
    p.add_argument("--alpha", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    start = time.perf_counter()
    x = torch.from_numpy(np.load(os.path.join(a.data, "features.npy")))
    y = torch.from_numpy(np.load(os.path.join(a.data, "labels.npy")))
    t = torch.from_numpy(np.load(os.path.join(a.data, "teacher.npy")))
    if x.dtype != torch.float32 or t.dtype != torch.float32 or y.dtype != torch.int64:
        raise SystemExit(f"expected float32 features and teacher, int64 labels; got {x.dtype}, {t.dtype}, {y.dtype}")
    hidden = [int(h) for h in a.hidden.split(",") if h.strip()]
    model = MODELS[a.model](x, hidden, t.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=0)
    print(f"RESULT load {time.perf_counter() - start}")
    n, generator = x.shape[0], torch.Generator().manual_seed(a.seed)
    model.train()
    for epoch in range(a.epochs):
        start, cpu = time.perf_counter(), time.process_time()
        perm = torch.randperm(n, generator=generator)
        xs, ys, ts = x[perm], y[perm], t[perm]
        loss_sum = 0.0
        for i in range(0, n, a.batch):
            xb, yb, tb = xs[i:i + a.batch], ys[i:i + a.batch], ts[i:i + a.batch]
            logits = model(xb)
            loss = hinton(logits, tb, yb, a.temperature, a.alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"RESULT epoch {epoch + 1} {seconds} {cpu} {loss_sum / ((n + a.batch - 1) // a.batch)}", flush=True)
    print(f"RESULT info torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {blas_in_use()}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, parameters {sum(q.numel() for q in model.parameters())}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Make the binary, regression and ranking tasks of samples/Tasks: real data sets, fixed splits and PyTorch teachers
exported to ONNX, in a git-ignored folder (default suite-data/tasks/); with --fixtures, also the small committed test
fixtures (tests/MLNet.Distillation.Tests/Fixtures/tasks/) cut from four of those tasks, with PyTorch golden outputs.

Tasks
=====
    name                kind          source                                         rows (train/valid/test)   features
    pima                binary        R mlbench PimaIndiansDiabetes                  537 / 77 / 154              8
    fashion-shirt       binary        Fashion-MNIST, Shirt vs T-shirt/top            10,800 / 1,200 / 2,000    784
    boston              regression    R mlbench BostonHousing (medv; `b` dropped)    353 / 51 / 102             12
    cps1988             regression    R AER CPS1988 (log wage)                       19,708 / 2,816 / 5,631      9
    digits-completion   regression×26 scikit-learn digits: upper half -> lower half  1,257 / 180 / 360          32
    fashion-retrieval   ranking       Fashion-MNIST 14x14, query-by-example          1,000 / 200 / 500 groups  392

Teachers (each trained on the TRAIN split only; the valid split picks the epoch; the test split is never seen)
    pima                MLP 2 x 128 (dropout 0.3) ending in Softmax over 2 classes: "probabilities" [N,2]
                        (also the same network ending in Sigmoid, "probability" [N,1], and as one logit z1 - z0,
                        "logit" [N,1]: the three binary teacher forms on the same weights)
    fashion-shirt       CNN (2 conv blocks 32/64 + FC 128), "logit" [N,1] (one logit, class 1 = Shirt)
    boston              bagged ensemble of 5 MLPs 2 x 64 (bootstrap samples), mean: "score" [N]
    cps1988             MLP 3 x 256, "score" [N,1]
    digits-completion   two MLPs 2 x 128 with output [N,26] "pixels": the TOUGH teacher trained on the hard targets
                        (the true lower half) and the TOLERANT teacher trained on soft targets: the lower half
                        projected onto its first 6 principal components (train split) -- the analogue of the
                        active-shape-model "soft landmarks" of Fard & Mahoor's tolerant/tough landmark KD
    fashion-retrieval   a cross-encoder scoring one (query, candidate) row: a shared small CNN embeds both 14x14
                        images, an MLP scores [e_q, e_c, e_q*e_c, |e_q-e_c|]: "score" [N,1]; trained listwise
                        (softmax cross-entropy to 2^grade - 1) on freshly sampled groups of TRAIN images
    Every teacher carries its input scaling in the graph (standardisation with train-split constants, or /255 or /16
    for pixels), so the CSV holds raw values and the ONNX input "features" [N,F] takes them as they are.

The ranking task: each group is a query image and 20 candidate images, every row the concatenation
[query 196 pixels | candidate 196 pixels] (Fashion-MNIST average-pooled 2x2 to 14x14, rounded to integers 0-255).
Relevance is graded from the TRUE classes (not from any model): 2 = same class as the query, 1 = same garment family
(tops: T-shirt/top, Pullover, Dress, Coat, Shirt; footwear: Sandal, Sneaker, Ankle boot), 0 = otherwise. Each group
has 1-5 candidates of the query's class, up to 7 of its family and the rest from other classes, in random order.
Train/valid groups draw queries and candidates from disjoint parts of the official 60,000 training images, test
groups from the official 10,000 test images, so neither teacher nor student sees a test image. A fair ranking task:
the grades are ground truth, a group's candidates compete only with each other (NDCG@k per query), the score needs
the interaction of query and candidate (no candidate is relevant on its own: the same candidate is grade 2 for one
query and 0 for another), and a small MLP over the concatenated pixels cannot easily learn the comparison the CNN
cross-encoder makes -- the teacher is clearly stronger.

Files (suite-data/tasks/<name>/)
================================
    train.csv, valid.csv, test.csv
        Header: [GroupId,] label columns, feature columns. Binary: "Label" 0/1; regression: "Label";
        multi-output: "L0".."L25"; ranking: "GroupId" (an integer, a group's rows contiguous) then "Label" (grade
        0/1/2). Features "F0".."F{n-1}" in raw units (pixels as integers). No quoting.
    teacher*.onnx
        input "features" float32 [batch, F]; outputs as listed above (opset 13).
    task.json
        name, kind (binary/regression/ranking), source, description, labels (1 or k), features, group column,
        rows per split (and groups for ranking), student_hidden_layers, the teachers (file, output name and shape,
        architecture, parameters, form) and the teacher's metrics on each split computed here in PyTorch
        (binary: AUC, accuracy, log-loss; regression: RMSE, MAE, R^2, per output averaged for k > 1; ranking: NDCG@1,3,10
        with ML.NET's default gains 0, 3, 7 for grades 0, 1, 2 and log2 discount, as mlContext.Ranking.Evaluate).

How to run
==========
    apt-get install python3-torch python3-onnx python3-sklearn libopenblas0-pthread \\
        r-cran-mlbench r-cran-aer dataset-fashion-mnist
    /usr/bin/python3 tools/make_task_data.py [--out suite-data/tasks] [--tasks pima,boston|all] [--force]
    /usr/bin/python3 tools/make_task_data.py --fixtures     # also (re)writes the committed test fixtures

(tools/task_suite.sh installs the packages, runs this and the evidence.) A task whose task.json exists is skipped
unless --force. Everything is seeded; CPU only, one PyTorch thread. Written against Debian 12's torch 1.13,
onnx 1.12, scikit-learn 1.2, numpy 1.24, R 4.2 with mlbench 2.1 and AER 1.2.
"""

import argparse
import copy
import csv
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FIXTURES = os.path.join(REPO, "tests", "MLNet.Distillation.Tests", "Fixtures", "tasks")
OPSET = 13
T0 = time.time()

# Fashion-MNIST classes and garment families of the ranking task.
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FAMILY = [0, 1, 0, 0, 0, 2, 0, 2, 3, 2]   # tops 0, trousers 1, footwear 2, bags 3
GROUP_SIZE = 20

TASKS = {}


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def task(name):
    def register(maker):
        TASKS[name] = maker
        return maker
    return register


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------

def r_frame(package, dataset, expression):
    """Evaluates `expression` (R, over data frame `d` = package::dataset) to a numeric data frame written as CSV by
    Rscript; returns (column names, float64 matrix, source text)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "data.csv")
        script = f"""
suppressMessages(library({package}))
data({dataset})
d <- {dataset}
x <- {expression}
stopifnot(all(sapply(x, is.numeric)), !anyNA(x))
write.csv(x, {out!r}, row.names = FALSE)
"""
        subprocess.run(["Rscript", "-e", script], check=True)
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    version = subprocess.run(["Rscript", "-e", f"cat(as.character(packageVersion('{package}')))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    return rows[0], np.array([[float(v) for v in r] for r in rows[1:]], dtype=np.float64), \
        f"R {package} {version} data({dataset})"


def read_idx_gz(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte idx file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion():
    """(train images uint8 [60000,28,28], train labels, test images [10000,28,28], test labels)."""
    path = os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        raise SystemExit(f"Fashion-MNIST not found in {FASHION_DIR}: apt-get install dataset-fashion-mnist")
    return (read_idx_gz(path), read_idx_gz(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")).astype(np.int64),
            read_idx_gz(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz")),
            read_idx_gz(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))


def split(n, stratify=None, seed=0):
    """Shuffled 70 / 10 / 20 % split of row indices (stratified when given): (train, valid, test)."""
    from sklearn.model_selection import train_test_split
    rows = np.random.default_rng(seed).permutation(n)
    strat = None if stratify is None else stratify[rows]
    train_valid, test = train_test_split(rows, test_size=0.2, stratify=strat, random_state=seed)
    strat = None if stratify is None else stratify[train_valid]
    train, valid = train_test_split(train_valid, test_size=0.125, stratify=strat, random_state=seed)
    return train, valid, test


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def number(v):
    """The shortest decimal text that reads back as the same float32 (integers as integers)."""
    f = np.float32(v)
    if float(f).is_integer() and abs(f) < 1e7:
        return str(int(f))
    for digits in range(1, 10):
        candidate = f"{f:.{digits}g}"
        if np.float32(float(candidate)) == f:
            return candidate
    return repr(float(f))


def write_csv(path, labels, features, groups=None, label_names=None):
    """[GroupId,] labels, F0..; atomic (temporary file, then rename). labels [N,k] (k = 1: "Label")."""
    labels = labels.reshape(len(labels), -1)
    k = labels.shape[1]
    names = label_names or (["Label"] if k == 1 else [f"L{j}" for j in range(k)])
    header = (["GroupId"] if groups is not None else []) + names + [f"F{j}" for j in range(features.shape[1])]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for i in range(len(labels)):
            cells = ([str(int(groups[i]))] if groups is not None else []) + \
                [number(v) for v in labels[i]] + [number(v) for v in features[i]]
            f.write(",".join(cells) + "\n")
    os.replace(tmp, path)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

class Scale(nn.Module):
    """(x - mean) / sd with constants (sd 0 -> 1): the exported graph's first ops."""

    def __init__(self, mean, sd):
        super().__init__()
        sd = np.asarray(sd, dtype=np.float64)
        self.register_buffer("mean", torch.tensor(np.asarray(mean), dtype=torch.float32))
        self.register_buffer("sd", torch.tensor(np.where(sd > 0, sd, 1.0), dtype=torch.float32))

    def forward(self, x):
        return (x - self.mean) / self.sd


def mlp(inputs, width, depth, outputs, dropout):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(inputs, width), nn.ReLU(), nn.Dropout(dropout)]
        inputs = width
    layers.append(nn.Linear(inputs, outputs))
    return nn.Sequential(*layers)


class TabularNet(nn.Module):
    """Scale, then an MLP; `head` turns the raw output into the exported form."""

    def __init__(self, mean, sd, width, depth, outputs, dropout, head=None):
        super().__init__()
        self.scale = Scale(mean, sd)
        self.net = mlp(len(mean), width, depth, outputs, dropout)
        self.head = head

    def raw(self, x):
        return self.net(self.scale(x))

    def forward(self, features):
        out = self.raw(features)
        return self.head(out) if self.head is not None else out


class Softmax2(nn.Module):
    def forward(self, z):
        return torch.softmax(z, dim=1)


class SigmoidOfMargin(nn.Module):
    """The two-logit network as one probability: sigmoid(z1 - z0) = softmax(z)[1]."""

    def forward(self, z):
        return torch.sigmoid(z[:, 1:2] - z[:, 0:1])


class LogitMargin(nn.Module):
    """The two-logit network as one logit: z1 - z0 (the log-odds of the positive class)."""

    def forward(self, z):
        return z[:, 1:2] - z[:, 0:1]


class Squeeze(nn.Module):
    def forward(self, z):
        return z[:, 0]


class Bagged(nn.Module):
    """Mean of several members' outputs."""

    def __init__(self, members, head=None):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.head = head

    def forward(self, features):
        out = torch.stack([m(features) for m in self.members], 0).mean(0)
        return self.head(out) if self.head is not None else out


class ImageCnn(nn.Module):
    """features [N, 784] raw pixels 0-255 -> one logit [N,1]."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 1))

    def forward(self, features):
        return self.body((features / 255.0).reshape(-1, 1, 28, 28))


class CrossEncoder(nn.Module):
    """features [N, 392] = [query 14x14 | candidate 14x14] raw pixels 0-255 -> score [N,1]."""

    def __init__(self):
        super().__init__()
        self.tower = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 3 * 3, 48), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(4 * 48, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, features):
        x = features / 255.0
        q = self.tower(x[:, :196].reshape(-1, 1, 14, 14))
        c = self.tower(x[:, 196:].reshape(-1, 1, 14, 14))
        return self.head(torch.cat([q, c, q * c, torch.abs(q - c)], 1))


def parameters(model):
    return int(sum(p.numel() for p in model.parameters()))


def predict(model, x, batch=4096):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)], 0)


def fit(model, loss_of, train_batches, valid_score, max_epochs, patience, lr=1e-3, weight_decay=0.0, seed=0):
    """Adam; after each epoch valid_score() (higher is better); keeps the best epoch's weights. Returns
    (best epoch, epochs run, seconds)."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best, best_state, best_epoch, start = None, None, 0, time.time()
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        for batch in train_batches(epoch):
            opt.zero_grad()
            loss_of(model, batch).backward()
            opt.step()
        model.eval()
        score = valid_score()
        if best is None or score > best:
            best, best_state, best_epoch = score, copy.deepcopy(model.state_dict()), epoch
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return best_epoch, epoch, time.time() - start


def minibatches(n, size, seed):
    def batches(epoch):
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100003 + epoch))
        return [perm[i:i + size] for i in range(0, n, size)]
    return batches


def export(model, example, path, output_name, output_dims):
    """torch.onnx.export with a dynamic batch, then onnx.checker and the exact input/output names and shapes."""
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, (example,), tmp, input_names=["features"], output_names=[output_name],
                          dynamic_axes={"features": {0: "batch"}, output_name: {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, export_params=True)
    m = onnx.load(tmp)
    onnx.checker.check_model(m, full_check=True)

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    ins = [(v.name, dims(v)) for v in m.graph.input]
    outs = [(v.name, dims(v)) for v in m.graph.output]
    expected = ([("features", ["batch", example.shape[1]])], [(output_name, ["batch"] + output_dims)])
    if (ins, outs) != expected:
        os.remove(tmp)
        raise AssertionError(f"{path}: inputs {ins}, outputs {outs}; expected {expected}")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Metrics (PyTorch / numpy; the sample measures the same with ML.NET's evaluators)
# ---------------------------------------------------------------------------

def binary_metrics(p, y):
    from sklearn.metrics import roc_auc_score
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return {"auc": float(roc_auc_score(y, p)), "accuracy": float(((p > 0.5) == (y > 0.5)).mean()),
            "log_loss": float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())}


def regression_metrics(pred, y):
    pred, y = pred.reshape(len(pred), -1), y.reshape(len(y), -1)
    err = pred - y
    rmse = np.sqrt((err ** 2).mean(0))
    r2 = 1 - (err ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
    return {"rmse": float(rmse.mean()), "mae": float(np.abs(err).mean()), "r2": float(r2.mean())}


# ML.NET's ranking evaluator's default label gains (RankingEvaluatorOptions): grade 0 -> 0, 1 -> 3, 2 -> 7, ...
MLNET_GAINS = np.array([0, 3, 7, 15, 31, 63, 127, 255, 511, 1023], dtype=np.float64)
# The teacher's training target and early-stopping NDCG: gain 2^grade - 1 (0, 1, 3).
TRAINING_GAINS = 2.0 ** np.arange(10) - 1


def ndcg(scores, grades, groups, k, gains=MLNET_GAINS):
    """Mean over groups of DCG@k / ideal DCG@k with discount 1/log2(rank + 1) and, by default, ML.NET's default gains
    (0, 3, 7 for grades 0, 1, 2): the NDCG that mlContext.Ranking.Evaluate reports."""
    values = []
    for g in np.unique(groups):
        s, r = scores[groups == g], grades[groups == g].astype(np.int64)
        order = np.argsort(-s, kind="stable")[:k]
        disc = 1 / np.log2(np.arange(2, k + 2))
        dcg = (gains[r[order]] * disc[:len(order)]).sum()
        ideal = (gains[np.sort(r)[::-1][:k]] * disc[:min(k, len(r))]).sum()
        values.append(dcg / ideal if ideal > 0 else 0.0)
    return float(np.mean(values))


def ranking_metrics(scores, grades, groups):
    return {f"ndcg@{k}": ndcg(scores, grades, groups, k) for k in (1, 3, 10)}


# ---------------------------------------------------------------------------
# Tasks: each returns (splits {part: (labels, features, groups or None)}, teachers [(file, model, output, dims,
# facts)], facts for task.json). The teachers are trained here.
# ---------------------------------------------------------------------------

def tabular_fit(x, y, parts, width, depth, outputs, dropout, loss, score, head=None, epochs=300, patience=30,
                batch=64, lr=1e-3, weight_decay=0.0, seed=0, rows=None):
    """A TabularNet on the train rows (or `rows`, a subset of them), early-stopped on valid."""
    train, valid = parts["train"], parts["valid"]
    rows = train if rows is None else rows
    xt, yt = torch.from_numpy(x[rows]), torch.from_numpy(y[rows])
    xv, yv = torch.from_numpy(x[valid]), torch.from_numpy(y[valid])
    torch.manual_seed(seed)
    model = TabularNet(x[train].mean(0), x[train].std(0), width, depth, outputs, dropout, head)
    best, run, seconds = fit(model, lambda m, idx: loss(m.raw(xt[idx]), yt[idx]), minibatches(len(rows), batch, seed),
                             lambda: score(predict_raw(model, xv), yv), epochs, patience, lr, weight_decay, seed)
    return model, f"best epoch {best} of {run} on valid ({seconds:.0f} s)"


def predict_raw(model, x):
    model.eval()
    with torch.no_grad():
        return model.raw(x)


def neg_mse(pred, y):
    return -float(F.mse_loss(pred.reshape(y.shape), y))


@task("pima")
def make_pima():
    names, data, source = r_frame("mlbench", "PimaIndiansDiabetes",
                                  "data.frame(d[, 1:8], diabetes = as.numeric(d$diabetes == 'pos'))")
    x, y = data[:, :8].astype(np.float32), data[:, 8].astype(np.int64)
    parts = dict(zip(("train", "valid", "test"), split(len(y), stratify=y)))

    def score(z, yv):
        return -float(F.cross_entropy(z, yv))

    model, note = tabular_fit(x, y, parts, 128, 2, 2, 0.3, F.cross_entropy, score, head=Softmax2(),
                              weight_decay=1e-4)
    sigmoid = copy.deepcopy(model)
    sigmoid.head = SigmoidOfMargin()
    logit = copy.deepcopy(model)
    logit.head = LogitMargin()
    p = {k: predict(model, torch.from_numpy(x[r]))[:, 1].numpy() for k, r in parts.items()}
    arch = f"standardise, 2 x (Linear 128, ReLU, Dropout 0.3), Linear 2; Adam lr 1e-3, weight decay 1e-4, batch 64, {note}"
    teachers = [("teacher.onnx", model, "probabilities", [2],
                 {"form": "softmax over 2 classes (column 1 = diabetes pos)", "architecture": arch + ", then Softmax"}),
                ("teacher_sigmoid.onnx", sigmoid, "probability", [1],
                 {"form": "sigmoid: P(pos) = sigmoid(z1 - z0) of the same network", "architecture": arch + ", then "
                  "Sigmoid of the logit margin"}),
                ("teacher_logit.onnx", logit, "logit", [1],
                 {"form": "one logit: z1 - z0 of the same network", "architecture": arch + ", then the logit margin"})]
    return ({k: (y[r].astype(np.float32), x[r], None) for k, r in parts.items()}, teachers, {
        "kind": "binary", "source": source, "description": "Pima Indians diabetes: 8 clinical measurements, "
        "label 1 = diabetes (pos)", "feature_names": names[:8], "student_hidden_layers": [16],
        "teacher_metrics": {k: binary_metrics(p[k], y[parts[k]]) for k in parts}})


@task("fashion-shirt")
def make_fashion_shirt():
    tr_x, tr_y, te_x, te_y = fashion()
    keep = np.isin(tr_y, [0, 6])
    x_all, y_all = tr_x[keep].reshape(-1, 784).astype(np.float32), (tr_y[keep] == 6).astype(np.int64)
    from sklearn.model_selection import train_test_split
    rows = np.random.default_rng(0).permutation(len(y_all))
    train, valid = train_test_split(rows, test_size=0.1, stratify=y_all[rows], random_state=0)
    keep_te = np.isin(te_y, [0, 6])
    x_te, y_te = te_x[keep_te].reshape(-1, 784).astype(np.float32), (te_y[keep_te] == 6).astype(np.int64)
    xt, yt = torch.from_numpy(x_all[train]), torch.from_numpy(y_all[train]).float()
    xv, yv = torch.from_numpy(x_all[valid]), torch.from_numpy(y_all[valid]).float()
    torch.manual_seed(0)
    model = ImageCnn()

    def loss(m, idx):
        return F.binary_cross_entropy_with_logits(m(xt[idx])[:, 0], yt[idx])

    def score():
        return -float(F.binary_cross_entropy_with_logits(predict(model, xv)[:, 0], yv))

    best, run, seconds = fit(model, loss, minibatches(len(train), 128, 0), score, 15, 4)
    splits = {"train": (y_all[train], x_all[train]), "valid": (y_all[valid], x_all[valid]), "test": (y_te, x_te)}
    p = {k: torch.sigmoid(predict(model, torch.from_numpy(v[1])))[:, 0].numpy() for k, v in splits.items()}
    return ({k: (v[0].astype(np.float32), v[1], None) for k, v in splits.items()},
            [("teacher.onnx", model, "logit", [1], {
                "form": "one logit (class 1 = Shirt)",
                "architecture": "pixels/255 as 1x28x28; 2 x (conv 3x3 32/64, BatchNorm, ReLU, max-pool 2), Linear "
                                f"128, ReLU, Dropout 0.3, Linear 1; Adam lr 1e-3, batch 128, best epoch {best} of {run}"
                                f" on valid ({seconds:.0f} s)"})],
            {"kind": "binary", "source": f"Debian dataset-fashion-mnist ({FASHION_DIR}): the T-shirt/top and Shirt "
             "images; train/valid from the official training set (90/10, stratified, seed 0), test = the official "
             "test images of those classes",
             "description": "Fashion-MNIST Shirt (1) vs T-shirt/top (0), 28x28 pixels 0-255: the hardest pair",
             "student_hidden_layers": [64],
             "teacher_metrics": {k: binary_metrics(p[k], splits[k][0]) for k in splits}})


def regression_task(x, y, parts, student, description, source, feature_names, teacher_kind):
    """A bagged ensemble ("bagged", output [N]) or one MLP 3 x 256 ("mlp", output [N,1])."""
    yf = y.astype(np.float32).reshape(-1, 1)
    if teacher_kind == "bagged":
        members, notes = [], []
        rng = np.random.default_rng(0)
        for m in range(5):
            rows = rng.choice(parts["train"], size=len(parts["train"]), replace=True)
            member, note = tabular_fit(x, yf, parts, 64, 2, 1, 0.1, F.mse_loss, neg_mse, seed=m, rows=rows,
                                       weight_decay=1e-4)
            members.append(member)
            notes.append(note.split(" on valid")[0].replace("best epoch ", ""))
        model = Bagged(members, head=Squeeze())
        output, dims = "score", []
        arch = ("mean of 5 MLPs, each: standardise, 2 x (Linear 64, ReLU, Dropout 0.1), Linear 1, trained on a "
                f"bootstrap sample of the train rows (Adam lr 1e-3, weight decay 1e-4, batch 64; best epochs "
                f"{', '.join(notes)} on valid); output squeezed to [N]")
    else:
        model, note = tabular_fit(x, yf, parts, 256, 3, 1, 0.1, F.mse_loss, neg_mse, batch=256, patience=15,
                                  epochs=200)
        output, dims = "score", [1]
        arch = f"standardise, 3 x (Linear 256, ReLU, Dropout 0.1), Linear 1; Adam lr 1e-3, batch 256, {note}"
    pred = {k: predict(model, torch.from_numpy(x[r])).numpy().reshape(-1) for k, r in parts.items()}
    return ({k: (yf[r], x[r], None) for k, r in parts.items()},
            [("teacher.onnx", model, output, dims, {"form": f"output [N{''.join(', ' + str(d) for d in dims)}]",
                                                    "architecture": arch})],
            {"kind": "regression", "source": source, "description": description, "feature_names": feature_names,
             "student_hidden_layers": student,
             "teacher_metrics": {k: regression_metrics(pred[k], y[r]) for k, r in parts.items()}})


@task("boston")
def make_boston():
    # `b` (a transform of the proportion of Black residents) is dropped: it encodes a racist assumption and has
    # no place in a price model (scikit-learn removed the data set for it).
    names, data, source = r_frame("mlbench", "BostonHousing",
                                  "data.frame(d[, setdiff(names(d), c('b', 'chas', 'medv'))], "
                                  "chas = as.numeric(as.character(d$chas)), medv = d$medv)")
    x, y = data[:, :-1].astype(np.float32), data[:, -1]
    parts = dict(zip(("train", "valid", "test"), split(len(y))))
    return regression_task(x, y, parts, [16], "Boston housing: median home value (medv, $1000s) of "
                           "506 census tracts from 12 features (`b` dropped)", source, names[:-1], "bagged")


@task("cps1988")
def make_cps1988():
    names, data, source = r_frame("AER", "CPS1988", """data.frame(
  education = d$education, experience = d$experience,
  afam = as.numeric(d$ethnicity == 'afam'), smsa = as.numeric(d$smsa == 'yes'),
  midwest = as.numeric(d$region == 'midwest'), south = as.numeric(d$region == 'south'),
  west = as.numeric(d$region == 'west'), parttime = as.numeric(d$parttime == 'yes'),
  logwage = log(d$wage))""")
    x, y = data[:, :-1].astype(np.float32), data[:, -1]
    parts = dict(zip(("train", "valid", "test"), split(len(y))))
    return regression_task(x, y, parts, [32], "US Current Population Survey 1988: log weekly wage of "
                           "28,155 men from education, experience, ethnicity, city, region (one-hot, northeast = 0) "
                           "and part-time", source, names[:-1], "mlp")


@task("digits-completion")
def make_digits_completion():
    from sklearn.datasets import load_digits
    d = load_digits()
    images = d.data.astype(np.float32)           # 0..16
    # Outputs: the lower-half pixels that are ink in at least 30 of the 1,797 images (26 of 32: pixels 32, 39, 40,
    # 47, 48 and 56 are blank in all but 0-22 images, so their R^2 would be undefined on a split).
    outputs = [j for j in range(32, 64) if (images[:, j] > 0).sum() >= 30]
    x, y = images[:, :32], images[:, outputs] / 16.0  # upper half raw, lower half in [0, 1]
    parts = dict(zip(("train", "valid", "test"), split(len(y), stratify=d.target)))
    for part, r in parts.items():
        if (y[r].std(0) == 0).any():
            raise AssertionError(f"digits-completion: an output is constant on the {part} split")
    k = len(outputs)
    # Soft targets: the lower half projected onto its first 6 principal components (train split), clipped to [0,1].
    yt = y[parts["train"]]
    mean = yt.mean(0)
    _, _, vt = np.linalg.svd(yt - mean, full_matrices=False)
    basis = vt[:6]
    soft = np.clip((y - mean) @ basis.T @ basis + mean, 0, 1).astype(np.float32)
    explained = float(1 - ((soft[parts["train"]] - yt) ** 2).sum() / ((yt - mean) ** 2).sum())
    teachers, pred = [], {}
    for name, targets, kind in (("tough", y.astype(np.float32), "hard targets (the true lower half)"),
                                ("tolerant", soft, "soft targets (lower half projected onto 6 principal "
                                                   f"components of the train split, {explained:.0%} of the variance)")):
        # Both teachers stop on the valid split's error against the HARD targets (what they are judged on).
        def score(z, _yv, rows=parts["valid"]):
            return -float(F.mse_loss(z, torch.from_numpy(y[rows].astype(np.float32))))
        model, note = tabular_fit(x, targets, parts, 128, 2, k, 0.1, F.mse_loss, score, weight_decay=1e-4)
        pred[name] = {k: predict(model, torch.from_numpy(x[r])).numpy() for k, r in parts.items()}
        teachers.append((f"teacher_{name}.onnx", model, "pixels", [k], {
            "role": name, "form": f"output [N, {k}] (lower-half pixels / 16)",
            "architecture": f"standardise, 2 x (Linear 128, ReLU, Dropout 0.1), Linear {k}; MSE to {kind}; Adam lr "
                            f"1e-3, weight decay 1e-4, batch 64, {note}"}))
    return ({k: (y[r].astype(np.float32), x[r], None) for k, r in parts.items()}, teachers, {
        "kind": "regression", "source": "scikit-learn load_digits() (UCI optical digits, 1,797 8x8 images, 0-16)",
        "description": f"image completion: the lower 4 rows of an 8x8 digit ({k} pixels, /16 so in [0,1]) from its "
                       "upper 4 rows (32 raw pixels 0-16); split stratified by digit",
        "output_pixels": outputs,
        "student_hidden_layers": [32], "soft_target_variance_explained": explained,
        "teacher_metrics": {name: {k: regression_metrics(pred[name][k], y[r]) for k, r in parts.items()}
                            for name in pred},
        "soft_targets_metrics": {k: regression_metrics(soft[r], y[r]) for k, r in parts.items()}})


def pooled14(images):
    """[N,28,28] uint8 -> [N,196] float32: 2x2 average pooling, rounded to integers (half up)."""
    x = images.astype(np.float32).reshape(-1, 14, 2, 14, 2).mean((2, 4))
    return np.floor(x + 0.5).reshape(-1, 196)


def sample_groups(rng, query_pool, cand_pool, labels, groups):
    """Per group: a query index from query_pool and GROUP_SIZE candidate indices from cand_pool (1-5 of the
    query's class, up to 7 of its family, the rest from other classes, shuffled). Returns (query [G], cand
    [G, GROUP_SIZE], grade [G, GROUP_SIZE])."""
    by_class = {c: cand_pool[labels[cand_pool] == c] for c in range(10)}
    queries, cands, grades = [], [], []
    for _ in range(groups):
        q = rng.choice(query_pool)
        c = labels[q]
        same = rng.choice(by_class[c], size=rng.integers(1, 6), replace=False)
        family_classes = [k for k in range(10) if k != c and FAMILY[k] == FAMILY[c]]
        fam = np.array([], dtype=np.int64)
        if family_classes:
            pool = np.concatenate([by_class[k] for k in family_classes])
            fam = rng.choice(pool, size=rng.integers(0, 8), replace=False)
        other_pool = np.concatenate([by_class[k] for k in range(10) if FAMILY[k] != FAMILY[c]])
        other = rng.choice(other_pool, size=GROUP_SIZE - len(same) - len(fam), replace=False)
        members = np.concatenate([same, fam, other])
        rng.shuffle(members)
        grade = np.where(labels[members] == c, 2, np.where(np.array(FAMILY)[labels[members]] == FAMILY[c], 1, 0))
        queries.append(q)
        cands.append(members)
        grades.append(grade)
    return np.array(queries), np.array(cands), np.array(grades, dtype=np.float32)


def rows_of(pixels, q, cands):
    return np.concatenate([np.repeat(pixels[q], GROUP_SIZE, 0), pixels[cands.reshape(-1)]], 1)


@task("fashion-retrieval")
def make_fashion_retrieval():
    tr_x, tr_y, te_x, te_y = fashion()
    tr_p, te_p = pooled14(tr_x), pooled14(te_x)
    rng = np.random.default_rng(0)
    perm = rng.permutation(60000)
    # Disjoint image pools: train queries/candidates, valid queries/candidates (from the official train set).
    pools = {"train": (perm[:20000], perm[20000:50000]), "valid": (perm[50000:52000], perm[52000:60000])}
    counts = {"train": 1000, "valid": 200, "test": 500}
    splits = {}
    for part in ("train", "valid"):
        q, c, g = sample_groups(rng, *pools[part], tr_y, counts[part])
        splits[part] = (g.reshape(-1), rows_of(tr_p, q, c), np.repeat(np.arange(counts[part]), GROUP_SIZE))
    q, c, g = sample_groups(rng, np.arange(0, 2000), np.arange(2000, 10000), te_y, counts["test"])
    splits["test"] = (g.reshape(-1), rows_of(te_p, q, c), np.repeat(np.arange(counts["test"]), GROUP_SIZE))

    # The teacher trains on fresh groups from the train pools every epoch (train images only).
    torch.manual_seed(0)
    model = CrossEncoder()
    fresh = np.random.default_rng(1)
    xv = torch.from_numpy(splits["valid"][1])

    def batches(epoch):
        q, c, g = sample_groups(fresh, *pools["train"], tr_y, 2000)
        x = torch.from_numpy(rows_of(tr_p, q, c)).reshape(-1, GROUP_SIZE, 392)
        gain = torch.from_numpy(2 ** g - 1)
        return [(x[i:i + 32], gain[i:i + 32]) for i in range(0, len(x), 32)]

    def loss(m, batch):
        x, gain = batch
        scores = m(x.reshape(-1, 392)).reshape(-1, GROUP_SIZE)
        target = gain / gain.sum(1, keepdim=True)
        return -(target * torch.log_softmax(scores, 1)).sum(1).mean()

    def score():
        return ndcg(predict(model, xv)[:, 0].numpy(), splits["valid"][0], splits["valid"][2], 10, TRAINING_GAINS)

    best, run, seconds = fit(model, loss, batches, score, 25, 5)
    metrics = {k: ranking_metrics(predict(model, torch.from_numpy(v[1]))[:, 0].numpy(), v[0], v[2])
               for k, v in splits.items()}
    return ({k: (v[0], v[1], v[2]) for k, v in splits.items()},
            [("teacher.onnx", model, "score", [1], {
                "form": "one score per (query, candidate) row",
                "architecture": "cross-encoder: shared tower (pixels/255 as 1x14x14; conv 3x3 16, ReLU, max-pool 2, "
                                "conv 3x3 32, ReLU, max-pool 2, Linear 48, ReLU) on query and candidate, head Linear "
                                "64, ReLU, Linear 1 on [e_q, e_c, e_q*e_c, |e_q-e_c|]; listwise softmax cross-entropy "
                                "to (2^grade-1)/sum, 2,000 fresh train groups per epoch, Adam lr 1e-3, 32 groups per "
                                f"batch, best epoch {best} of {run} on valid NDCG@10 with gains 2^grade-1 ({seconds:.0f} s)"})],
            {"kind": "ranking", "source": f"Debian dataset-fashion-mnist ({FASHION_DIR}), average-pooled 2x2 to 14x14",
             "description": "query-by-example retrieval: a query image and 20 candidates per group, row = [query 196 "
                            "| candidate 196] pixels 0-255; grade 2 = same class, 1 = same garment family (tops, "
                            "footwear), 0 = otherwise",
             "groups": counts, "group_size": GROUP_SIZE, "student_hidden_layers": [64],
             "teacher_metrics": metrics})


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def make_task(name, out_dir):
    log(f"{name}: making")
    os.makedirs(out_dir, exist_ok=True)
    splits, teachers, facts = TASKS[name]()
    for part, (labels, x, groups) in splits.items():
        write_csv(os.path.join(out_dir, f"{part}.csv"), labels, x, groups)
    listed = []
    for file, model, output, dims, info in teachers:
        export(model, torch.from_numpy(splits["test"][1][:2]), os.path.join(out_dir, file), output, dims)
        torch.save(model, os.path.join(out_dir, file.replace(".onnx", ".pt")))   # for the fixtures' goldens
        listed.append({"file": file, "output": output, "output_shape": ["N"] + dims, "parameters": parameters(model),
                       **info})
    first = splits["train"]
    facts = {"name": name, **facts,
             "labels": int(first[0].reshape(len(first[0]), -1).shape[1]), "features": int(first[1].shape[1]),
             "group_column": "GroupId" if first[2] is not None else None,
             "rows": {k: int(len(v[0])) for k, v in splits.items()},
             "teachers": listed}
    write_json(os.path.join(out_dir, "task.json"), facts)
    tm = facts["teacher_metrics"]
    test = tm["test"] if "test" in tm else {role: m["test"] for role, m in tm.items()}
    log(f"{name}: rows {facts['rows']}; teacher test metrics {json.dumps(test)}")


def read_task_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


# Fixtures: (task, train rows or groups, test rows or groups)
FIXTURE_TASKS = {"pima": (200, 100), "boston": (200, 100), "digits-completion": (200, 100),
                 "fashion-retrieval": (6, 4)}


def make_fixtures(data_dir):
    """Cuts the committed fixtures from the tasks in data_dir: the first rows (ranking: whole groups) of train.csv
    and test.csv, the teachers' ONNX files and task.json (the full task's facts) as they are, and tasks_reference.json with each teacher's PyTorch output
    (the saved torch module, eval mode) on the first 8 test rows. Refuses any file of 200 KB or more."""
    os.makedirs(FIXTURES, exist_ok=True)
    reference = {"note": "PyTorch (eval mode) outputs of each teacher on the first 8 rows of the fixture's test.csv; "
                         "made by tools/make_task_data.py --fixtures", "tasks": {}}
    for name, (train_count, test_count) in FIXTURE_TASKS.items():
        src, dst = os.path.join(data_dir, name), os.path.join(FIXTURES, name)
        os.makedirs(dst, exist_ok=True)
        with open(os.path.join(src, "task.json"), encoding="utf-8") as f:
            facts = json.load(f)
        grouped = facts["group_column"] is not None
        cut = {}
        for part, count in (("train", train_count), ("test", test_count)):
            header, rows = read_task_csv(os.path.join(src, f"{part}.csv"))
            rows = fixture_rows(rows, count, grouped)
            cut[part] = (header, rows)
            tmp = os.path.join(dst, f"{part}.csv.tmp")
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(",".join(header) + "\n")
                for r in rows:
                    f.write(",".join(r) + "\n")
            os.replace(tmp, os.path.join(dst, f"{part}.csv"))
        shutil.copyfile(os.path.join(src, "task.json"), os.path.join(dst, "task.json"))   # the full task's facts
        header, rows = cut["test"]
        first = 1 if grouped else 0
        x = torch.tensor([[float(v) for v in r[first + facts["labels"]:]] for r in rows[:8]], dtype=torch.float32)
        entry = {"features": facts["features"], "labels": facts["labels"], "group_column": facts["group_column"],
                 "rows": {p: len(c[1]) for p, c in cut.items()}, "teachers": {}}
        for teacher in facts["teachers"]:
            shutil.copyfile(os.path.join(src, teacher["file"]), os.path.join(dst, teacher["file"]))
            model = torch.load(os.path.join(src, teacher["file"].replace(".onnx", ".pt")))
            out = predict(model, x).numpy().astype(np.float64)
            entry["teachers"][teacher["file"]] = {
                "output": teacher["output"], "output_shape": teacher["output_shape"],
                "form": teacher["form"], "role": teacher.get("role"),
                "first_test_rows": out.tolist()}
        reference["tasks"][name] = entry
        for file in os.listdir(dst):
            size = os.path.getsize(os.path.join(dst, file))
            if size >= 200 * 1024:
                raise AssertionError(f"fixture {name}/{file} is {size} bytes; fixtures must stay under 200 KB")
        log(f"fixtures: {name}: {entry['rows']} rows, teachers {list(entry['teachers'])}")
    write_json(os.path.join(FIXTURES, "tasks_reference.json"), reference)


def fixture_rows(rows, count, grouped):
    if not grouped:
        return rows[:count]
    kept, groups = [], []
    for r in rows:
        if r[0] not in groups:
            if len(groups) == count:
                break
            groups.append(r[0])
        kept.append(r)
    return kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "suite-data", "tasks"))
    parser.add_argument("--tasks", default="all", help="comma-separated task names, or all: " + ", ".join(TASKS))
    parser.add_argument("--force", action="store_true", help="remake the --tasks whose task.json exists")
    parser.add_argument("--fixtures", action="store_true",
                        help=f"also write the test fixtures ({', '.join(FIXTURE_TASKS)}) to {FIXTURES}")
    args = parser.parse_args()
    wanted = list(TASKS) if args.tasks == "all" else args.tasks.split(",")
    unknown = [n for n in wanted if n not in TASKS]
    if unknown:
        raise SystemExit(f"unknown task(s) {unknown}; known: {list(TASKS)}")
    forced = set(wanted) if args.force else set()   # --force remakes the tasks named, not the fixtures' others
    if args.fixtures:
        wanted += [n for n in FIXTURE_TASKS if n not in wanted]
    torch.set_num_threads(1)   # the development machine is shared
    for name in wanted:
        out_dir = os.path.join(args.out, name)
        if os.path.exists(os.path.join(out_dir, "task.json")) and name not in forced:
            log(f"{name}: {out_dir}/task.json exists, skipped (--force to remake)")
            continue
        make_task(name, out_dir)
    if args.fixtures:
        make_fixtures(args.out)
    log("done")


if __name__ == "__main__":
    sys.exit(main())

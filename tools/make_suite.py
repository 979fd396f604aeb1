#!/usr/bin/python3
"""Make the benchmark suite of samples/Evidence (`suite` and `suite-grid` commands): real data sets, seeded
splits and a teacher per task, in a git-ignored folder (default suite-data/ at the repository root).

Tasks
=====
    name            source                                  rows    features  classes  student  teacher
    breast-cancer   scikit-learn load_breast_cancer           569       30        2    [32]     MLP 3x512
    vehicle         R mlbench Vehicle                         846       18        4    [64]     MLP 3x512
    vowel           R mlbench Vowel (speaker id dropped)      990        9       11    [64]     MLP 3x512
    digits          scikit-learn load_digits (8x8 images)   1,797       64       10    [64]     MLP 3x512
    dna             R mlbench DNA (binary indicators)       3,186      180        3    [64]     MLP 3x512
    satellite       R mlbench Satellite                     6,435       36        6    [64]     MLP 3x512
    letter          R mlbench LetterRecognition            20,000       16       26    [128]    MLP 3x512
    fashion         Debian dataset-fashion-mnist           70,000      784       10    [128]    the repository's CNN

Splits: tabular tasks are shuffled and split 70 / 10 / 20 % into train / valid / test, stratified by class,
with numpy.random.default_rng(0) and scikit-learn's train_test_split(random_state=0). Fashion-MNIST keeps its
own 10,000-row test set; its 60,000 training rows are split 50,000 train / 10,000 valid (stratified, seed 0).

What each task folder holds (suite-data/<task>/)
================================================
    train.csv, valid.csv, test.csv
        Header "Label,F0,...,F{n-1}"; the label column is FIRST and holds the class NAME (never a number, never
        quoted: no class name contains a comma); then the raw features as decimal text, in the source's own
        units — nothing is standardised (the student standardises itself; the tabular teachers carry their own
        standardisation as the graph's first ops). Fashion-MNIST pixels are written as pixel/255 (the CNN
        teacher's input scaling), each as the shortest text that reads back as the same float32.
    teacher.onnx
        Tabular tasks: input "features" float32 [batch, F] (raw features), output "logits" float32 [batch, K]
        (raw logits, class order = "classes" in task.json). Architecture: standardise (train-split mean and
        population sd as constants) -> 3 x (Linear 512, ReLU, Dropout 0.2) -> Linear K; Adam lr 1e-3, batch
        64, at most 300 epochs, early stopping on validation accuracy (patience 30 epochs, ties broken by
        validation log-loss), the best epoch's weights kept; trained on the TRAIN split only.
        fashion: a copy of samples/Quickstart/Data/fashion_cnn_teacher.onnx (input "image" [batch,1,28,28],
        output "logits" [batch,10]), trained by tools/make_fixtures.py on all 60,000 training rows — so it has
        seen both the train and the valid rows of this split.
    task.json
        name, source, description, features, classes (teacher output order), student_hidden_layers,
        image_shape (null for tabular), rows per split, label_column ("first"), and the teacher's architecture,
        parameter count and train / valid / test accuracy (PyTorch, on these exact float32 inputs).

How to run
==========
    apt-get install python3-torch python3-onnx python3-sklearn libopenblas0-pthread \\
        r-cran-mlbench dataset-fashion-mnist
    /usr/bin/python3 tools/make_suite.py [--out suite-data] [--tasks vehicle,dna|all] [--force]

(tools/suite.sh installs the packages and runs this.) A task whose task.json exists is skipped unless --force.
Everything is seeded; CPU only, one PyTorch thread. Letter takes longest.
Written against Debian 12's torch 1.13, onnx 1.12, scikit-learn 1.2, numpy 1.24, R 4.2 with mlbench 2.1.
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
FASHION_TEACHER = os.path.join(REPO, "samples", "Quickstart", "Data", "fashion_cnn_teacher.onnx")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
OPSET = 13

# Tabular teacher recipe (see the docstring).
TEACHER_WIDTH, TEACHER_DEPTH, TEACHER_DROPOUT = 512, 3, 0.2
TEACHER_LR, TEACHER_BATCH, TEACHER_MAX_EPOCHS, TEACHER_PATIENCE = 1e-3, 64, 300, 30

# name -> (loader, student hidden layers, description)
TASKS = {}

T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def task(name, hidden, description):
    def register(loader):
        TASKS[name] = (loader, hidden, description)
        return loader
    return register


# ---------------------------------------------------------------------------
# Loaders: each returns (X float64 [N, F], class names [N] as str, class order, source)
# ---------------------------------------------------------------------------

def r_dump(dataset, label_column, drop=()):
    """Writes mlbench's `dataset` to a temporary CSV with Rscript (factors of numbers become numbers, the label
    stays a string) and reads it back: returns (X, labels, class order = the factor's levels, source)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "data.csv")
        levels = os.path.join(tmp, "levels.txt")
        script = f"""
suppressMessages(library(mlbench))
data({dataset})
d <- {dataset}
d <- d[, setdiff(names(d), c({", ".join(repr(c) for c in drop) or "character(0)"})), drop = FALSE]
y <- d[[{label_column!r}]]
writeLines(levels(y), {levels!r})
x <- d[, setdiff(names(d), {label_column!r}), drop = FALSE]
for (n in names(x)) if (is.factor(x[[n]])) x[[n]] <- as.numeric(as.character(x[[n]]))
stopifnot(all(sapply(x, is.numeric)), !anyNA(x), !anyNA(y))
out <- data.frame(Label = as.character(y), x, check.names = FALSE)
write.csv(out, {out!r}, row.names = FALSE, quote = TRUE)
"""
        subprocess.run(["Rscript", "-e", script], check=True)
        with open(levels, encoding="utf-8") as f:
            classes = f.read().splitlines()
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    labels = np.array([r[0] for r in body])
    X = np.array([[float(v) for v in r[1:]] for r in body], dtype=np.float64)
    version = subprocess.run(["Rscript", "-e", "cat(as.character(packageVersion('mlbench')))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    return X, labels, classes, f"R mlbench {version} data({dataset}), columns {', '.join(header[1:4])}, ..."


@task("breast-cancer", [32], "Wisconsin diagnostic breast cancer (30 cell-nucleus measurements), 2 classes")
def load_breast_cancer():
    from sklearn.datasets import load_breast_cancer as load
    d = load()
    classes = [str(c) for c in d.target_names]
    return d.data.astype(np.float64), np.array([classes[t] for t in d.target]), classes, \
        "scikit-learn load_breast_cancer()"


@task("vehicle", [64], "vehicle silhouettes (18 shape features), 4 vehicle types")
def load_vehicle():
    return r_dump("Vehicle", "Class")


@task("vowel", [64], "Deterding vowels (9 log-area ratios; speaker id dropped), 11 vowels")
def load_vowel():
    # V1 is the speaker (0-14, a factor): the task is speaker-independent recognition, so it is not a feature.
    return r_dump("Vowel", "Class", drop=("V1",))


@task("digits", [64], "handwritten digits (8x8 images, 0-16 grey levels), 10 classes")
def load_digits():
    from sklearn.datasets import load_digits as load
    d = load()
    classes = [str(c) for c in d.target_names]
    return d.data.astype(np.float64), np.array([classes[t] for t in d.target]), classes, \
        "scikit-learn load_digits()"


@task("dna", [64], "primate splice junctions (180 binary indicators), 3 classes")
def load_dna():
    return r_dump("DNA", "Class")


@task("satellite", [64], "Landsat multispectral 3x3 neighbourhoods (36 values), 6 soil classes")
def load_satellite():
    return r_dump("Satellite", "classes")


@task("letter", [128], "letter images (16 statistics), 26 capital letters")
def load_letter():
    return r_dump("LetterRecognition", "lettr")


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def shortest_float32(v):
    """The shortest decimal text that reads back (as C# float.Parse does) as the same float32."""
    text = repr(float(np.float32(v)))
    for digits in range(1, 10):
        candidate = f"{np.float32(v):.{digits}g}"
        if np.float32(float(candidate)) == np.float32(v):
            text = candidate
            break
    return text


def write_csv(path, X, labels, number_text=None):
    """Label first, then F0..F{n-1}; written to a temporary file and renamed (atomic)."""
    for c in set(labels.tolist()):
        if "," in c or '"' in c or "\n" in c:
            raise ValueError(f"class name {c!r} would need quoting in {path}")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("Label," + ",".join(f"F{i}" for i in range(X.shape[1])) + "\n")
        for row, label in zip(X, labels):
            values = number_text(row) if number_text else (repr(float(v)) for v in row)
            f.write(label + "," + ",".join(values) + "\n")
    os.replace(tmp, path)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def split(y_index, seed=0):
    """Stratified 70 / 10 / 20 split of shuffled row indices: (train, valid, test)."""
    from sklearn.model_selection import train_test_split
    rows = np.random.default_rng(seed).permutation(len(y_index))
    train_valid, test = train_test_split(rows, test_size=0.2, stratify=y_index[rows], random_state=seed)
    train, valid = train_test_split(train_valid, test_size=0.125, stratify=y_index[train_valid],
                                    random_state=seed)
    return train, valid, test


# ---------------------------------------------------------------------------
# Tabular teacher
# ---------------------------------------------------------------------------

class Standardize(nn.Module):
    """(x - mean) / sd with the train-split statistics as constants (sd 0 -> 1): the exported graph's first ops."""

    def __init__(self, mean, sd):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("sd", torch.tensor(np.where(sd > 0, sd, 1.0), dtype=torch.float32))

    def forward(self, x):
        return (x - self.mean) / self.sd


class MlpTeacher(nn.Module):
    def __init__(self, mean, sd, classes):
        super().__init__()
        self.norm = Standardize(mean, sd)
        layers, width = [], len(mean)
        for _ in range(TEACHER_DEPTH):
            layers += [nn.Linear(width, TEACHER_WIDTH), nn.ReLU(), nn.Dropout(TEACHER_DROPOUT)]
            width = TEACHER_WIDTH
        layers.append(nn.Linear(width, classes))
        self.net = nn.Sequential(*layers)

    def forward(self, features):
        return self.net(self.norm(features))


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    return float((logits.argmax(1) == y).float().mean()), float(F.cross_entropy(logits, y)), logits


def train_teacher(x_train, y_train, x_valid, y_valid, classes, seed=0):
    torch.manual_seed(seed)
    mean = x_train.numpy().mean(axis=0)
    sd = x_train.numpy().std(axis=0)
    model = MlpTeacher(mean, sd, classes)
    opt = torch.optim.Adam(model.parameters(), lr=TEACHER_LR)
    gen = torch.Generator().manual_seed(seed)
    best, best_state, best_epoch = None, None, 0
    for epoch in range(1, TEACHER_MAX_EPOCHS + 1):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(perm), TEACHER_BATCH):
            idx = perm[i:i + TEACHER_BATCH]
            opt.zero_grad()
            F.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
        acc, loss, _ = evaluate(model, x_valid, y_valid)
        key = (acc, -loss)
        if best is None or key > best:
            best, best_state, best_epoch = key, copy.deepcopy(model.state_dict()), epoch
        elif epoch - best_epoch >= TEACHER_PATIENCE:
            break
    model.load_state_dict(best_state)
    model.eval()
    return model, best_epoch, epoch


def export_teacher(model, x_example, path, features, classes):
    with torch.no_grad():
        torch.onnx.export(model, (x_example,), path, input_names=["features"], output_names=["logits"],
                          dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, export_params=True)
    check_onnx(path, "features", [features], classes)


def check_onnx(path, input_name, input_dims, classes):
    """onnx.checker with shape inference, then the exact input/output names and shapes the runner expects."""
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    ins = [(v.name, v.type.tensor_type.elem_type, dims(v)) for v in model.graph.input]
    outs = [(v.name, v.type.tensor_type.elem_type, dims(v)) for v in model.graph.output]
    expected_in = [(input_name, onnx.TensorProto.FLOAT, ["batch"] + input_dims)]
    expected_out = [("logits", onnx.TensorProto.FLOAT, ["batch", classes])]
    if ins != expected_in or outs != expected_out:
        raise AssertionError(f"{path}: inputs {ins}, outputs {outs}; expected {expected_in}, {expected_out}")


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------

def make_tabular(name, out_dir):
    loader, hidden, description = TASKS[name]
    X, labels, classes, source = loader()
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in labels], dtype=np.int64)
    if len(set(y.tolist())) != len(classes):
        raise ValueError(f"{name}: classes {classes} but only {sorted(set(y.tolist()))} occur")
    train, valid, test = split(y)
    os.makedirs(out_dir, exist_ok=True)
    for part, rows in (("train", train), ("valid", valid), ("test", test)):
        write_csv(os.path.join(out_dir, f"{part}.csv"), X[rows], labels[rows])
    # The teacher trains on the float32 values of the numbers in the CSV files (what C# reads).
    X32 = X.astype(np.float32)
    t = {p: (torch.from_numpy(X32[r]), torch.from_numpy(y[r])) for p, r in
         (("train", train), ("valid", valid), ("test", test))}
    torch.set_num_threads(1)  # one thread: the development machine is shared, and two threads ran 4x slower there
    start = time.time()
    model, best_epoch, epochs_run = train_teacher(*t["train"], *t["valid"], len(classes))
    seconds = time.time() - start
    acc = {p: evaluate(model, *t[p])[0] for p in t}
    params = sum(p.numel() for p in model.parameters())
    log(f"{name}: {len(y)} rows x {X.shape[1]} features, {len(classes)} classes; teacher best epoch {best_epoch} "
        f"of {epochs_run} ({seconds:.0f} s): train {acc['train']:.4f}, valid {acc['valid']:.4f}, "
        f"test {acc['test']:.4f}")
    export_teacher(model, t["test"][0][:2], os.path.join(out_dir, "teacher.onnx"), X.shape[1], len(classes))
    write_json(os.path.join(out_dir, "task.json"), {
        "name": name,
        "description": description,
        "source": source,
        "features": int(X.shape[1]),
        "classes": classes,
        "label_column": "first",
        "image_shape": None,
        "rows": {"train": len(train), "valid": len(valid), "test": len(test)},
        "student_hidden_layers": hidden,
        "teacher": {
            "file": "teacher.onnx",
            "architecture": f"standardise, {TEACHER_DEPTH} x (Linear {TEACHER_WIDTH}, ReLU, Dropout "
                            f"{TEACHER_DROPOUT}), Linear {len(classes)}; Adam lr {TEACHER_LR}, batch "
                            f"{TEACHER_BATCH}, best of {epochs_run} epochs on validation (epoch {best_epoch}); "
                            f"trained on the train split",
            "parameters": params,
            "train_accuracy": acc["train"],
            "valid_accuracy": acc["valid"],
            "test_accuracy": acc["test"],
            "train_seconds": round(seconds, 1),
        },
    })


def read_idx_gz(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte idx file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def make_fashion(out_dir):
    if not os.path.exists(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")):
        raise SystemExit(f"Fashion-MNIST not found in {FASHION_DIR}: apt-get install dataset-fashion-mnist")
    tr_x = read_idx_gz(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")).reshape(60000, 784)
    tr_y = read_idx_gz(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    te_x = read_idx_gz(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz")).reshape(10000, 784)
    te_y = read_idx_gz(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    from sklearn.model_selection import train_test_split
    rows = np.random.default_rng(0).permutation(60000)
    train, valid = train_test_split(rows, test_size=10000, stratify=tr_y[rows], random_state=0)
    names = np.array(FASHION_CLASSES)
    # pixel/255 as float32, each of the 256 values written once as its shortest round-trip text
    table = [shortest_float32(np.float32(k) / np.float32(255.0)) for k in range(256)]
    assert all(np.float32(float(table[k])) == np.float32(k) / np.float32(255.0) for k in range(256))

    def text(row):
        return (table[v] for v in row)

    os.makedirs(out_dir, exist_ok=True)
    for part, x, y in (("train", tr_x[train], tr_y[train]), ("valid", tr_x[valid], tr_y[valid]),
                       ("test", te_x, te_y)):
        write_csv(os.path.join(out_dir, f"{part}.csv"), x, names[y], number_text=text)
    teacher = os.path.join(out_dir, "teacher.onnx")
    shutil.copyfile(FASHION_TEACHER, teacher)
    check_onnx(teacher, "image", [1, 28, 28], 10)
    # The teacher's accuracy per split, from the reference numbers make_fixtures.py measured in PyTorch on the
    # full test set; train/valid accuracy computed here with onnx's reference evaluator would be too slow, so
    # the runner measures them (and the test accuracy) with ONNX Runtime.
    with open(os.path.join(REPO, "samples", "Quickstart", "Data", "teacher_reference.json"), encoding="utf-8") as f:
        reference = json.load(f)
    log(f"fashion: {len(train)} train / {len(valid)} valid / {len(te_y)} test rows; "
        f"teacher test accuracy {reference['accuracy_full_test']:.4f} (make_fixtures.py)")
    write_json(os.path.join(out_dir, "task.json"), {
        "name": "fashion",
        "description": "Fashion-MNIST (28x28 grey images, pixel/255), 10 clothing classes",
        "source": f"Debian dataset-fashion-mnist ({FASHION_DIR}); test = the official 10k test set",
        "features": 784,
        "classes": FASHION_CLASSES,
        "label_column": "first",
        "image_shape": [1, 28, 28],
        "rows": {"train": len(train), "valid": len(valid), "test": len(te_y)},
        "student_hidden_layers": [128],
        "teacher": {
            "file": "teacher.onnx",
            "architecture": "CNN: 2 x (conv 3x3, BN, ReLU, max-pool 2) + FC 128 + FC 10 "
                            "(samples/Quickstart/Data/fashion_cnn_teacher.onnx, tools/make_fixtures.py); "
                            "trained on all 60,000 training rows (train + valid of this split)",
            "parameters": 421834,
            "train_accuracy": None,
            "valid_accuracy": None,
            "test_accuracy": reference["accuracy_full_test"],
            "train_seconds": None,
        },
    })


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "suite-data"))
    parser.add_argument("--tasks", default="all", help="comma-separated task names, or all: "
                        + ", ".join(list(TASKS) + ["fashion"]))
    parser.add_argument("--force", action="store_true", help="remake tasks whose task.json exists")
    args = parser.parse_args()
    names = list(TASKS) + ["fashion"]
    wanted = names if args.tasks == "all" else args.tasks.split(",")
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise SystemExit(f"unknown task(s) {unknown}; known: {names}")
    for name in wanted:
        out_dir = os.path.join(args.out, name)
        if os.path.exists(os.path.join(out_dir, "task.json")) and not args.force:
            log(f"{name}: {out_dir}/task.json exists, skipped (--force to remake)")
            continue
        if name == "fashion":
            make_fashion(out_dir)
        else:
            make_tabular(name, out_dir)
    log("done")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Make the committed Python-side fixtures of MLNet.Distillation.

What it makes
=============
A. The Quickstart sample's data and teacher, in samples/Quickstart/Data/:
   - train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz
       10,000 rows of the official Fashion-MNIST train set (60,000 rows), drawn
       at random without replacement with numpy.random.default_rng(0), kept in
       the official order; same idx layout (magic numbers, big-endian sizes) as
       the official files, gzip'ed with mtime 0 so the bytes are reproducible.
   - t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz
       the first 3,000 rows of the official t10k test set, same format.
   - train-subset-rows.txt
       the 0-based row numbers (in the official train file) of the 10,000 rows.
   - fashion_cnn_teacher.onnx
       a small CNN trained on the FULL official 60k train set, exported from
       PyTorch in eval mode: input "image" float32 [batch,1,28,28] (pixels/255),
       output "logits" float32 [batch,10] (raw logits, no softmax).
   - teacher_reference.json
       PyTorch logits for the first 16 rows of the bundled t10k subset, and the
       teacher's accuracy on the bundled 3,000-row subset and the full 10k set.
   - README.md  (source, licence, rows taken, classes, scaling, teacher facts)

B. Small test fixtures, in tests/MLNet.Distillation.Tests/Fixtures/:
   - wine.csv  sklearn's bundled UCI wine data (178 rows, 13 raw features,
       3 classes), rows shuffled with a fixed seed, columns
       Label,F0..F12,Split (Label = class_0/class_1/class_2, Split = train/test,
       a stratified 70/30 split).
   - wine_mlp_teacher.onnx          "features" [batch,13] -> "logits" [batch,3];
       MLP 13-64-64-3 (ReLU); the train-split standardisation is the graph's
       first op, so it takes the raw features.
   - wine_mlp_teacher_softmax.onnx  the same network + Softmax -> "probabilities".
   - two_output_teacher.onnx        "features" [batch,13] -> "logits" [batch,3]
       and "embedding" [batch,16] (MLP 13-32-16-3, embedding = the ReLU
       activations of the 16-wide layer; own training on the train split).
   - two_input_teacher.onnx         "input_ids" int64 [batch,seq] and
       "attention_mask" int64 [batch,seq] -> "logits" [batch,4]; embedding
       (vocab 50, dim 8) -> mean over positions with mask==1 -> linear; random
       seeded weights.
   - fixtures_reference.json        PyTorch outputs of each model above on fixed
       inputs (first 8 rows of wine.csv; 3 fixed token rows with padding) and
       the wine teachers' accuracies.
   - README.md

How to run
==========
    apt-get install python3-torch python3-onnx python3-sklearn \
        libopenblas0-pthread dataset-fashion-mnist
    /usr/bin/python3 tools/make_fixtures.py

(from the repository root, or anywhere: paths are relative to this file).
Written against Debian 12's torch 1.13, onnx 1.12, scikit-learn 1.2, numpy 1.24.
Everything is seeded; CPU only, 2 threads. The CNN training takes about 6-8
minutes on 2 cores; the whole script prints its run time at the end.
Options: --fashion-dir DIR (default /usr/share/datasets/fashion-mnist),
         --skip-teacher (only part B and the Fashion-MNIST subset files).

The reference numbers come from PyTorch, not from an ONNX runtime: the C# tests
compare ONNX Runtime's outputs with them (tolerance 1e-4). If the Python
package onnxruntime happens to be importable, this script checks that too.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QS_DATA = os.path.join(REPO, "samples", "Quickstart", "Data")
FIXTURES = os.path.join(REPO, "tests", "MLNet.Distillation.Tests", "Fixtures")
OPSET = 13

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# Teacher training settings (see README of the Quickstart data).
CNN_EPOCHS = 12
CNN_BATCH = 128
CNN_LR = 1e-3
CNN_MIN_ACCURACY = 0.92

T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def seed_all(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)


def f32list(a):
    """numpy/torch float32 array -> nested Python floats, each written with the
    shortest decimal text that reads back as the same float32 value."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 0:
        v = float(str(np.float32(a)))  # numpy prints the shortest round-trip text
        assert np.float32(v) == a
        return v
    return [f32list(v) for v in a]


def _json(obj, indent=0):
    """JSON with every list of scalars on one line (compact, diff-friendly)."""
    pad, pad1 = " " * indent, " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad1}{json.dumps(k)}: {_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, (list, dict)) for v in obj):
        items = [pad1 + _json(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


def write_json(path, obj):
    text = _json(obj) + "\n"
    assert json.loads(text) == obj
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---------------------------------------------------------------------------
# idx files
# ---------------------------------------------------------------------------

IDX_UBYTE = 0x08  # element type code of unsigned bytes in the idx format


def read_idx_gz(path):
    """Read an idx file (gzip'ed); returns a uint8 array of the stored shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != IDX_UBYTE:
        raise ValueError(f"{path}: not an unsigned-byte idx file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch")
    return arr.reshape(dims)


def write_idx_gz(path, arr):
    """Write a uint8 array as an idx file (magic 0x00000801 for 1-D labels,
    0x00000803 for 3-D images, sizes as big-endian int32), gzip'ed with no
    file name and mtime 0 so the output is byte-for-byte reproducible."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    header = struct.pack(">HBB", 0, IDX_UBYTE, arr.ndim)
    header += struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                           compresslevel=9, mtime=0) as gz:
            gz.write(header)
            gz.write(arr.tobytes())
    back = read_idx_gz(path)
    assert back.shape == arr.shape and np.array_equal(back, arr)


# ---------------------------------------------------------------------------
# ONNX checks
# ---------------------------------------------------------------------------

ONNX_TYPES = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT64: "int64"}


def describe_io(values):
    out = []
    for v in values:
        t = v.type.tensor_type
        dims = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
        out.append((v.name, ONNX_TYPES.get(t.elem_type, str(t.elem_type)), dims))
    return out


def check_onnx(path, inputs, outputs, feeds=None, expected=None):
    """onnx.checker (with shape inference), exact input/output names, types and
    shapes; if onnxruntime is importable, also compare its outputs on `feeds`
    with the PyTorch outputs `expected` (dict name -> array)."""
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    got_in = describe_io(model.graph.input)
    got_out = describe_io(model.graph.output)
    if got_in != inputs:
        raise AssertionError(f"{path}: inputs {got_in} != {inputs}")
    if got_out != outputs:
        raise AssertionError(f"{path}: outputs {got_out} != {outputs}")
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    log(f"  {os.path.relpath(path, REPO)}: ok, opset {opset}, "
        f"{os.path.getsize(path)} bytes, inputs {got_in}, outputs {got_out}")
    if feeds is not None:
        try:
            import onnxruntime as ort  # not packaged in Debian 12; optional
        except ImportError:
            return
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        res = sess.run(list(expected), feeds)
        for name, r in zip(expected, res):
            diff = float(np.max(np.abs(r - expected[name])))
            log(f"    onnxruntime {name}: max |diff| = {diff:.2e}")
            if diff > 1e-4:
                raise AssertionError(f"{path}: onnxruntime differs on {name}")


def export(model, args, path, input_names, output_names, dynamic_axes):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes,
                          opset_version=OPSET, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL,
                          export_params=True)


def forward_twice(model, *args):
    """Eval-mode forward pass, run twice to make sure it is deterministic;
    also checks that a one-row batch gives the same numbers as the full batch
    (dropout/BN really off)."""
    model.eval()
    with torch.no_grad():
        a = model(*args)
        b = model(*args)
        one = model(*[x[:1] for x in args])
    single = not isinstance(a, tuple)
    if single:
        a, b, one = (a,), (b,), (one,)
    for x, y, z in zip(a, b, one):
        assert torch.equal(x, y), "forward pass is not deterministic"
        assert torch.allclose(x[:1], z, atol=1e-5), "batch-dependent output"
    return a[0] if single else a


# ---------------------------------------------------------------------------
# A. Fashion-MNIST subset + CNN teacher
# ---------------------------------------------------------------------------

class FashionCnn(nn.Module):
    """conv(1->32,3,pad1)+BN+ReLU+maxpool2, conv(32->64,3,pad1)+BN+ReLU+maxpool2,
    flatten 3136 -> fc 128 + ReLU + dropout(0.3) -> fc 10 (raw logits)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(128, 10))

    def forward(self, image):
        return self.classifier(self.features(image))


def to_float(images_u8):
    """The teacher's input scaling: pixel / 255 as float32, shape [N,1,28,28]."""
    return torch.from_numpy(images_u8.astype(np.float32) / np.float32(255.0)).unsqueeze(1)


def predict(model, x, batch=1000):
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            outs.append(model(x[i:i + batch]))
    return torch.cat(outs)


def accuracy(logits, labels):
    return int((logits.argmax(1) == labels).sum()) / len(labels)


def make_fashion(fashion_dir, skip_teacher):
    os.makedirs(QS_DATA, exist_ok=True)
    log(f"reading Fashion-MNIST from {fashion_dir}")
    tr_x = read_idx_gz(os.path.join(fashion_dir, "train-images-idx3-ubyte.gz"))
    tr_y = read_idx_gz(os.path.join(fashion_dir, "train-labels-idx1-ubyte.gz"))
    te_x = read_idx_gz(os.path.join(fashion_dir, "t10k-images-idx3-ubyte.gz"))
    te_y = read_idx_gz(os.path.join(fashion_dir, "t10k-labels-idx1-ubyte.gz"))
    assert tr_x.shape == (60000, 28, 28) and tr_y.shape == (60000,)
    assert te_x.shape == (10000, 28, 28) and te_y.shape == (10000,)

    # --- the bundled subset -------------------------------------------------
    rows = np.sort(np.random.default_rng(0).choice(60000, size=10000, replace=False))
    write_idx_gz(os.path.join(QS_DATA, "train-images-idx3-ubyte.gz"), tr_x[rows])
    write_idx_gz(os.path.join(QS_DATA, "train-labels-idx1-ubyte.gz"), tr_y[rows])
    write_idx_gz(os.path.join(QS_DATA, "t10k-images-idx3-ubyte.gz"), te_x[:3000])
    write_idx_gz(os.path.join(QS_DATA, "t10k-labels-idx1-ubyte.gz"), te_y[:3000])
    with open(os.path.join(QS_DATA, "train-subset-rows.txt"), "w") as f:
        f.write("\n".join(str(int(r)) for r in rows) + "\n")
    train_counts = np.bincount(tr_y[rows], minlength=10).tolist()
    test_counts = np.bincount(te_y[:3000], minlength=10).tolist()
    log(f"wrote the subset: train class counts {train_counts}, test {test_counts}")
    subset = {"train_rows_first": rows[:5].tolist(), "train_counts": train_counts,
              "test_counts": test_counts}
    if skip_teacher:
        return subset, None

    # --- the teacher --------------------------------------------------------
    seed_all(0)
    xtr, ytr = to_float(tr_x), torch.from_numpy(tr_y.astype(np.int64))
    xte, yte = to_float(te_x), torch.from_numpy(te_y.astype(np.int64))
    model = FashionCnn()
    opt = torch.optim.Adam(model.parameters(), lr=CNN_LR)
    steps_per_epoch = (len(xtr) + CNN_BATCH - 1) // CNN_BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=CNN_LR * 2, epochs=CNN_EPOCHS, steps_per_epoch=steps_per_epoch)
    gen = torch.Generator().manual_seed(0)
    t_train = time.time()
    for epoch in range(CNN_EPOCHS):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(xtr), CNN_BATCH):
            idx = perm[i:i + CNN_BATCH]
            xb, yb = xtr[idx], ytr[idx]
            # light augmentation: random horizontal flip of half the images
            flip = torch.rand(len(xb), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad()
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss) * len(xb)
            correct += int((out.argmax(1) == yb).sum())
            total += len(xb)
        test_acc = accuracy(predict(model, xte), yte)
        log(f"  epoch {epoch + 1:2d}/{CNN_EPOCHS}: train loss {loss_sum / total:.4f}, "
            f"train acc {correct / total:.4f}, test acc {test_acc:.4f}")
    train_seconds = time.time() - t_train

    model.eval()
    logits_full = predict(model, xte)
    acc_full = accuracy(logits_full, yte)
    acc_bundled = accuracy(logits_full[:3000], yte[:3000])
    log(f"teacher: full 10k test accuracy {acc_full:.4f}, bundled 3k {acc_bundled:.4f}")
    if acc_full < CNN_MIN_ACCURACY:
        raise SystemExit(f"teacher accuracy {acc_full:.4f} < {CNN_MIN_ACCURACY}")

    # reference logits of the first 16 bundled test rows (PyTorch)
    ref_logits = forward_twice(model, xte[:16])
    assert torch.allclose(ref_logits, logits_full[:16], atol=1e-5)

    path = os.path.join(QS_DATA, "fashion_cnn_teacher.onnx")
    export(model, (xte[:2],), path, ["image"], ["logits"],
           {"image": {0: "batch"}, "logits": {0: "batch"}})
    check_onnx(path, [("image", "float32", ["batch", 1, 28, 28])],
               [("logits", "float32", ["batch", 10])],
               {"image": xte[:16].numpy()}, {"logits": ref_logits.numpy()})
    assert os.path.getsize(path) <= 2 * 1024 * 1024

    write_json(os.path.join(QS_DATA, "teacher_reference.json"), {
        "model": "fashion_cnn_teacher.onnx",
        "input": "image: float32 [N,1,28,28], pixel/255 of the bundled t10k rows",
        "output": "logits: float32 [N,10], raw logits (PyTorch, eval mode)",
        "class_names": FASHION_CLASSES,
        "rows": list(range(16)),
        "labels": te_y[:16].astype(int).tolist(),
        "logits": f32list(ref_logits),
        "accuracy_bundled_test": acc_bundled,
        "accuracy_full_test": acc_full,
    })
    teacher = {"acc_full": acc_full, "acc_bundled": acc_bundled,
               "train_seconds": train_seconds,
               "params": sum(p.numel() for p in model.parameters()),
               "onnx_bytes": os.path.getsize(path)}
    return subset, teacher


# ---------------------------------------------------------------------------
# B. Small test fixtures
# ---------------------------------------------------------------------------

class Standardize(nn.Module):
    """(x - mean) / std with the train-split statistics as constants; exported
    as the graph's first ops (Sub, Div) so the ONNX takes raw features."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x):
        return (x - self.mean) / self.std


class WineMlp(nn.Module):
    """standardise -> 13-64 ReLU -> 64-64 ReLU -> 64-3 (logits)."""

    def __init__(self, mean, std):
        super().__init__()
        self.norm = Standardize(mean, std)
        self.net = nn.Sequential(nn.Linear(13, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                 nn.Linear(64, 3))

    def forward(self, features):
        return self.net(self.norm(features))


class WithSoftmax(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, features):
        return torch.softmax(self.inner(features), dim=1)


class TwoOutputMlp(nn.Module):
    """standardise -> 13-32 ReLU -> 32-16 ReLU (= embedding) -> 16-3 (logits)."""

    def __init__(self, mean, std):
        super().__init__()
        self.norm = Standardize(mean, std)
        self.body = nn.Sequential(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.head = nn.Linear(16, 3)

    def forward(self, features):
        embedding = self.body(self.norm(features))
        return self.head(embedding), embedding


class TwoInputTextTeacher(nn.Module):
    """embedding(50, 8) -> mean over the positions where attention_mask == 1
    -> linear(8, 4). Padding ids are irrelevant: masked positions are ignored."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.out = nn.Linear(8, 4)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.to(torch.float32).unsqueeze(-1)       # [N,seq,1]
        summed = (self.embed(input_ids) * mask).sum(dim=1)          # [N,8]
        count = mask.sum(dim=1).clamp(min=1.0)                      # [N,1]
        return self.out(summed / count)


# Wine teachers: full-batch Adam; label smoothing keeps the teachers' soft
# targets informative (logits within about +-3.5 instead of +-20).
WINE_EPOCHS = 200
WINE_LR = 3e-3
WINE_LABEL_SMOOTHING = 0.1


def train_full_batch(model, x, y, seed, multi_output=False):
    seed_all(seed)
    epochs, lr = WINE_EPOCHS, WINE_LR
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        out = model(x)
        out = out[0] if multi_output else out
        F.cross_entropy(out, y, label_smoothing=WINE_LABEL_SMOOTHING).backward()
        opt.step()
    model.eval()


def make_wine():
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    os.makedirs(FIXTURES, exist_ok=True)
    wine = load_wine()
    X64, y = wine.data, wine.target.astype(np.int64)
    assert X64.shape == (178, 13)
    # Rows shuffled (the bundled file is sorted by class) and a stratified
    # 70/30 split, both seeded.
    order = np.random.default_rng(0).permutation(len(y))
    X64, y = X64[order], y[order]
    train_idx, _ = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                                    random_state=0)
    is_train = np.zeros(len(y), dtype=bool)
    is_train[train_idx] = True

    csv_path = os.path.join(FIXTURES, "wine.csv")
    with open(csv_path, "w", newline="\n") as f:
        f.write("Label," + ",".join(f"F{i}" for i in range(13)) + ",Split\n")
        for row, label, tr in zip(X64, y, is_train):
            f.write(f"class_{label}," + ",".join(repr(float(v)) for v in row)
                    + ("," + ("train" if tr else "test")) + "\n")
    # Read the numbers back the way C# will (text -> float32).
    with open(csv_path) as f:
        lines = f.read().splitlines()[1:]
    X = np.array([[np.float32(v) for v in ln.split(",")[1:14]] for ln in lines],
                 dtype=np.float32)
    assert np.array_equal(X, X64.astype(np.float32))
    log(f"wrote wine.csv: {len(y)} rows, {is_train.sum()} train, {(~is_train).sum()} test")

    xtr, ytr = torch.from_numpy(X[is_train]), torch.from_numpy(y[is_train])
    xte, yte = torch.from_numpy(X[~is_train]), torch.from_numpy(y[~is_train])
    mean = X[is_train].mean(axis=0)
    std = X[is_train].std(axis=0)  # population std (ddof=0)

    seed_all(1)
    mlp = WineMlp(mean, std)
    train_full_batch(mlp, xtr, ytr, seed=1)
    with torch.no_grad():
        mlp_train_acc = accuracy(mlp(xtr), ytr)
        mlp_test_acc = accuracy(mlp(xte), yte)
    log(f"wine MLP: train acc {mlp_train_acc:.4f}, test acc {mlp_test_acc:.4f}")
    assert mlp_test_acc > 0.9

    seed_all(2)
    two = TwoOutputMlp(mean, std)
    train_full_batch(two, xtr, ytr, seed=2, multi_output=True)
    with torch.no_grad():
        two_train_acc = accuracy(two(xtr)[0], ytr)
        two_test_acc = accuracy(two(xte)[0], yte)
    log(f"two-output MLP: train acc {two_train_acc:.4f}, test acc {two_test_acc:.4f}")
    assert two_test_acc > 0.9

    seed_all(3)
    text = TwoInputTextTeacher()
    text.eval()

    # --- reference inputs ---------------------------------------------------
    x8 = torch.from_numpy(X[:8].copy())
    ids = torch.tensor([[5, 12, 7, 33, 2, 0],      # last position padding
                        [1, 2, 3, 17, 17, 17],     # 3 padded positions, ids != 0
                        [49, 48, 47, 46, 45, 44]],  # no padding
                       dtype=torch.int64)
    mask = torch.tensor([[1, 1, 1, 1, 1, 0],
                         [1, 1, 1, 0, 0, 0],
                         [1, 1, 1, 1, 1, 1]], dtype=torch.int64)

    mlp_logits = forward_twice(mlp, x8)
    soft = WithSoftmax(mlp)
    mlp_probs = forward_twice(soft, x8)
    two_logits, two_emb = forward_twice(two, x8)
    text_logits = forward_twice(text, ids, mask)
    # masking really ignores the padded ids
    with torch.no_grad():
        alt = ids.clone()
        alt[mask == 0] = 9
        assert torch.allclose(text(alt, mask), text_logits, atol=1e-6)

    # --- export + check -----------------------------------------------------
    feat_in = [("features", "float32", ["batch", 13])]
    feeds = {"features": x8.numpy()}
    p = os.path.join(FIXTURES, "wine_mlp_teacher.onnx")
    export(mlp, (x8,), p, ["features"], ["logits"],
           {"features": {0: "batch"}, "logits": {0: "batch"}})
    check_onnx(p, feat_in, [("logits", "float32", ["batch", 3])], feeds,
               {"logits": mlp_logits.numpy()})
    first_op = onnx.load(p).graph.node[0].op_type
    assert first_op == "Sub", first_op

    p = os.path.join(FIXTURES, "wine_mlp_teacher_softmax.onnx")
    export(soft, (x8,), p, ["features"], ["probabilities"],
           {"features": {0: "batch"}, "probabilities": {0: "batch"}})
    check_onnx(p, feat_in, [("probabilities", "float32", ["batch", 3])], feeds,
               {"probabilities": mlp_probs.numpy()})

    p = os.path.join(FIXTURES, "two_output_teacher.onnx")
    export(two, (x8,), p, ["features"], ["logits", "embedding"],
           {"features": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}})
    check_onnx(p, feat_in, [("logits", "float32", ["batch", 3]),
                            ("embedding", "float32", ["batch", 16])], feeds,
               {"logits": two_logits.numpy(), "embedding": two_emb.numpy()})

    p = os.path.join(FIXTURES, "two_input_teacher.onnx")
    export(text, (ids, mask), p, ["input_ids", "attention_mask"], ["logits"],
           {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "logits": {0: "batch"}})
    check_onnx(p, [("input_ids", "int64", ["batch", "seq"]),
                   ("attention_mask", "int64", ["batch", "seq"])],
               [("logits", "float32", ["batch", 4])],
               {"input_ids": ids.numpy(), "attention_mask": mask.numpy()},
               {"logits": text_logits.numpy()})

    labels8 = [f"class_{int(v)}" for v in y[:8]]
    write_json(os.path.join(FIXTURES, "fixtures_reference.json"), {
        "note": "PyTorch (eval mode) outputs; logit index k <-> label class_k",
        "wine": {
            "file": "wine.csv",
            "class_names": ["class_0", "class_1", "class_2"],
            "rows": list(range(8)),
            "labels": labels8,
            "splits": ["train" if t else "test" for t in is_train[:8]],
            "features": f32list(X[:8]),
            "n_train": int(is_train.sum()),
            "n_test": int((~is_train).sum()),
            "train_mean": f32list(mean),
            "train_std": f32list(std),
        },
        "wine_mlp_teacher": {
            "file": "wine_mlp_teacher.onnx",
            "inputs": {"features": ["batch", 13]},
            "outputs": {"logits": ["batch", 3]},
            "logits": f32list(mlp_logits),
            "accuracy_train": mlp_train_acc,
            "accuracy_test": mlp_test_acc,
        },
        "wine_mlp_teacher_softmax": {
            "file": "wine_mlp_teacher_softmax.onnx",
            "inputs": {"features": ["batch", 13]},
            "outputs": {"probabilities": ["batch", 3]},
            "probabilities": f32list(mlp_probs),
        },
        "two_output_teacher": {
            "file": "two_output_teacher.onnx",
            "inputs": {"features": ["batch", 13]},
            "outputs": {"logits": ["batch", 3], "embedding": ["batch", 16]},
            "logits": f32list(two_logits),
            "embedding": f32list(two_emb),
            "accuracy_train": two_train_acc,
            "accuracy_test": two_test_acc,
        },
        "two_input_teacher": {
            "file": "two_input_teacher.onnx",
            "inputs": {"input_ids": ["batch", "seq"], "attention_mask": ["batch", "seq"]},
            "outputs": {"logits": ["batch", 4]},
            "input_ids": ids.tolist(),
            "attention_mask": mask.tolist(),
            "logits": f32list(text_logits),
        },
        "wine_teacher_accuracy_test": mlp_test_acc,
    })
    return {"mlp_test": mlp_test_acc, "mlp_train": mlp_train_acc,
            "two_test": two_test_acc, "n_train": int(is_train.sum()),
            "n_test": int((~is_train).sum())}


# ---------------------------------------------------------------------------
# READMEs
# ---------------------------------------------------------------------------

def write_quickstart_readme(subset, teacher):
    acc = (f"**{teacher['acc_full'] * 100:.2f}%** on the full official 10,000-row test set and "
           f"**{teacher['acc_bundled'] * 100:.2f}%** on the bundled 3,000-row test subset")
    params = (f" ({teacher['params']:,} parameters, ONNX file {teacher['onnx_bytes']:,} bytes)")
    classes = "\n".join(f"| {i} | {n} |" for i, n in enumerate(FASHION_CLASSES))
    text = f"""# Quickstart data: Fashion-MNIST subset and a CNN teacher

Made by `tools/make_fixtures.py` (see that file for how to rerun it); do not edit by hand.

## Data

Source: [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist) by Zalando Research,
as shipped by the Debian package `dataset-fashion-mnist`.
Licence: MIT, Copyright (c) 2017 Zalando SE (https://tech.zalando.com).

| file | rows | taken from |
| --- | --- | --- |
| `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz` | 10,000 | the official 60,000-row train set: rows drawn at random without replacement, `numpy.random.default_rng(0).choice(60000, 10000, replace=False)`, sorted, so they keep the official order; the 0-based row numbers are in `train-subset-rows.txt` |
| `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz` | 3,000 | the first 3,000 rows of the official 10,000-row t10k test set |

The files have exactly the official layout (gzip'ed idx: images magic `0x00000803`, then
N, 28, 28 as big-endian int32, then N*784 unsigned bytes, row-major; labels magic
`0x00000801`, then N, then N bytes 0-9), so any MNIST/Fashion-MNIST reader works on them.

Train-subset class counts (labels 0-9): {subset['train_counts']}.
Test-subset class counts: {subset['test_counts']}.

| label | class |
| --- | --- |
{classes}

## Teacher: `fashion_cnn_teacher.onnx`

- Input `image`: float32 `[batch, 1, 28, 28]`, the pixels scaled as **x / 255** (float32, no
  mean/std normalisation). Output `logits`: float32 `[batch, 10]`, raw logits (no softmax).
  Dynamic batch axis named `batch`. ONNX opset {OPSET}, exported from PyTorch 1.13 in eval mode.
- Architecture: conv(1->32, 3x3, pad 1) + BatchNorm + ReLU + maxpool 2 ->
  conv(32->64, 3x3, pad 1) + BatchNorm + ReLU + maxpool 2 -> flatten (3136) ->
  fc 128 + ReLU + dropout 0.3 -> fc 10{params}. In the exported graph the BatchNorms are
  folded into the convolutions and the dropout is gone (ops: Conv, Relu, MaxPool, Conv, Relu,
  MaxPool, Flatten, Gemm, Relu, Gemm).
- Training: the FULL official 60,000-row train set, {CNN_EPOCHS} epochs, batch {CNN_BATCH},
  Adam with a one-cycle learning-rate schedule (peak {CNN_LR * 2:g}), cross-entropy,
  random horizontal flips as the only augmentation, seed 0, CPU.
- Accuracy: {acc}.
- `teacher_reference.json`: the PyTorch logits of the first 16 rows of the bundled t10k
  subset (`rows`, `labels`, `logits`), plus `accuracy_bundled_test` and `accuracy_full_test`.
"""
    with open(os.path.join(QS_DATA, "README.md"), "w") as f:
        f.write(text)


def write_fixtures_readme(wine):
    text = f"""# Test fixtures made in Python

Made by `tools/make_fixtures.py`; do not edit by hand. Reference numbers in
`fixtures_reference.json` come from PyTorch (eval mode), not from ONNX Runtime.

- `wine.csv`: the UCI wine data set as bundled with scikit-learn (`load_wine`; UCI Machine
  Learning Repository, CC BY 4.0): 178 rows, 13 raw (unstandardised) features, 3 classes.
  Columns `Label,F0,...,F12,Split`; `Label` is `class_0`/`class_1`/`class_2`; rows shuffled
  with `numpy.random.default_rng(0)`; `Split` is a stratified 70/30 split
  (`train_test_split(..., stratify=y, random_state=0)`): {wine['n_train']} `train`, {wine['n_test']} `test`.
- `wine_mlp_teacher.onnx`: `features` float32 [batch,13] (raw) -> `logits` float32 [batch,3].
  Standardisation with the train-split mean/std (population std) is built into the graph
  (first ops Sub, Div); then MLP 13-64-64-3 with ReLU. Trained on the train split only:
  full-batch Adam, {WINE_EPOCHS} steps, lr {WINE_LR:g}, weight decay 1e-4, cross-entropy with
  label smoothing {WINE_LABEL_SMOOTHING:g} (so its soft targets are not all 0/1). Test accuracy {wine['mlp_test'] * 100:.2f}%.
- `wine_mlp_teacher_softmax.onnx`: the same network + Softmax -> `probabilities` [batch,3].
- `two_output_teacher.onnx`: `features` [batch,13] -> `logits` [batch,3] and `embedding`
  [batch,16] (ReLU activations of the 16-wide penultimate layer; MLP 13-32-16-3, own
  training with the same settings, test accuracy {wine['two_test'] * 100:.2f}%).
- `two_input_teacher.onnx`: `input_ids` int64 [batch,seq] and `attention_mask` int64
  [batch,seq] -> `logits` float32 [batch,4]; embedding (vocab 50, dim 8), mean over the
  positions where the mask is 1, linear 8->4; random seeded weights.
- `fixtures_reference.json`: inputs and outputs of each model (first 8 rows of `wine.csv`;
  3 token rows of length 6 with padding), and accuracies. Logit index k is class `class_k`.
"""
    with open(os.path.join(FIXTURES, "README.md"), "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fashion-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--skip-teacher", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    log(f"torch {torch.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")

    wine = make_wine()
    write_fixtures_readme(wine)
    subset, teacher = make_fashion(args.fashion_dir, args.skip_teacher)
    if teacher is not None:  # --skip-teacher leaves the README as it was
        write_quickstart_readme(subset, teacher)

    log("files:")
    for folder in (QS_DATA, FIXTURES):
        for name in sorted(os.listdir(folder)):
            p = os.path.join(folder, name)
            log(f"  {os.path.getsize(p):>10,}  {sha256(p)[:16]}  {os.path.relpath(p, REPO)}")
    log(f"done in {time.time() - T0:.1f} s")


if __name__ == "__main__":
    main()

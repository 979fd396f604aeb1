#!/usr/bin/python3
"""Make the embedding-emitting teachers of the representation-distillation evidence (samples/Representations) in
the git-ignored suite-data/embeddings/, and with --fixtures the small committed test fixture
tests/MLNet.Distillation.Tests/Fixtures/embeddings/.

Every teacher is exported to ONNX with TWO outputs, read in C# with
    mlContext.Transforms.Distill(new DistillOptions { InputColumnName = "Features", TeacherModelPath = ...,
        OutputColumns = { ["logits"] = "TeacherLogits", ["embedding"] = "TeacherEmbedding" } })
  input  "features"  float32 [batch, F]   the raw features as in the CSV files (no scaling outside the graph)
  output "logits"    float32 [batch, K]   raw logits, class order = "classes" in task.json
  output "embedding" float32 [batch, D]   the teacher's last hidden layer after its ReLU (what its classifier reads)

Tasks (suite-data/embeddings/<task>/: train.csv, valid.csv, test.csv, teacher.onnx, task.json)
=================================================================================================
    fashion  Fashion-MNIST, the suite's split (50,000 train / 10,000 valid / official 10,000 test), pixel/255.
             Teacher: a CNN trained on the 50,000 TRAIN rows only (unlike the suite's fashion teacher, which saw
             all 60,000): reshape [1,28,28] -> 2 x (conv 3x3, BN, ReLU, max-pool 2) with 16 and 32 channels ->
             Linear 128, ReLU (= embedding, D = 128) -> Linear 10. Adam lr 1e-3, batch 128, 6 epochs, the epoch
             with the best validation accuracy kept. Student hidden layers [128].
    letter   R mlbench LetterRecognition, the suite's 70 / 10 / 20 split (tools/make_suite.py's split()).
             Teacher: standardise (train-split constants) -> 2 x (Linear 512, ReLU, Dropout 0.2) -> Linear 128,
             ReLU (= embedding, D = 128) -> Dropout 0.2 -> Linear 26, trained on the TRAIN split only: Adam lr 1e-3,
             batch 128, at most 60 epochs, early stopping on validation accuracy (patience 10, ties broken by
             validation log-loss), the best epoch kept. Student hidden layers [128].

CSV layout and splits are exactly those of tools/make_suite.py (label name first, then F0..F{n-1}), so the suite's
rows and these are the same; only the teachers differ. Where suite-data/fashion/<split>.csv exists (same rows, same
bytes) the fashion CSV files are hard links to it.

Fixture (--fixtures): tests/MLNet.Distillation.Tests/Fixtures/embeddings/
    digits_embedding_teacher.onnx  scikit-learn digits (64 pixels, 0-16): standardise -> Linear 64, ReLU ->
                                   Linear 32, ReLU (= embedding, D = 32) -> Linear 10; trained on the suite's digits
                                   train split (1,257 rows) only: full-batch Adam lr 3e-3, 300 steps, seed 0.
    train.csv, test.csv            the first 300 train and 100 test rows of that split (Label,F0..F63).
    reference.json                 PyTorch (eval mode) logits and embedding of the first 8 test rows, the teacher's
                                   accuracy on the fixture rows and on the whole test split.

How to run (Debian 12, as root for apt):
    apt-get install python3-torch python3-onnx python3-sklearn libopenblas0-pthread r-cran-mlbench \\
        dataset-fashion-mnist
    /usr/bin/python3 tools/make_embedding_teachers.py [--out suite-data/embeddings] [--tasks fashion,letter]
        [--fixtures] [--force]
A task whose task.json exists is skipped unless --force. Seeded; CPU, one PyTorch thread.
"""

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_suite as suite  # noqa: E402  (the suite's loaders, split and writers: same rows)

REPO = suite.REPO
FIXTURE_DIR = os.path.join(REPO, "tests", "MLNet.Distillation.Tests", "Fixtures", "embeddings")
OPSET = 13
EMBEDDING = 128
T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


class Standardize(suite.Standardize):
    pass


class MlpEmbeddingTeacher(nn.Module):
    """standardise -> hidden ReLU layers (dropout between) -> embedding (ReLU) -> [dropout] -> logits."""

    def __init__(self, mean, sd, widths, embedding, classes, dropout):
        super().__init__()
        self.norm = Standardize(mean, sd)
        layers, width = [], len(mean)
        for w in widths:
            layers += [nn.Linear(width, w), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout > 0 else [])
            width = w
        layers += [nn.Linear(width, embedding), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(embedding, classes)

    def forward(self, features):
        e = self.body(self.norm(features))
        return self.head(self.drop(e)), e


class CnnEmbeddingTeacher(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Sequential(nn.Linear(32 * 7 * 7, EMBEDDING), nn.ReLU())
        self.head = nn.Linear(EMBEDDING, classes)

    def forward(self, features):
        x = self.conv(features.reshape(-1, 1, 28, 28))
        e = self.fc(x.flatten(1))
        return self.head(e), e


def evaluate(model, x, y, batch=2000):
    model.eval()
    logits = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits.append(model(x[i:i + batch])[0])
    logits = torch.cat(logits)
    return float((logits.argmax(1) == y).float().mean()), float(F.cross_entropy(logits, y))


def train(model, x_train, y_train, x_valid, y_valid, lr, batch, max_epochs, patience, seed=0, full_batch_steps=0):
    """Adam on cross-entropy; the epoch with the best (validation accuracy, -log-loss) kept. Returns (best epoch, run)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    if full_batch_steps:
        for _ in range(full_batch_steps):
            model.train()
            opt.zero_grad()
            F.cross_entropy(model(x_train)[0], y_train).backward()
            opt.step()
        model.eval()
        return full_batch_steps, full_batch_steps
    best, best_state, best_epoch, epoch = None, None, 0, 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            F.cross_entropy(model(x_train[idx])[0], y_train[idx]).backward()
            opt.step()
        acc, loss = evaluate(model, x_valid, y_valid)
        log(f"  epoch {epoch}: valid accuracy {acc:.4f}, log-loss {loss:.4f}")
        key = (acc, -loss)
        if best is None or key > best:
            best, best_state, best_epoch = key, copy.deepcopy(model.state_dict()), epoch
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return best_epoch, epoch


def export(model, x_example, path, features, classes, embedding):
    """Two outputs, 'logits' and 'embedding'; written to a temporary file, checked, then renamed."""
    tmp = path + ".tmp.onnx"
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, (x_example,), tmp, input_names=["features"], output_names=["logits", "embedding"],
                          dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, export_params=True)
    m = onnx.load(tmp)
    onnx.checker.check_model(m, full_check=True)

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    ins = [(v.name, dims(v)) for v in m.graph.input]
    outs = [(v.name, dims(v)) for v in m.graph.output]
    expected = ([("features", ["batch", features])], [("logits", ["batch", classes]), ("embedding", ["batch", embedding])])
    if (ins, outs) != expected:
        raise AssertionError(f"{path}: inputs {ins}, outputs {outs}; expected {expected}")
    os.replace(tmp, path)


def tensors(X, y, rows):
    return torch.from_numpy(X[rows].astype(np.float32)), torch.from_numpy(y[rows])


def write_task(out_dir, name, description, source, X, labels, classes, splits, model, architecture, best_epoch,
               epochs_run, seconds, hidden):
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in labels], dtype=np.int64)
    acc = {p: evaluate(model, *tensors(X, y, r))[0] for p, r in splits.items()}
    export(model, tensors(X, y, splits["test"][:2])[0], os.path.join(out_dir, "teacher.onnx"), X.shape[1],
           len(classes), EMBEDDING)
    log(f"{name}: teacher best epoch {best_epoch} of {epochs_run} ({seconds:.0f} s): train {acc['train']:.4f}, "
        f"valid {acc['valid']:.4f}, test {acc['test']:.4f}")
    suite.write_json(os.path.join(out_dir, "task.json"), {
        "name": name,
        "description": description,
        "source": source,
        "features": int(X.shape[1]),
        "classes": classes,
        "label_column": "first",
        "image_shape": None,
        "rows": {p: len(r) for p, r in splits.items()},
        "student_hidden_layers": hidden,
        "teacher": {
            "file": "teacher.onnx",
            "outputs": {"logits": len(classes), "embedding": EMBEDDING},
            "architecture": f"{architecture}; best of {epochs_run} epochs on validation (epoch {best_epoch}); "
                            f"trained on the train split only",
            "parameters": sum(p.numel() for p in model.parameters()),
            "train_accuracy": acc["train"],
            "valid_accuracy": acc["valid"],
            "test_accuracy": acc["test"],
            "train_seconds": round(seconds, 1),
        },
    })


def make_letter(out_dir):
    X, labels, classes, source = suite.load_letter()
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in labels], dtype=np.int64)
    train_rows, valid_rows, test_rows = suite.split(y)
    os.makedirs(out_dir, exist_ok=True)
    for part, rows in (("train", train_rows), ("valid", valid_rows), ("test", test_rows)):
        suite.write_csv(os.path.join(out_dir, f"{part}.csv"), X[rows], labels[rows])
    X32 = X.astype(np.float32)
    torch.manual_seed(0)
    mean, sd = X32[train_rows].mean(axis=0), X32[train_rows].std(axis=0)
    model = MlpEmbeddingTeacher(mean, sd, [512, 512], EMBEDDING, len(classes), 0.2)
    start = time.time()
    best, run = train(model, *tensors(X32, y, train_rows), *tensors(X32, y, valid_rows), lr=1e-3, batch=128,
                      max_epochs=60, patience=10)
    write_task(out_dir, "letter", "letter images (16 statistics), 26 capital letters", source, X32, labels, classes,
               {"train": train_rows, "valid": valid_rows, "test": test_rows}, model,
               "standardise, 2 x (Linear 512, ReLU, Dropout 0.2), Linear 128, ReLU (embedding), Dropout 0.2, "
               "Linear 26; Adam lr 0.001, batch 128", best, run, time.time() - start, [128])


def make_fashion(out_dir):
    d = suite.FASHION_DIR
    if not os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
        raise SystemExit(f"Fashion-MNIST not found in {d}: apt-get install dataset-fashion-mnist")
    tr_x = suite.read_idx_gz(os.path.join(d, "train-images-idx3-ubyte.gz")).reshape(60000, 784)
    tr_y = suite.read_idx_gz(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    te_x = suite.read_idx_gz(os.path.join(d, "t10k-images-idx3-ubyte.gz")).reshape(10000, 784)
    te_y = suite.read_idx_gz(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    from sklearn.model_selection import train_test_split
    rows = np.random.default_rng(0).permutation(60000)  # the suite's split (tools/make_suite.py make_fashion)
    train_rows, valid_rows = train_test_split(rows, test_size=10000, stratify=tr_y[rows], random_state=0)
    X = np.concatenate([tr_x, te_x]).astype(np.float32) / np.float32(255.0)
    y = np.concatenate([tr_y, te_y])
    test_rows = np.arange(60000, 70000)
    names = np.array(suite.FASHION_CLASSES)
    table = [suite.shortest_float32(np.float32(k) / np.float32(255.0)) for k in range(256)]
    raw = np.concatenate([tr_x, te_x])
    os.makedirs(out_dir, exist_ok=True)
    for part, r in (("train", train_rows), ("valid", valid_rows), ("test", test_rows)):
        target = os.path.join(out_dir, f"{part}.csv")
        same = os.path.join(os.path.dirname(os.path.abspath(out_dir)), "..", "fashion", f"{part}.csv")
        if os.path.exists(same):
            # make_suite.py wrote the same rows (same split, same text): a hard link saves 340 MB of disk.
            tmp = target + ".tmp"
            if os.path.exists(tmp):
                os.remove(tmp)
            os.link(same, tmp)
            os.replace(tmp, target)
        else:
            suite.write_csv(target, raw[r], names[y[r]], number_text=lambda row: (table[v] for v in row))
    log("fashion: CSV files written")
    torch.manual_seed(0)
    model = CnnEmbeddingTeacher(10)
    start = time.time()
    best, run = train(model, *tensors(X, y, train_rows), *tensors(X, y, valid_rows), lr=1e-3, batch=128,
                      max_epochs=6, patience=6)
    write_task(out_dir, "fashion", "Fashion-MNIST (28x28 grey images, pixel/255), 10 clothing classes",
               f"Debian dataset-fashion-mnist ({d}); test = the official 10k test set", X, names[y],
               suite.FASHION_CLASSES, {"train": train_rows, "valid": valid_rows, "test": test_rows}, model,
               "CNN: reshape 1x28x28, 2 x (conv 3x3, BN, ReLU, max-pool 2) with 16, 32 channels, Linear 128, ReLU "
               "(embedding), Linear 10; Adam lr 0.001, batch 128", best, run, time.time() - start, [128])


def make_fixture():
    from sklearn.datasets import load_digits
    dg = load_digits()
    classes = [str(c) for c in dg.target_names]
    X, y = dg.data.astype(np.float32), dg.target.astype(np.int64)
    train_rows, _valid_rows, test_rows = suite.split(y)  # the suite's digits split
    torch.manual_seed(0)
    mean, sd = X[train_rows].mean(axis=0), X[train_rows].std(axis=0)
    model = MlpEmbeddingTeacher(mean, sd, [64], 32, len(classes), 0.0)
    xt, yt = tensors(X, y, train_rows)
    train(model, xt, yt, None, None, lr=3e-3, batch=0, max_epochs=0, patience=0, full_batch_steps=300)
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    fix_train, fix_test = train_rows[:300], test_rows[:100]
    labels = np.array(classes)[y]
    suite.write_csv(os.path.join(FIXTURE_DIR, "train.csv"), X[fix_train], labels[fix_train],
                    number_text=lambda row: (str(int(v)) for v in row))
    suite.write_csv(os.path.join(FIXTURE_DIR, "test.csv"), X[fix_test], labels[fix_test],
                    number_text=lambda row: (str(int(v)) for v in row))
    path = os.path.join(FIXTURE_DIR, "digits_embedding_teacher.onnx")
    export(model, tensors(X, y, test_rows[:2])[0], path, 64, 10, 32)
    with torch.no_grad():
        logits, emb = model(torch.from_numpy(X[fix_test[:8]]))
    acc = {"fixture_train": evaluate(model, *tensors(X, y, fix_train))[0],
           "fixture_test": evaluate(model, *tensors(X, y, fix_test))[0],
           "split_test": evaluate(model, *tensors(X, y, test_rows))[0]}
    suite.write_json(os.path.join(FIXTURE_DIR, "reference.json"), {
        "teacher": "digits_embedding_teacher.onnx",
        "classes": classes,
        "rows": "the first 8 rows of test.csv",
        "logits": [[float(v) for v in r] for r in logits.numpy()],
        "embedding": [[float(v) for v in r] for r in emb.numpy()],
        "accuracy": acc,
    })
    log(f"fixture: {path} ({os.path.getsize(path)} bytes), accuracy {acc}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "suite-data", "embeddings"))
    parser.add_argument("--tasks", default="fashion,letter", help="comma-separated: fashion, letter; or none")
    parser.add_argument("--fixtures", action="store_true", help="also write the committed test fixture")
    parser.add_argument("--force", action="store_true", help="remake tasks whose task.json exists")
    args = parser.parse_args()
    torch.set_num_threads(1)
    makers = {"fashion": make_fashion, "letter": make_letter}
    wanted = [] if args.tasks == "none" else args.tasks.split(",")
    unknown = [n for n in wanted if n not in makers]
    if unknown:
        raise SystemExit(f"unknown task(s) {unknown}; known: {list(makers)}")
    if args.fixtures:
        make_fixture()
    for name in wanted:
        out_dir = os.path.join(args.out, name)
        if os.path.exists(os.path.join(out_dir, "task.json")) and not args.force:
            log(f"{name}: {out_dir}/task.json exists, skipped (--force to remake)")
            continue
        makers[name](out_dir)
    log("done")


if __name__ == "__main__":
    sys.exit(main())

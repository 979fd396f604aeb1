#!/usr/bin/python3
"""Golden values for the representation losses (MLNet.Distillation/Losses: hints, relational, embedding losses).

Each loss is written here from its paper's formula in plain PyTorch (float64), row by row, pair by pair and triplet by
triplet (Python loops, not the library's matrix forms), and evaluated on fixed inputs: the named term, the total and
the gradients of the total with respect to the student representation and to the loss's own parameters (projection,
MI-alpha baseline). Sources:
  - FitNets hint (Romero et al. 2015): mean squared error between the projected student layer and the teacher;
  - cosine hint: mean over rows of 1 - cos;
  - ND (Wang et al. 2023, arXiv 2305.17007, and the authors' DirectNormLoss): 1 - p.e_c / max(|p|, |t|), e_c the unit
    mean teacher embedding of the row's class, over labelled rows; class means over the labelled training rows seen;
  - MI-alpha (He et al. 2021, Distiller; Poole et al. 2019, interpolated bound I_alpha): -I_alpha with critic
    f(student j, teacher i) = p_j . t_i and log-baseline a(t) = w.t + b;
  - RKD distance and angle (Park et al. 2019 and the authors' code): Huber (smooth L1) over all B^2 / B^3 entries;
  - relation graph (in the spirit of TRG): mean over rows of KL(q_t || q_s), q = softmax over the other rows of cos / tau;
  - embedding cosine, InfoNCE / SupCon L_out (Khosla et al. 2020), batch-hard triplet (Hermans et al. 2017).
Writes tests/MLNet.Distillation.Tests/Fixtures/representation_goldens.json; the C# tests read it and never run Python.

Run with Debian's interpreter (python3-torch):  /usr/bin/python3 tools/make_representation_goldens.py
"""
import json
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "MLNet.Distillation.Tests",
                   "Fixtures", "representation_goldens.json")
rng = np.random.RandomState(20261215)


def rnd(*shape, scale=1.0):
    return (rng.randn(*shape) * scale).round(6)


# ----------------------------------------------------------------------------------------------------------------
# Fixed inputs: student [B, H] (a student layer, or the student embedding), teacher [B, D], labels (-1 = none).
# ----------------------------------------------------------------------------------------------------------------
def make_cases():
    c = {}
    c["hint"] = dict(student=rnd(6, 5), teacher=rnd(6, 4, scale=2.0), labels=[0, 2, 1, 0, -1, 2])
    c["hint_next"] = dict(student=rnd(5, 5), teacher=rnd(5, 4, scale=2.0), labels=[1, 1, 3, -1, 0])
    c["hint_same_width"] = dict(student=rnd(6, 4), teacher=rnd(6, 4, scale=1.5), labels=[1, 0, 1, 0, 1, -1])
    c["hint_unlabelled"] = dict(student=rnd(4, 5), teacher=rnd(4, 4), labels=[-1, -1, -1, -1])
    c["hint_one"] = dict(student=rnd(1, 5), teacher=rnd(1, 4), labels=[0])
    c["hint_two"] = dict(student=rnd(2, 5), teacher=rnd(2, 4), labels=[0, 1])
    c["hint_large"] = dict(student=rnd(6, 5, scale=6.0), teacher=rnd(6, 4, scale=8.0), labels=[0, 1, 0, 1, 2, 2])
    c["rel"] = dict(student=rnd(7, 5), teacher=rnd(7, 3, scale=3.0), labels=[0, 1, 0, 1, 2, -1, 2])
    dup = rnd(6, 5)
    dup[3] = dup[1]
    c["rel_duplicate_rows"] = dict(student=dup, teacher=rnd(6, 3), labels=[-1] * 6)
    c["rel_scaled"] = dict(student=rnd(5, 4, scale=100.0), teacher=rnd(5, 6, scale=0.01), labels=[-1] * 5)
    c["rel_three"] = dict(student=rnd(3, 4), teacher=rnd(3, 2), labels=[-1] * 3)
    c["emb"] = dict(student=rnd(8, 4), teacher=rnd(8, 4, scale=2.0), labels=[0, 1, 0, 2, -1, 1, 2, -1])
    c["emb_unlabelled"] = dict(student=rnd(6, 4), teacher=rnd(6, 4), labels=[-1] * 6)
    t = rnd(5, 3)
    c["emb_equal"] = dict(student=t.copy(), teacher=t, labels=[0, 1, 0, -1, 1])
    c["emb_one_class"] = dict(student=rnd(4, 3), teacher=rnd(4, 3), labels=[2, 2, 2, 2])
    c["emb_one"] = dict(student=rnd(1, 4), teacher=rnd(1, 4), labels=[-1])
    for v in c.values():
        v["student"] = np.asarray(v["student"]).tolist()
        v["teacher"] = np.asarray(v["teacher"]).tolist()
    return c


CASES = make_cases()


def norm(v):
    return torch.sqrt((v * v).sum())


def cos(a, b):
    return (a * b).sum() / (torch.clamp(norm(a), min=1e-8) * torch.clamp(norm(b), min=1e-8))


def huber(x):
    x = abs(x)
    return 0.5 * x * x if x < 1 else x - 0.5


# ----------------------------------------------------------------------------------------------------------------
# Projections (parameters in the library's order: weight [out, in], bias [out], ...).
# ----------------------------------------------------------------------------------------------------------------
def make_projection(kind, h, d):
    if kind == "none":
        return []
    if kind == "linear":
        return [rnd(d, h, scale=0.5), rnd(d, scale=0.1)]
    return [rnd(d, h, scale=0.5), rnd(d, scale=0.1), rnd(d, d, scale=0.5), rnd(d, scale=0.1)]


def project(kind, params, x):
    if kind == "none":
        return x
    rows = []
    for r in range(x.shape[0]):
        v = params[0] @ x[r] + params[1]
        if kind == "mlp":
            v = params[2] @ torch.relu(v) + params[3]
        rows.append(v)
    return torch.stack(rows)


# ----------------------------------------------------------------------------------------------------------------
# Reference formulas. Each returns {term name: value}.
# ----------------------------------------------------------------------------------------------------------------
def ref_hint_mse(p, t):
    b, d = p.shape
    return sum(((p[i, k] - t[i, k]) ** 2 for i in range(b) for k in range(d))) / (b * d)


def ref_hint_cos(p, t):
    return sum(1 - cos(p[i], t[i]) for i in range(p.shape[0])) / p.shape[0]


def class_means(batches):
    """Mean teacher embedding per class over the labelled rows of the given (teacher, labels) batches."""
    sums, counts = {}, {}
    for t, labels in batches:
        for i, y in enumerate(labels):
            if y < 0:
                continue
            sums[y] = sums.get(y, 0) + t[i].detach()
            counts[y] = counts.get(y, 0) + 1
    return {y: sums[y] / counts[y] for y in sums}


def ref_nd(p, t, labels, means):
    total, n = 0.0, 0
    for i, y in enumerate(labels):
        if y < 0 or y not in means:
            continue
        e = means[y] / norm(means[y])
        total = total + 1 - (p[i] @ e) / torch.maximum(norm(p[i]), norm(t[i]))
        n += 1
    return total / max(n, 1) if n > 0 else p.sum() * 0.0


def ref_mi_alpha(p, t, w, bias, alpha):
    """-I_alpha (Poole et al. 2019, eq. for the interpolated bound) with K = B samples of the batch."""
    b = p.shape[0]
    if b < 2:
        return p.sum() * 0.0 + w.sum() * 0.0
    f = [[p[j] @ t[i] for j in range(b)] for i in range(b)]           # f[i][j] = critic(student j, teacher i)
    a = [w[0] @ t[i] + bias[0] for i in range(b)]                       # log-baseline of teacher i

    def log_base(i, j):
        # log(alpha * mean_{k != j} exp f[i][k] + (1 - alpha) * exp a_i)
        loo = sum(torch.exp(f[i][k]) for k in range(b) if k != j) / (b - 1)
        return torch.log(alpha * loo + (1 - alpha) * torch.exp(a[i]))

    joint = sum(f[i][i] - log_base(i, j) for i in range(b) for j in range(b) if i != j) / (b * (b - 1))
    marg = sum(torch.exp(f[i][j] - log_base(i, i)) for i in range(b) for j in range(b) if i != j) / (b * (b - 1))
    return -(1 + joint - marg)


def pair_distances(x):
    b = x.shape[0]
    d = [[None] * b for _ in range(b)]
    for i in range(b):
        for j in range(b):
            if i == j:
                d[i][j] = x.sum() * 0.0
            else:
                sq = ((x[i] - x[j]) ** 2).sum()
                d[i][j] = torch.sqrt(torch.clamp(sq, min=1e-12))
    mean = sum(d[i][j] for i in range(b) for j in range(b) if i != j) / (b * (b - 1))
    return [[d[i][j] / mean for j in range(b)] for i in range(b)]


def ref_rkd_distance(s, t):
    b = s.shape[0]
    if b < 2:
        return s.sum() * 0.0
    ds = pair_distances(s)
    with torch.no_grad():
        dt = pair_distances(t)
    total = 0.0
    for i in range(b):
        for j in range(b):
            x = ds[i][j] - dt[i][j]
            total = total + (0.5 * x * x if abs(float(x)) < 1 else abs(x) - 0.5)
    return total / (b * b)


def angle(x, i, j, k):
    if j == i or k == i:
        return x.sum() * 0.0
    u, v = x[j] - x[i], x[k] - x[i]
    return (u @ v) / (norm(u) * norm(v))


def ref_rkd_angle(s, t):
    b = s.shape[0]
    total = 0.0
    for i in range(b):
        for j in range(b):
            for k in range(b):
                x = angle(s, i, j, k) - float(angle(t, i, j, k))
                total = total + (0.5 * x * x if abs(float(x)) < 1 else abs(x) - 0.5)
    return total / (b ** 3)


def ref_relation_graph(s, t, temperature):
    b = s.shape[0]
    if b < 3:
        return s.sum() * 0.0
    total = 0.0
    for i in range(b):
        others = [j for j in range(b) if j != i]
        zs = torch.stack([cos(s[i], s[j]) for j in others]) / temperature
        zt = torch.stack([cos(t[i], t[j]) for j in others]) / temperature
        ls = zs - torch.logsumexp(zs, 0)
        lt = (zt - torch.logsumexp(zt, 0)).detach()
        total = total + (lt.exp() * (lt - ls)).sum()
    return total / b


def ref_emb_cos(s, t):
    return sum(1 - cos(s[i], t[i]) for i in range(s.shape[0])) / s.shape[0]


def ref_emb_nce(s, t, labels, temperature, supervised):
    b = s.shape[0]
    total = 0.0
    for i in range(b):
        z = torch.stack([cos(s[i], t[j]) for j in range(b)]) / temperature
        logp = z - torch.logsumexp(z, 0)
        pos = [j for j in range(b) if j == i or (supervised and labels[i] >= 0 and labels[j] == labels[i])]
        total = total - sum(logp[j] for j in pos) / len(pos)
    return total / b


def ref_emb_triplet(s, t, labels, margin):
    b = s.shape[0]

    def dist(u, v):
        u, v = u / torch.clamp(norm(u), min=1e-12), v / torch.clamp(norm(v), min=1e-12)
        return torch.sqrt(torch.clamp(((u - v) ** 2).sum(), min=1e-12))

    total, n = 0.0, 0
    for i in range(b):
        negs = [j for j in range(b) if j != i and not (labels[i] >= 0 and labels[j] == labels[i])]
        if not negs:
            continue
        dn = min((dist(s[i], t[j]) for j in negs), key=float)
        total = total + torch.relu(dist(s[i], t[i]) - dn + margin)
        n += 1
    return total / n if n else s.sum() * 0.0


# ----------------------------------------------------------------------------------------------------------------
# Configurations: (loss, params, cases). Hint params: distance, projection, weight, alpha; "warmup": training batches
# seen before (ND class means); "training": whether the measured batch is a training batch.
# ----------------------------------------------------------------------------------------------------------------
HINT = ["hint", "hint_large", "hint_one", "hint_two", "hint_unlabelled"]
CONFIGS = [
    ("hint", dict(distance="mse", projection="linear", weight=1.0), HINT),
    ("hint", dict(distance="mse", projection="mlp", weight=0.5), ["hint", "hint_large"]),
    ("hint", dict(distance="mse", projection="none", weight=1.0), ["hint_same_width"]),
    ("hint", dict(distance="cosine", projection="linear", weight=1.0), HINT),
    ("hint", dict(distance="cosine", projection="none", weight=2.0), ["hint_same_width"]),
    ("hint", dict(distance="nd", projection="linear", weight=1.0), ["hint", "hint_large", "hint_one", "hint_unlabelled"]),
    ("hint", dict(distance="nd", projection="none", weight=1.0), ["hint_same_width"]),
    ("hint", dict(distance="nd", projection="linear", weight=1.0, warmup=["hint"]), ["hint_next"]),
    ("hint", dict(distance="nd", projection="linear", weight=1.0, warmup=["hint"], training=False), ["hint_next"]),
    ("hint", dict(distance="mialpha", projection="linear", weight=1.0, alpha=0.5), ["hint", "hint_large", "hint_one", "hint_two"]),
    ("hint", dict(distance="mialpha", projection="linear", weight=1.0, alpha=0.0), ["hint"]),  # TUBA end: exp(f) overflows float32 on hint_large
    ("hint", dict(distance="mialpha", projection="linear", weight=1.0, alpha=1.0), ["hint", "hint_large"]),
    ("hint", dict(distance="mialpha", projection="none", weight=1.0, alpha=0.2), ["hint_same_width"]),
    ("rkd_distance", dict(), ["rel", "rel_duplicate_rows", "rel_scaled", "rel_three", "hint_one"]),
    ("rkd_angle", dict(), ["rel", "rel_scaled", "rel_three", "hint_one"]),
    ("relation_graph", dict(temperature=0.1), ["rel", "rel_duplicate_rows", "rel_scaled", "rel_three", "hint_two"]),
    ("relation_graph", dict(temperature=1.0), ["rel"]),
    ("embedding_cosine", dict(), ["emb", "emb_equal", "emb_one"]),
    ("embedding_contrastive", dict(temperature=0.1, supervised=True), ["emb", "emb_unlabelled", "emb_equal", "emb_one_class", "emb_one"]),
    ("embedding_contrastive", dict(temperature=0.5, supervised=False), ["emb", "emb_equal"]),
    ("embedding_triplet", dict(margin=0.2), ["emb", "emb_unlabelled", "emb_equal", "emb_one_class", "emb_one"]),
    ("embedding_triplet", dict(margin=1.0), ["emb"]),
]

TERM = {"mse": "hint-mse", "cosine": "hint-cos", "nd": "hint-nd", "mialpha": "hint-mi"}


def run(loss, params, case):
    c = CASES[case]
    s = torch.tensor(c["student"], requires_grad=True)
    t = torch.tensor(c["teacher"])
    labels = c["labels"]
    own = []
    if loss == "hint":
        kind = params["projection"]
        proj = [torch.tensor(np.asarray(v), requires_grad=True) for v in make_projection(kind, s.shape[1], t.shape[1])]
        own = list(proj)
        p = project(kind, proj, s)
        dist = params["distance"]
        if dist == "mse":
            value = ref_hint_mse(p, t)
        elif dist == "cosine":
            value = ref_hint_cos(p, t)
        elif dist == "nd":
            seen = [(torch.tensor(CASES[w]["teacher"]), CASES[w]["labels"]) for w in params.get("warmup", [])]
            if params.get("training", True):
                seen.append((t, labels))
            value = ref_nd(p, t, labels, class_means(seen))
        else:
            w = torch.tensor(rnd(1, t.shape[1], scale=0.3), requires_grad=True)
            bias = torch.tensor(rnd(1, scale=0.3), requires_grad=True)
            own += [w, bias]
            value = ref_mi_alpha(p, t, w, bias, params["alpha"])
        terms = {TERM[dist]: value * params["weight"]}
    elif loss == "rkd_distance":
        terms = {"rkd-distance": ref_rkd_distance(s, t)}
    elif loss == "rkd_angle":
        terms = {"rkd-angle": ref_rkd_angle(s, t)}
    elif loss == "relation_graph":
        terms = {"relation-graph": ref_relation_graph(s, t, params["temperature"])}
    elif loss == "embedding_cosine":
        terms = {"embedding-cos": ref_emb_cos(s, t)}
    elif loss == "embedding_contrastive":
        terms = {"embedding-nce": ref_emb_nce(s, t, labels, params["temperature"], params["supervised"])}
    else:
        terms = {"embedding-triplet": ref_emb_triplet(s, t, labels, params["margin"])}
    total = sum(terms.values())
    total.backward()
    grad = s.grad if s.grad is not None else torch.zeros_like(s)
    return {"loss": loss, "params": params, "case": case,
            "terms": {k: float(v) for k, v in terms.items()}, "total": float(total), "gradStudent": grad.tolist(),
            "ownParameters": [v.detach().tolist() for v in own],
            "gradOwnParameters": [(v.grad if v.grad is not None else torch.zeros_like(v)).tolist() for v in own]}


def main():
    goldens = [run(loss, params, case) for loss, params, cases in CONFIGS for case in cases]
    for i, g in enumerate(goldens):
        g["id"] = f"{i:03d} {g['loss']} {json.dumps(g['params'], sort_keys=True)} on {g['case']}"
    doc = {"generator": "tools/make_representation_goldens.py (PyTorch %s, float64)" % torch.__version__,
           "cases": CASES, "goldens": goldens}
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"), allow_nan=False)
    os.replace(tmp, OUT)
    print("wrote %d goldens (%d bytes) to %s" % (len(goldens), os.path.getsize(OUT), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Golden values for the binary, regression and ranking losses (MLNet.Distillation/Losses).

Each loss is written here from its paper's formula in plain PyTorch (float64), row by row, group by group and pair by
pair (loops, not the library's padded tensors), and evaluated on fixed inputs: the named terms, their total and the
gradient of the total with respect to the student outputs. Inputs cover labelled and unlabelled rows, an all-unlabelled
batch, outputs of +-1e3, a batch of one, multi-output regression, targets of exactly 0 and 1 and a teacher outside [0, 1]
(Bernoulli KL), two teachers (tolerant/tough), and ranking groups of one row, partly labelled groups, tied grades, tied
teacher scores and groups whose rows are not contiguous. Writes
tests/MLNet.Distillation.Tests/Fixtures/task_loss_goldens.json; the C# tests read it and never run Python.

Run with Debian's interpreter (python3-torch):  /usr/bin/python3 tools/make_task_loss_goldens.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "MLNet.Distillation.Tests",
                   "Fixtures", "task_loss_goldens.json")
rng = np.random.RandomState(20261201)


def rnd(*shape, scale=1.0):
    return (rng.randn(*shape) * scale).round(6)


# ----------------------------------------------------------------------------------------------------------------
# Fixed inputs. labels: -1 = no label; binary labels are the class, regression/ranking labels 0 where labelled.
# targets are 0 on rows without a label (the trainer's contract).
# ----------------------------------------------------------------------------------------------------------------
def binary_case(s, t, y, present):
    labels = [int(v) if p else -1 for v, p in zip(y, present)]
    targets = [[float(v) if p else 0.0] for v, p in zip(y, present)]
    return dict(task="binary", student=np.array(s).reshape(-1, 1).tolist(), teacher=np.array(t).reshape(-1, 1).tolist(),
                targets=targets, labels=labels)


def regression_case(s, t, y, present, teachers=None):
    labels = [0 if p else -1 for p in present]
    targets = [list(map(float, r)) if p else [0.0] * len(r) for r, p in zip(y, present)]
    c = dict(task="regression", student=np.array(s).tolist(), teacher=np.array(t).tolist(), targets=targets, labels=labels)
    if teachers is not None:
        c["teachers"] = [np.array(x).tolist() for x in teachers]
    return c


def ranking_case(s, t, grades, present, groups):
    labels = [0 if p else -1 for p in present]
    targets = [[float(g) if p else 0.0] for g, p in zip(grades, present)]
    return dict(task="ranking", student=np.array(s).reshape(-1, 1).tolist(), teacher=np.array(t).reshape(-1, 1).tolist(),
                targets=targets, labels=labels, groupIds=list(map(int, groups)))


def make_cases():
    c = {}
    B = 8
    s, t = rnd(B, scale=2.0), rnd(B, scale=3.0)
    y = [1, 0, 0, 1, 1, 0, 1, 0]
    c["binary_full"] = binary_case(s, t, y, [True] * B)
    c["binary_missing"] = binary_case(s, t, y, [True, False, True, False, False, True, True, False])
    c["binary_all_missing"] = binary_case(s, t, y, [False] * B)
    sign = np.where(rng.rand(B) < 0.5, -1.0, 1.0)
    c["binary_extreme"] = binary_case(1000.0 * sign * (1 + 0.01 * np.arange(B)), -900.0 * sign[::-1], y,
                                      [True, True, False, True, False, True, True, True])
    c["binary_one"] = binary_case(rnd(1, scale=2.0), rnd(1, scale=3.0), [1], [True])

    B, K = 6, 3
    s, t, y = rnd(B, K, scale=1.5), rnd(B, K, scale=1.2), rnd(B, K)
    c["regression_full"] = regression_case(s, t, y, [True] * B)
    c["regression_missing"] = regression_case(s, t, y, [True, False, True, True, False, True])
    c["regression_all_missing"] = regression_case(s, t, y, [False] * B)
    c["regression_one_output"] = regression_case(rnd(7, 1, scale=2.0), rnd(7, 1, scale=1.5), rnd(7, 1),
                                                 [True, True, False, True, False, True, True])
    c["regression_one"] = regression_case(rnd(1, K, scale=1.5), rnd(1, K), rnd(1, K), [True])

    # Bernoulli KL: targets in [0, 1] with exact 0 and 1, teacher values slightly outside [0, 1] (clipped).
    B, K = 6, 2
    yb = rng.rand(B, K).round(6)
    yb[0, 0], yb[2, 1], yb[4, 0] = 0.0, 1.0, 1.0
    tb = rng.rand(B, K).round(6)
    tb[1, 0], tb[3, 1], tb[5, 0] = 1.02, -0.01, 0.0
    c["bernoulli_full"] = regression_case(rnd(B, K, scale=2.0), tb, yb, [True] * B)
    c["bernoulli_missing"] = regression_case(rnd(B, K, scale=2.0), tb, yb, [True, False, True, False, True, True])
    c["bernoulli_extreme"] = regression_case(np.array([[50.0, -50.0], [-60.0, 40.0], [45.0, 45.0], [-45.0, -50.0],
                                                       [55.0, -35.0], [-40.0, 60.0]]), tb, yb,
                                             [True, True, False, True, True, False])

    # Tolerant/tough: target, tolerant (a noisier teacher) and tough (closer) around it; student spread so that every
    # region (beyond a teacher, between the inner bound and it, inside the bound) occurs.
    B, K = 8, 4
    yt = rnd(B, K)
    tol = (yt + rnd(B, K, scale=0.6)).round(6)
    tou = (yt + rnd(B, K, scale=0.3)).round(6)
    st = (yt + rnd(B, K, scale=0.8)).round(6)
    st[0, :2] = (yt[0, :2] + 0.05 * (tou[0, :2] - yt[0, :2])).round(6)      # inside both inner bounds
    st[3, 1] = (yt[3, 1] - 0.1 * (tol[3, 1] - yt[3, 1])).round(6)           # inside, on the other side of the target
    c["tt_full"] = regression_case(st, tou, yt, [True] * B, teachers=[tol, tou])
    c["tt_missing"] = regression_case(st, tou, yt, [True, False, True, True, False, True, False, True], teachers=[tol, tou])

    # Ranking: groups of 3, 1, 4, 2 and 5 rows. Group 0 labelled, 1 (one row) labelled, 2 partly labelled, 3 unlabelled,
    # 4 labelled with a tie in grades; teacher tie inside group 2.
    sizes = [3, 1, 4, 2, 5]
    groups = np.repeat(np.arange(len(sizes)), sizes)
    n = len(groups)
    sr, tr = rnd(n, scale=1.5), rnd(n, scale=2.5)
    tr[4] = tr[6]
    grades = [2, 0, 1, 3, 0, 2, 1, 1, 2, 0, 3, 1, 1, 0, 2]
    present = [True] * 3 + [True] + [True, False, True, False] + [False, False] + [True] * 5
    c["rank_mixed"] = ranking_case(sr, tr, grades, present, groups)
    c["rank_full"] = ranking_case(sr, tr, grades, [True] * n, groups)
    c["rank_none"] = ranking_case(sr, tr, grades, [False] * n, groups)
    perm = rng.permutation(n)
    c["rank_noncontiguous"] = ranking_case(sr[perm], tr[perm], [grades[i] for i in perm], [present[i] for i in perm],
                                           groups[perm])
    c["rank_extreme"] = ranking_case(sr * 600.0, tr * 400.0, grades, present, groups)
    c["rank_singletons"] = ranking_case(rnd(3, scale=1.5), rnd(3), [1, 0, 2], [True, False, True], [0, 1, 2])
    return c


CASES = make_cases()


def inputs(name):
    c = CASES[name]
    s = torch.tensor(c["student"], requires_grad=True)
    t = torch.tensor(c["teacher"])
    y = torch.tensor(c["targets"])
    lab = torch.tensor([1.0 if v >= 0 else 0.0 for v in c["labels"]])
    teachers = [torch.tensor(x) for x in c.get("teachers", [])]
    groups = c.get("groupIds")
    return s, t, y, lab, teachers, groups


# ----------------------------------------------------------------------------------------------------------------
# Reference formulas
# ----------------------------------------------------------------------------------------------------------------
def ref_binarykd(s, t, y, lab, temperature=1.0, alpha=0.0, teacher=True, **_):
    B = s.shape[0]
    bce = F.binary_cross_entropy_with_logits(s, y, reduction="none").mean(1)
    if not teacher:
        return {"bce": (bce * lab).sum() / max(float(lab.sum()), 1.0)}
    T = temperature
    pt = torch.sigmoid(t / T)
    # Bernoulli KL = soft-target BCE of the student minus the teacher's own entropy (its BCE against itself).
    kl = (F.binary_cross_entropy_with_logits(s / T, pt, reduction="none")
          - F.binary_cross_entropy_with_logits(t / T, pt, reduction="none")).mean(1) * T * T
    bce_sum = sum((1 - alpha) * bce[i] for i in range(B) if lab[i] > 0) if lab.sum() > 0 else s.sum() * 0
    kd_sum = sum((alpha if lab[i] > 0 else 1.0) * kl[i] for i in range(B))
    return {"bce": bce_sum / B, "binary-kd": kd_sum / B}


def dist(kind, a, b, delta):
    if kind == "mse":
        return (a - b) ** 2
    if kind == "huber":
        return F.huber_loss(a, b, reduction="none", delta=delta)
    return (a - b).abs()


def ref_regkd(s, t, y, lab, alpha=0.0, distance="mse", huberDelta=1.0, teacher=True, **_):
    B = s.shape[0]
    to_label = [dist(distance, s[i], y[i], huberDelta).mean() for i in range(B)]
    if not teacher:
        rows = [to_label[i] for i in range(B) if lab[i] > 0]
        return {f"{distance}-label": sum(rows) / len(rows) if rows else s.sum() * 0}
    to_teacher = [dist(distance, s[i], t[i], huberDelta).mean() for i in range(B)]
    label_sum = sum(((1 - alpha) * to_label[i] for i in range(B) if lab[i] > 0), s.sum() * 0)
    teacher_sum = sum((alpha if lab[i] > 0 else 1.0) * to_teacher[i] for i in range(B))
    return {f"{distance}-label": label_sum / B, f"{distance}-teacher": teacher_sum / B}


def ref_bounded(s, t, y, lab, margin=0.0, weight=0.5, distance="huber", huberDelta=1.0, **_):
    # Chen et al. 2017: L = d(s, y) + nu * L_b, L_b = |s - y|^2 if |s - y|^2 + m > |t - y|^2 else 0 (norms as means over
    # the outputs); rows without a label: d(s, t).
    B = s.shape[0]
    zero = s.sum() * 0
    label, bounded, unl = zero, zero, zero
    for i in range(B):
        if lab[i] > 0:
            label = label + dist(distance, s[i], y[i], huberDelta).mean()
            es = ((s[i] - y[i]) ** 2).mean()
            et = ((t[i] - y[i]) ** 2).mean()
            if float(es) + margin > float(et):
                bounded = bounded + weight * es
        else:
            unl = unl + dist(distance, s[i], t[i], huberDelta).mean()
    return {f"{distance}-label": label / B, "teacher-bounded": bounded / B, f"{distance}-teacher": unl / B}


def ref_bernoulli(s, t, y, lab, alpha=0.0, teacher=True, **_):
    # KL(p || sigmoid(f)) = p log p - p log q + (1 - p) log(1 - p) - (1 - p) log(1 - q), 0 log 0 = 0.
    def kl(p, f):
        return (torch.xlogy(p, p) - p * F.logsigmoid(f) + torch.xlogy(1 - p, 1 - p) - (1 - p) * F.logsigmoid(-f)).mean(1)

    B = s.shape[0]
    to_label = kl(y, s)
    if not teacher:
        return {"kl-label": (to_label * lab).sum() / max(float(lab.sum()), 1.0)}
    to_teacher = kl(torch.clamp(t, 0.0, 1.0), s)
    return {"kl-label": ((1 - alpha) * to_label * lab).sum() / B,
            "kl-teacher": (to_teacher * (alpha * lab + (1 - lab))).sum() / B}


def ref_tt(s, t, y, lab, teachers, mainWeight=2.0, toughWeight=1.0, tolerantWeight=1.0, toughBeyond=1.9,
           toughWithin=-0.45, tolerantBeyond=1.8, tolerantWithin=-0.4, **_):
    # Fard & Mahoor 2022, as in the authors' kd_loss (aliprf/KD-Loss custom_Losses.py); rows without a label use the
    # tough teacher as the target.
    tol, tou = teachers
    x_gt = torch.where(lab[:, None] > 0, y, tou)
    x_pr = s
    sgn = torch.sign(x_pr - x_gt).detach()
    x_tough = x_gt + sgn * torch.abs(tou - x_gt)
    b_tough = x_gt + sgn * torch.abs(x_tough - x_gt) * 0.15
    x_tol = x_gt + sgn * torch.abs(tol - x_gt)
    b_tol = x_gt + sgn * torch.abs(x_tol - x_gt) * 0.15
    xp = x_pr.detach()
    tou_map = (torch.where(torch.sign(xp - x_tough) * torch.sign(x_tough - x_gt) > 0, toughBeyond, 0.0)
               + torch.where(torch.sign(x_tough - xp) * torch.sign(xp - b_tough) >= 0, toughWithin, 0.0))
    tol_map = (torch.where(torch.sign(xp - x_tol) * torch.sign(x_tol - x_gt) > 0, tolerantBeyond, 0.0)
               + torch.where(torch.sign(x_tol - xp) * torch.sign(xp - b_tol) >= 0, tolerantWithin, 0.0))
    low = torch.where(torch.abs(x_gt - xp) <= torch.abs(x_gt - x_tol), 1.0, 0.0)
    high = 1.0 - low
    main_high = torch.mean(high * ((x_gt - x_pr) ** 2 + 3 * torch.abs(x_gt - x_tol) - (x_gt - x_tol) ** 2))
    main_low = torch.mean(low * (3 * torch.abs(x_gt - x_pr)))
    return {"kd-main": mainWeight * (main_high + main_low),
            "tough-assist": toughWeight * torch.mean(tou_map * torch.abs(x_tough - x_pr)),
            "tolerant-assist": tolerantWeight * torch.mean(tol_map * torch.abs(x_tol - x_pr))}


def group_rows(groups):
    out = {}
    for i, g in enumerate(groups):
        out.setdefault(g, []).append(i)
    return [out[g] for g in sorted(out)]


def listnet_group(s, y, lab, rows):
    rows = [i for i in rows if lab[i] > 0]
    if not rows:
        return None
    p = torch.softmax(y[rows, 0], 0)
    return -(p * torch.log_softmax(s[rows, 0], 0)).sum()


def kl_group(s, t, rows, T):
    log_p = torch.log_softmax(t[rows, 0] / T, 0)
    return (log_p.exp() * (log_p - torch.log_softmax(s[rows, 0] / T, 0))).sum() * T * T


def ref_listnet(s, t, y, lab, groups, **_):
    vals = [v for v in (listnet_group(s, y, lab, r) for r in group_rows(groups)) if v is not None]
    return {"listnet": sum(vals) / len(vals) if vals else s.sum() * 0}


def ref_listwisekl(s, t, y, lab, groups, temperature=1.0, **_):
    gs = group_rows(groups)
    return {"listwise-kl": sum(kl_group(s, t, r, temperature) for r in gs) / len(gs)}


def ref_marginmse(s, t, y, lab, groups, **_):
    errs = []
    for rows in group_rows(groups):
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                i, j = rows[a], rows[b]
                if lab[i] > 0 and lab[j] > 0:
                    if y[i, 0] == y[j, 0]:
                        continue
                    hi, lo = (i, j) if y[i, 0] > y[j, 0] else (j, i)   # the paper's (relevant, non-relevant) pair
                else:
                    hi, lo = i, j
                errs.append(((s[hi, 0] - s[lo, 0]) - (t[hi, 0] - t[lo, 0])) ** 2)
    return {"margin-mse": sum(errs) / len(errs) if errs else s.sum() * 0}


def ref_ranknet(s, t, y, lab, groups, **_):
    vals = []
    for rows in group_rows(groups):
        for i in rows:
            for j in rows:
                if t[i, 0] > t[j, 0]:
                    vals.append(-F.logsigmoid(s[i, 0] - s[j, 0]))
    return {"ranknet": sum(vals) / len(vals) if vals else s.sum() * 0}


def ref_rankingkd(s, t, y, lab, groups, temperature=1.0, alpha=0.0, teacher=True, **_):
    gs = group_rows(groups)
    if not teacher:
        return ref_listnet(s, t, y, lab, groups)
    ln, kl = s.sum() * 0, s.sum() * 0
    for rows in gs:
        full = all(lab[i] > 0 for i in rows)
        k = kl_group(s, t, rows, temperature)
        if full:
            ln = ln + (1 - alpha) * listnet_group(s, y, lab, rows)
            kl = kl + alpha * k
        else:
            kl = kl + k
    return {"listnet": ln / len(gs), "listwise-kl": kl / len(gs)}


REFS = {"binarykd": ref_binarykd, "regkd": ref_regkd, "bounded": ref_bounded, "bernoulli": ref_bernoulli,
        "tt": ref_tt, "listnet": ref_listnet, "listwisekl": ref_listwisekl, "marginmse": ref_marginmse,
        "ranknet": ref_ranknet, "rankingkd": ref_rankingkd}

BIN = ["binary_full", "binary_missing", "binary_all_missing", "binary_extreme", "binary_one"]
REG = ["regression_full", "regression_missing", "regression_all_missing", "regression_one_output", "regression_one"]
BER = ["bernoulli_full", "bernoulli_missing", "bernoulli_extreme"]
TT = ["tt_full", "tt_missing"]
RANK = ["rank_mixed", "rank_full", "rank_none", "rank_noncontiguous", "rank_extreme", "rank_singletons"]

CONFIGS = [
    ("binarykd", dict(temperature=1.0, alpha=0.0), BIN),
    ("binarykd", dict(temperature=2.0, alpha=0.5), BIN),
    ("binarykd", dict(temperature=4.0, alpha=1.0), ["binary_missing", "binary_extreme"]),
    ("binarykd", dict(temperature=1.0, alpha=0.0, teacher=False), ["binary_full", "binary_missing", "binary_all_missing", "binary_extreme"]),
    ("regkd", dict(alpha=0.0, distance="mse", huberDelta=1.0), REG),
    ("regkd", dict(alpha=0.5, distance="huber", huberDelta=0.5), REG),
    ("regkd", dict(alpha=0.3, distance="l1", huberDelta=1.0), ["regression_missing", "regression_one_output"]),
    ("regkd", dict(alpha=0.0, distance="mse", huberDelta=1.0, teacher=False), ["regression_full", "regression_missing", "regression_all_missing"]),
    ("bounded", dict(margin=0.0, weight=0.5, distance="huber", huberDelta=1.0), REG),
    ("bounded", dict(margin=0.5, weight=1.0, distance="mse", huberDelta=1.0), ["regression_missing", "regression_one_output"]),
    ("bernoulli", dict(alpha=0.0), BER),
    ("bernoulli", dict(alpha=0.4), BER),
    ("bernoulli", dict(alpha=0.0, teacher=False), ["bernoulli_full", "bernoulli_missing"]),
    ("tt", dict(), TT),
    ("tt", dict(mainWeight=1.0, toughWeight=0.5, tolerantWeight=2.0, toughBeyond=1.0, toughWithin=-0.2,
                tolerantBeyond=1.5, tolerantWithin=-0.3), TT),
    ("listnet", dict(), RANK),
    ("listwisekl", dict(temperature=1.0), RANK),
    ("listwisekl", dict(temperature=3.0), ["rank_mixed", "rank_extreme"]),
    ("marginmse", dict(), RANK),
    ("ranknet", dict(), RANK),
    ("rankingkd", dict(temperature=1.0, alpha=0.0), RANK),
    ("rankingkd", dict(temperature=2.0, alpha=0.5), RANK),
    ("rankingkd", dict(temperature=1.0, alpha=0.0, teacher=False), ["rank_mixed", "rank_full", "rank_none"]),
]


def run(loss, params, case):
    s, t, y, lab, teachers, groups = inputs(case)
    kw = dict(params)
    if loss == "tt":
        terms = ref_tt(s, t, y, lab, teachers, **kw)
    elif groups is not None:
        terms = REFS[loss](s, t, y, lab, groups, **kw)
    else:
        terms = REFS[loss](s, t, y, lab, **kw)
    total = sum(terms.values())
    total.backward()
    grad = s.grad if s.grad is not None else torch.zeros_like(s)
    return {"loss": loss, "params": {k: v for k, v in params.items() if k != "teacher"},
            "teacher": params.get("teacher", True), "case": case,
            "terms": {k: float(v) for k, v in terms.items()}, "total": float(total), "gradStudent": grad.tolist()}


def tt_regions():
    """How many elements fall in each region of each teacher (so that the cases are known to cover them all)."""
    out = {}
    for case in TT:
        s, _, y, lab, (tol, tou), _ = inputs(case)
        g = torch.where(lab[:, None] > 0, y, tou)
        sgn = torch.sign(s - g)
        for name, te in (("tough", tou), ("tolerant", tol)):
            r = g + sgn * (te - g).abs()
            b = g + sgn * (te - g).abs() * 0.15
            beyond = int(((torch.sign(s - r) * torch.sign(r - g)) > 0).sum())
            within = int(((torch.sign(r - s) * torch.sign(s - b)) >= 0).sum())
            out[f"{case} {name}"] = {"beyond": beyond, "within": within, "inside": s.numel() - beyond - within}
    return out


def main():
    goldens = [run(loss, params, case) for loss, params, cases in CONFIGS for case in cases]
    for i, g in enumerate(goldens):
        g["id"] = f"{i:03d} {g['loss']} {json.dumps(g['params'], sort_keys=True)}{'' if g['teacher'] else ' no teacher'} on {g['case']}"
    regions = tt_regions()
    doc = {"generator": "tools/make_task_loss_goldens.py (PyTorch %s, float64)" % torch.__version__,
           "cases": CASES, "goldens": goldens, "tolerantToughRegions": regions}
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
    os.replace(tmp, OUT)
    print("wrote %d goldens to %s" % (len(goldens), os.path.normpath(OUT)))
    for k, v in regions.items():
        print("  regions", k, v)


if __name__ == "__main__":
    main()

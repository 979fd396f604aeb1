#!/usr/bin/python3
"""Golden values for the distillation loss library (MLNet.Distillation/Losses).

Computes, with an independent PyTorch (float64) implementation of each paper's formula, the named loss terms,
their total and the gradient of the total with respect to the student logits (and extra heads, the penultimate
layer or the TGeo-KD fusion network where a method has them), on fixed inputs that include the awkward cases:
missing labels, one-hot and probability teachers, extreme logits (+-1e3), small and large temperatures and a batch
of one. Writes tests/MLNet.Distillation.Tests/Fixtures/loss_goldens.json; the C# tests read that file and never run
Python.

Run with Debian's interpreter (python3-torch):  /usr/bin/python3 tools/make_loss_goldens.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
DT = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "MLNet.Distillation.Tests",
                   "Fixtures", "loss_goldens.json")

# ----------------------------------------------------------------------------------------------------------------
# Fixed inputs
# ----------------------------------------------------------------------------------------------------------------
rng = np.random.RandomState(20240607)


def rnd(*shape, scale=1.0):
    return (rng.randn(*shape) * scale).round(6)


def make_cases():
    cases = {}
    B, K = 6, 5
    s = rnd(B, K, scale=2.0)
    t = rnd(B, K, scale=3.0)
    aux = rnd(B, K, scale=1.5)
    cases["basic"] = dict(student=s, teacher=t, kind="logits", labels=[0, 3, 1, 4, 2, 1], aux=aux)
    cases["missing_labels"] = dict(student=s, teacher=t, kind="logits", labels=[2, -1, 0, -1, 4, 3], aux=aux)
    cases["all_missing"] = dict(student=s, teacher=t, kind="logits", labels=[-1] * B, aux=aux)
    onehot = np.zeros((B, K))
    for i, c in enumerate([1, 0, 4, 4, 2, 3]):
        onehot[i, c] = 1.0
    cases["one_hot_teacher"] = dict(student=s, teacher=onehot, kind="probabilities", labels=[1, 0, 3, 4, -1, 3], aux=aux)
    tp = torch.softmax(torch.tensor(rnd(B, K, scale=2.0)), 1).numpy().round(9)
    tp = tp / tp.sum(1, keepdims=True)
    cases["probability_teacher"] = dict(student=s, teacher=tp, kind="probabilities", labels=[4, -1, 2, 0, 1, 1], aux=aux)
    sign_s = np.where(rng.rand(B, K) < 0.5, -1.0, 1.0)
    sign_t = np.where(rng.rand(B, K) < 0.5, -1.0, 1.0)
    ext_s = sign_s * 1000.0 * (1 + 0.001 * np.arange(K))[None, :]
    ext_t = sign_t * 1000.0 * (1 + 0.002 * np.arange(B))[:, None]
    ext_aux = -ext_s[:, ::-1].copy()
    cases["extreme"] = dict(student=ext_s, teacher=ext_t, kind="logits", labels=[0, 1, -1, 3, 4, 2], aux=ext_aux)
    cases["batch_of_one"] = dict(student=rnd(1, K, scale=2.0), teacher=rnd(1, K, scale=3.0), kind="logits",
                                 labels=[2], aux=rnd(1, K))
    return cases


CASES = make_cases()


def inputs(case):
    c = CASES[case]
    s = torch.tensor(np.array(c["student"]), dtype=DT, requires_grad=True)
    t = torch.tensor(np.array(c["teacher"]), dtype=DT)
    aux = torch.tensor(np.array(c["aux"]), dtype=DT, requires_grad=True)
    y = torch.tensor(c["labels"], dtype=torch.long)
    return s, t, c["kind"], y, aux


# ----------------------------------------------------------------------------------------------------------------
# Shared pieces (written independently of the C# code)
# ----------------------------------------------------------------------------------------------------------------
def teacher_log_probs(t, kind, T):
    if kind == "probabilities":
        z = torch.log(torch.clamp(t, min=1e-30))
    else:
        z = t
    return F.log_softmax(z / T, dim=1)


def teacher_logits(t, kind):
    """Logits a method compares raw: the logits themselves, or log p for a probability teacher."""
    return t if kind == "logits" else teacher_log_probs(t, kind, 1.0)


def targets(t, y):
    return torch.where(y >= 0, y, t.argmax(1))


def labelled(y):
    return (y >= 0).to(DT)


def mean_over(values, mask):
    return (values * mask).sum() / torch.clamp(mask.sum(), min=1.0)


def kl_rows(logp, logq):
    return (logp.exp() * (logp - logq)).sum(1)


def non_target(x, tgt):
    """[B, K] -> [B, K-1] without the target column (boolean indexing, the fixed cls_KD mask)."""
    keep = torch.ones_like(x, dtype=torch.bool)
    keep[torch.arange(x.shape[0]), tgt] = False
    return x[keep].reshape(x.shape[0], -1)


def ce_rows(s, y):
    return F.cross_entropy(s, torch.clamp(y, min=0), reduction="none")


# ----------------------------------------------------------------------------------------------------------------
# Reference implementations: each returns an ordered dict of named terms
# ----------------------------------------------------------------------------------------------------------------
def ref_hinton(s, t, kind, y, aux, temperature=4.0, alpha=0.9, **_):
    T = temperature
    kl = kl_rows(teacher_log_probs(t, kind, T), F.log_softmax(s / T, 1)) * T * T
    lab = labelled(y)
    w = lab * alpha + (1 - lab)
    n = s.shape[0]
    return {"kd": (kl * w).sum() / n, "ce": (ce_rows(s, y) * lab).sum() * (1 - alpha) / n}


def ref_ce(s, t, kind, y, aux, labelSmoothing=0.0, **_):
    K = s.shape[1]
    logp = F.log_softmax(s, 1)
    target = torch.full_like(s, labelSmoothing / K)
    target[torch.arange(s.shape[0]), torch.clamp(y, min=0)] += 1 - labelSmoothing
    return {"ce": mean_over(-(target * logp).sum(1), labelled(y))}


def ref_mse(s, t, kind, y, aux, centered=False, **_):
    tl = teacher_logits(t, kind)
    if centered or kind == "probabilities":
        s = s - s.mean(1, keepdim=True)
        tl = tl - tl.mean(1, keepdim=True)
    return {"mse": ((s - tl) ** 2).mean()}


def ref_rkl(s, t, kind, y, aux, temperature=1.0, **_):
    T = temperature
    return {"rkl": (kl_rows(F.log_softmax(s / T, 1), teacher_log_probs(t, kind, T)) * T * T).mean()}


def ref_jsd(s, t, kind, y, aux, beta=0.5, temperature=1.0, **_):
    T = temperature
    p = teacher_log_probs(t, kind, T).exp()
    q = torch.softmax(s / T, 1)
    m = beta * p + (1 - beta) * q
    return {"jsd": ((beta * xlogy_ratio(p, m) + (1 - beta) * xlogy_ratio(q, m)) * T * T).mean()}


def xlogy_ratio(a, b):
    """sum_k a_k (log a_k - log b_k) with 0 log 0 = 0 (b_k > 0 wherever a_k > 0)."""
    safe_a = torch.clamp(a, min=1e-300)
    safe_b = torch.clamp(b, min=1e-300)
    return torch.where(a > 0, a * (torch.log(safe_a) - torch.log(safe_b)), torch.zeros_like(a)).sum(1)


def ref_skl(s, t, kind, y, aux, skew=0.1, temperature=1.0, **_):
    T = temperature
    p = teacher_log_probs(t, kind, T).exp()
    q = torch.softmax(s / T, 1)
    return {"skl": (xlogy_ratio(p, skew * p + (1 - skew) * q) * T * T).mean()}


def ref_srkl(s, t, kind, y, aux, skew=0.1, temperature=1.0, **_):
    T = temperature
    p = teacher_log_probs(t, kind, T).exp()
    q = torch.softmax(s / T, 1)
    return {"srkl": (xlogy_ratio(q, (1 - skew) * p + skew * q) * T * T).mean()}


def ref_tvd(s, t, kind, y, aux, temperature=1.0, **_):
    T = temperature
    p = teacher_log_probs(t, kind, T).exp()
    q = torch.softmax(s / T, 1)
    return {"tvd": (0.5 * (p - q).abs().sum(1)).mean()}


def ref_dkd(s, t, kind, y, aux, alpha=1.0, beta=8.0, temperature=4.0, warmupEpochs=20, ceWeight=1.0, epoch=0, **_):
    T = temperature
    tgt = targets(t, y)
    B = s.shape[0]
    ps = torch.softmax(s / T, 1)
    pt = teacher_log_probs(t, kind, T).exp()
    gt = F.one_hot(tgt, s.shape[1]).to(DT)
    bs = torch.stack([(ps * gt).sum(1), (ps * (1 - gt)).sum(1)], 1)
    bt = torch.stack([(pt * gt).sum(1), (pt * (1 - gt)).sum(1)], 1)
    # binary KL with 0*log0 = 0; the student side from log-sum-exp so that saturated rows stay finite
    zs = s / T
    log_bs = torch.stack([torch.gather(zs, 1, tgt[:, None])[:, 0], torch.logsumexp(non_target(zs, tgt), 1)], 1)
    log_bs = log_bs - torch.logsumexp(log_bs, 1, keepdim=True)
    zt = teacher_log_probs(t, kind, T)
    log_bt = torch.stack([torch.gather(zt, 1, tgt[:, None])[:, 0], torch.logsumexp(non_target(zt, tgt), 1)], 1)
    log_bt = log_bt - torch.logsumexp(log_bt, 1, keepdim=True)
    tckd = (log_bt.exp() * (log_bt - log_bs)).sum(1) * T * T
    nt_s = F.log_softmax(non_target(zs, tgt), 1)
    nt_t = F.log_softmax(non_target(zt, tgt), 1)
    nckd = (nt_t.exp() * (nt_t - nt_s)).sum(1) * T * T
    w = min(1.0, (epoch + 1) / warmupEpochs) if warmupEpochs > 0 else 1.0
    del bs, bt
    return {"ce": ceWeight * mean_over(ce_rows(s, y), labelled(y)),
            "tckd": w * alpha * tckd.sum() / B,
            "nckd": w * beta * nckd.sum() / B}


def ref_nkd(s, t, kind, y, aux, temperature=1.0, gamma=1.5, ceWeight=1.0, **_):
    T = temperature
    tgt = targets(t, y)
    B = s.shape[0]
    logs = F.log_softmax(s, 1)
    pt1 = teacher_log_probs(t, kind, 1.0).exp()
    target_term = -(pt1.gather(1, tgt[:, None]) * logs.gather(1, tgt[:, None])).sum() / B
    zt = teacher_log_probs(t, kind, 1.0)  # teacher logits up to a constant
    nts = F.log_softmax(non_target(s, tgt) / T, 1)
    ntt = torch.softmax(non_target(zt, tgt) / T, 1)
    non = -gamma * T * T * (ntt * nts).sum() / B
    return {"ce": ceWeight * mean_over(ce_rows(s, y), labelled(y)), "nkd_target": target_term, "nkd_nontarget": non}


def ref_uskd(s, t, kind, y, aux, alpha=1.0, beta=0.1, mu=0.005, ceWeight=1.0, **_):
    lab = labelled(y)
    yy = torch.clamp(y, min=0)
    B, K = s.shape
    probs = torch.softmax(s, 1)
    st = probs[torch.arange(B), yy]
    sq = (st ** 2).detach()
    p_t = sq + 1.0 - (sq * lab).sum() / torch.clamp(lab.sum(), min=1.0)
    target_rows = -p_t.detach() * torch.log_softmax(s, 1)[torch.arange(B), yy]
    # weak head: CE to 0.9 one-hot + 0.1 uniform
    soft = torch.full((B, K), 0.1 / K)
    soft[torch.arange(B), yy] += 0.9
    weak_rows = -(soft * torch.log_softmax(aux, 1)).sum(1)
    # Zipf non-target labels ranked by normalised non-target probabilities of weak + final logits
    score = (torch.softmax(non_target(aux, yy), 1) + torch.softmax(non_target(s, yy), 1)).detach()
    zipf = torch.zeros_like(score)
    for i in range(B):
        order = sorted(range(K - 1), key=lambda j: (-float(score[i, j]), j))
        for r, j in enumerate(order):
            zipf[i, j] = 1.0 / (r + 1)
    zipf = zipf / zipf.sum(1, keepdim=True)
    non_rows = -(zipf * F.log_softmax(non_target(s, yy), 1)).sum(1)
    return {"ce": ceWeight * mean_over(ce_rows(s, y), lab),
            "uskd_target": alpha * mean_over(target_rows, lab),
            "uskd_nontarget": beta * mean_over(non_rows, lab),
            "uskd_weak": mu * mean_over(weak_rows, lab)}


def ref_sinkhorn(s, t, kind, y, aux, temperature=1.0, epsilon=0.1, iterations=20, **_):
    T = temperature
    ps = torch.softmax(s / T, 1)
    pt = teacher_log_probs(t, kind, T).exp()
    B = s.shape[0]
    cost = (ps[:, None, :] - pt[None, :, :]).abs().sum(2)
    P = torch.exp(-cost / epsilon)
    for _ in range(iterations):
        P = P / P.sum(1, keepdim=True) / B
        P = P / P.sum(0, keepdim=True) / B
    return {"sinkhorn": (P * cost).sum()}


def z_scores(s):
    mu = s.mean(1, keepdim=True)
    var = ((s - mu) ** 2).mean(1, keepdim=True)
    return (s - mu) / torch.sqrt(torch.clamp(var, min=1e-24))


def ref_zloss(s, t, kind, y, aux, a=1.0, b=0.0, target="labels", temperature=1.0, **_):
    z = z_scores(s)
    per_class = F.softplus(a * (b - z)) / a
    if target == "labels":
        rows = per_class[torch.arange(s.shape[0]), torch.clamp(y, min=0)]
        return {"zloss": mean_over(rows, labelled(y))}
    p = teacher_log_probs(t, kind, temperature).exp()
    return {"zloss": (p * per_class).sum(1).mean()}


def ldr_scores(s, normalize):
    if not normalize:
        return s
    f = F.softplus(s)
    return f / torch.clamp(f.mean(1, keepdim=True), min=1e-12)


def ref_ldr(s, t, kind, y, aux, lam=1.0, margin=1.0, normalize=True, **_):
    f = ldr_scores(s, normalize)
    B, K = s.shape
    yy = torch.clamp(y, min=0)
    oh = F.one_hot(yy, K).to(DT)
    delta = f - (f * oh).sum(1, keepdim=True) + margin * (1 - oh)
    rows = lam * torch.log(torch.exp(delta / lam - (delta / lam).max(1, keepdim=True).values).mean(1)) \
        + delta.max(1).values
    return {"ldr": mean_over(rows, labelled(y))}


def ref_aldr(s, t, kind, y, aux, lam=1.0, alpha=2.0, margin=1.0, normalize=True, **_):
    f = ldr_scores(s, normalize)
    B, K = s.shape
    yy = torch.clamp(y, min=0)
    oh = F.one_hot(yy, K).to(DT)
    delta = f - (f * oh).sum(1, keepdim=True) + margin * (1 - oh)
    logK = math.log(K)
    with torch.no_grad():
        p = torch.softmax(delta / lam, 1)
        kl_u = (p * torch.log(torch.clamp(K * p, min=1e-300))).sum(1)
        lam_i = torch.clamp(lam - lam * kl_u / (alpha * logK), min=1e-3 * lam)
    li = lam_i[:, None]
    rows = li[:, 0] * (torch.logsumexp(delta / li, 1) - logK) - alpha * logK / (2 * lam) * (lam_i - lam) ** 2
    return {"aldr": mean_over(rows, labelled(y))}


def ref_sce(s, t, kind, y, aux, alpha=0.1, beta=1.0, logClamp=-4.0, target="labels", temperature=1.0, **_):
    logq = F.log_softmax(s, 1)
    q = logq.exp()
    if target == "labels":
        lab = labelled(y)
        yy = torch.clamp(y, min=0)
        ce = -logq[torch.arange(s.shape[0]), yy]
        qy = q[torch.arange(s.shape[0]), yy]
        rce = -logClamp * (1 - qy)
        return {"sce_ce": alpha * mean_over(ce, lab), "sce_rce": beta * mean_over(rce, lab)}
    logp = teacher_log_probs(t, kind, temperature)
    ce = -(logp.exp() * logq).sum(1)
    rce = -(q * torch.clamp(logp, min=logClamp)).sum(1)
    return {"sce_ce": alpha * ce.mean(), "sce_rce": beta * rce.mean()}


def ref_compsum(s, t, kind, y, aux, tau=1.7, **_):
    py = torch.softmax(s, 1)[torch.arange(s.shape[0]), torch.clamp(y, min=0)]
    logpy = F.log_softmax(s, 1)[torch.arange(s.shape[0]), torch.clamp(y, min=0)]
    if tau == 1.0:
        rows = -logpy
    elif tau == 2.0:
        rows = 1 - py
    else:
        q = tau - 1.0
        rows = (1 - torch.exp(q * logpy)) / q
    name = "ce" if tau == 1.0 else ("mae" if tau == 2.0 else ("gce" if tau < 2.0 else "compsum"))
    return {name: mean_over(rows, labelled(y))}


def ref_dco(s, t, kind, y, aux, n=4, **_):
    """pass@N likelihood -log(1 - (1 - p_y)^N). Direct formula where it is finite; where p_y underflows (extreme
    logits) the same quantity through 1 - (1-p)^N = p * sum_{k<N} (1-p)^k, with log(1-p) from log-sum-exp."""
    yy = torch.clamp(y, min=0)
    B = s.shape[0]
    p = torch.softmax(s, 1)[torch.arange(B), yy]
    direct = -torch.log(1 - torch.pow(1 - p, n))
    if not torch.isfinite(direct).all() or (p < 1e-12).any() or (p > 1 - 1e-12).any():
        logp = F.log_softmax(s, 1)[torch.arange(B), yy]
        log1m = torch.logsumexp(non_target(s, yy), 1) - torch.logsumexp(s, 1)
        rows = -(logp + torch.logsumexp(torch.stack([k * log1m for k in range(n)], 1), 1))
    else:
        rows = direct
    return {"dco": mean_over(rows, labelled(y))}


def ref_dualhead(s, t, kind, y, aux, temperature=4.0, auxTemperature=2.0, ceWeight=1.0, kdWeight=1.0, auxWeight=1.0, **_):
    T = temperature
    kl = kl_rows(teacher_log_probs(t, kind, T), F.log_softmax(s / T, 1)) * T * T
    tl = teacher_logits(t, kind)
    x = (aux - tl) / auxTemperature
    d = torch.sigmoid(x)
    # KL(Bernoulli(1/2) || Bernoulli(d)) per class, written with log d = -softplus(-x), log(1-d) = -softplus(x)
    bkl = 0.5 * (math.log(0.5) + F.softplus(-x)) + 0.5 * (math.log(0.5) + F.softplus(x))
    del d
    B = s.shape[0]
    return {"ce": ceWeight * mean_over(ce_rows(s, y), labelled(y)),
            "kd": kdWeight * kl.mean(),
            "aux": auxWeight * auxTemperature ** 2 * bkl.sum() / B}


REFS = {
    "hinton": ref_hinton, "ce": ref_ce, "mse": ref_mse, "rkl": ref_rkl, "jsd": ref_jsd, "skl": ref_skl,
    "srkl": ref_srkl, "tvd": ref_tvd, "dkd": ref_dkd, "nkd": ref_nkd, "uskd": ref_uskd, "sinkhorn": ref_sinkhorn,
    "zloss": ref_zloss, "ldr": ref_ldr, "aldr": ref_aldr, "sce": ref_sce, "compsum": ref_compsum, "dco": ref_dco,
    "dualhead": ref_dualhead,
}

TEACHER_FREE = {"ce", "uskd", "ldr", "aldr", "compsum", "dco"}
ALL_CASES = ["basic", "missing_labels", "all_missing", "one_hot_teacher", "probability_teacher", "extreme", "batch_of_one"]

CONFIGS = [
    ("hinton", {"temperature": 4.0, "alpha": 0.9}, ALL_CASES),
    ("hinton", {"temperature": 0.5, "alpha": 0.5}, ["basic", "extreme"]),
    ("hinton", {"temperature": 20.0, "alpha": 0.9}, ["basic", "probability_teacher"]),
    ("ce", {"labelSmoothing": 0.0}, ALL_CASES),
    ("ce", {"labelSmoothing": 0.1}, ["basic", "missing_labels"]),
    ("mse", {"centered": False}, ALL_CASES),
    ("mse", {"centered": True}, ["basic"]),
    ("rkl", {"temperature": 1.0}, ALL_CASES),
    ("rkl", {"temperature": 0.5}, ["basic", "extreme"]),
    ("rkl", {"temperature": 20.0}, ["basic", "one_hot_teacher"]),
    ("jsd", {"beta": 0.5, "temperature": 1.0}, ALL_CASES),
    ("jsd", {"beta": 0.1, "temperature": 0.5}, ["basic", "extreme"]),
    ("jsd", {"beta": 0.9, "temperature": 20.0}, ["basic", "probability_teacher"]),
    ("skl", {"skew": 0.1, "temperature": 1.0}, ALL_CASES),
    ("skl", {"skew": 0.5, "temperature": 0.5}, ["basic", "extreme"]),
    ("skl", {"skew": 0.1, "temperature": 20.0}, ["basic"]),
    ("srkl", {"skew": 0.1, "temperature": 1.0}, ALL_CASES),
    ("srkl", {"skew": 0.3, "temperature": 0.5}, ["basic", "extreme"]),
    ("srkl", {"skew": 0.1, "temperature": 20.0}, ["basic"]),
    ("tvd", {"temperature": 1.0}, ALL_CASES),
    ("tvd", {"temperature": 0.5}, ["basic", "extreme"]),
    ("tvd", {"temperature": 20.0}, ["basic"]),
    ("dkd", {"alpha": 1.0, "beta": 8.0, "temperature": 4.0, "warmupEpochs": 20, "ceWeight": 1.0, "epoch": 30}, ALL_CASES),
    ("dkd", {"alpha": 1.0, "beta": 8.0, "temperature": 4.0, "warmupEpochs": 20, "ceWeight": 1.0, "epoch": 4}, ["basic"]),
    ("dkd", {"alpha": 0.5, "beta": 2.0, "temperature": 0.5, "warmupEpochs": 0, "ceWeight": 1.0, "epoch": 0}, ["basic", "extreme"]),
    ("dkd", {"alpha": 1.0, "beta": 0.5, "temperature": 20.0, "warmupEpochs": 0, "ceWeight": 0.0, "epoch": 0}, ["basic", "probability_teacher"]),
    ("nkd", {"temperature": 1.0, "gamma": 1.5, "ceWeight": 1.0}, ALL_CASES),
    ("nkd", {"temperature": 0.5, "gamma": 1.0, "ceWeight": 1.0}, ["basic", "extreme"]),
    ("nkd", {"temperature": 20.0, "gamma": 1.5, "ceWeight": 0.5}, ["basic", "one_hot_teacher"]),
    ("uskd", {"alpha": 1.0, "beta": 0.1, "mu": 0.005, "ceWeight": 1.0}, ALL_CASES),
    ("sinkhorn", {"temperature": 1.0, "epsilon": 0.1, "iterations": 20}, ALL_CASES),
    ("sinkhorn", {"temperature": 0.5, "epsilon": 0.05, "iterations": 50}, ["basic", "extreme"]),
    ("sinkhorn", {"temperature": 20.0, "epsilon": 0.1, "iterations": 5}, ["basic"]),
    ("zloss", {"a": 1.0, "b": 0.0, "target": "labels"}, ALL_CASES),
    ("zloss", {"a": 0.5, "b": 2.0, "target": "labels"}, ["basic", "extreme"]),
    ("zloss", {"a": 1.0, "b": 0.0, "target": "teacher", "temperature": 1.0}, ALL_CASES),
    ("zloss", {"a": 2.0, "b": 1.0, "target": "teacher", "temperature": 20.0}, ["basic"]),
    ("ldr", {"lam": 1.0, "margin": 1.0, "normalize": True}, ALL_CASES),
    ("ldr", {"lam": 0.5, "margin": 0.5, "normalize": False}, ["basic", "extreme"]),
    ("ldr", {"lam": 10.0, "margin": 1.0, "normalize": True}, ["basic"]),
    ("aldr", {"lam": 1.0, "alpha": 2.0, "margin": 1.0, "normalize": True}, ALL_CASES),
    ("aldr", {"lam": 0.5, "alpha": 4.0, "margin": 1.0, "normalize": False}, ["basic", "extreme"]),
    ("sce", {"alpha": 0.1, "beta": 1.0, "logClamp": -4.0, "target": "labels"}, ALL_CASES),
    ("sce", {"alpha": 0.1, "beta": 1.0, "logClamp": -4.0, "target": "teacher", "temperature": 1.0}, ALL_CASES),
    ("sce", {"alpha": 1.0, "beta": 0.5, "logClamp": -6.0, "target": "teacher", "temperature": 20.0}, ["basic"]),
    ("compsum", {"tau": 1.7}, ALL_CASES),
    ("compsum", {"tau": 2.0}, ALL_CASES),
    ("compsum", {"tau": 1.0}, ["basic"]),
    ("compsum", {"tau": 3.0}, ["basic", "extreme"]),
    ("dco", {"n": 4}, ALL_CASES),
    ("dco", {"n": 1}, ["basic"]),
    ("dco", {"n": 16}, ["basic", "extreme"]),
    ("dualhead", {"temperature": 4.0, "auxTemperature": 2.0, "ceWeight": 1.0, "kdWeight": 1.0, "auxWeight": 1.0}, ALL_CASES),
    ("dualhead", {"temperature": 0.5, "auxTemperature": 0.5, "ceWeight": 0.5, "kdWeight": 2.0, "auxWeight": 0.5}, ["basic", "extreme"]),
]


def to_list(x):
    return None if x is None else x.detach().numpy().tolist()


def run_config(loss, params, case):
    s, t, kind, y, aux = inputs(case)
    terms = REFS[loss](s, t, kind, y, aux, **params)
    total = sum(terms.values())
    total.backward()
    g_aux = aux.grad if aux.grad is not None else torch.zeros_like(aux)
    for k, v in terms.items():
        assert torch.isfinite(v), (loss, params, case, k)
    assert torch.isfinite(s.grad).all(), (loss, params, case)
    return {
        "loss": loss, "params": params, "case": case,
        "terms": {k: float(v) for k, v in terms.items()},
        "total": float(total),
        "gradStudent": to_list(s.grad),
        "gradAux": to_list(g_aux),
    }


# ----------------------------------------------------------------------------------------------------------------
# Multi-sample dropout: fixed dropout masks, a linear main head, inner losses Hinton KD and CE
# ----------------------------------------------------------------------------------------------------------------
def make_msd():
    B, H, K, M = 6, 4, 5, 3
    p = 0.5
    h = rnd(B, H)
    W = rnd(K, H, scale=0.7)
    b = rnd(K, scale=0.3)
    masks = (rng.rand(M, B, H) >= p).astype(float) / (1 - p)
    out = []
    for inner, params, case in [("hinton", {"temperature": 4.0, "alpha": 0.9}, "missing_labels"),
                                ("ce", {"labelSmoothing": 0.0}, "basic"),
                                ("dkd", {"alpha": 1.0, "beta": 8.0, "temperature": 4.0, "warmupEpochs": 0,
                                         "ceWeight": 1.0, "epoch": 0}, "probability_teacher")]:
        _, t, kind, y, aux = inputs(case)
        ht = torch.tensor(h, requires_grad=True)
        Wt = torch.tensor(W, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)
        sums = {}
        for m in range(M):
            z = (ht * torch.tensor(masks[m])) @ Wt.T + bt
            for k, v in REFS[inner](z, t, kind, y, aux.detach(), **params).items():
                sums[k] = sums.get(k, 0.0) + v / M
        total = sum(sums.values())
        total.backward()
        out.append({"inner": inner, "params": params, "case": case,
                    "terms": {k: float(v) for k, v in sums.items()}, "total": float(total),
                    "gradPenultimate": to_list(ht.grad), "gradWeight": to_list(Wt.grad), "gradBias": to_list(bt.grad)})
    return {"penultimate": h.tolist(), "weight": W.tolist(), "bias": b.tolist(), "dropout": p,
            "masks": masks.tolist(), "goldens": out}


# ----------------------------------------------------------------------------------------------------------------
# TGeo-KD: fusion-ratio network with fixed weights; training loss, then one bilevel meta objective
# ----------------------------------------------------------------------------------------------------------------
def tgeo_features(s_logits, t, kind, tgt, means):
    K = s_logits.shape[1]
    sp = torch.softmax(s_logits, 1)
    tp = teacher_log_probs(t, kind, 1.0).exp()
    g = F.one_hot(tgt, K).to(DT)
    return torch.cat([sp - tp, tp - g, sp - g, tp - means, sp - means], 1).detach()


def class_means(t, kind, tgt, K, prev_sum=None, prev_cnt=None):
    tp = teacher_log_probs(t, kind, 1.0).exp()
    sums = torch.zeros(K, K) if prev_sum is None else prev_sum.clone()
    cnt = torch.zeros(K) if prev_cnt is None else prev_cnt.clone()
    for i in range(t.shape[0]):
        sums[tgt[i]] += tp[i]
        cnt[tgt[i]] += 1
    per_row = torch.stack([sums[c] / cnt[c] if cnt[c] > 0 else tp[i] for i, c in enumerate(tgt.tolist())])
    return per_row, sums, cnt


def fusion(net, feats):
    W1, b1, W2, b2 = net
    return torch.sigmoid(torch.relu(feats @ W1.T + b1) @ W2.T + b2)[:, 0]


def tgeo_training_terms(s_logits, t, kind, y, alpha_i, T):
    kl = kl_rows(teacher_log_probs(t, kind, T), F.log_softmax(s_logits / T, 1)) * T * T
    lab = labelled(y)
    B = s_logits.shape[0]
    w_kd = lab * alpha_i + (1 - lab)
    return {"kd": (w_kd * kl).sum() / B, "ce": ((1 - alpha_i) * lab * ce_rows(s_logits, y)).sum() / B}


def make_tgeo():
    K, Hn, Hd = 5, 8, 4
    T = 4.0
    step = 0.5
    W1 = rnd(Hn, 5 * K, scale=0.5)
    b1 = rnd(Hn, scale=0.1)
    W2 = rnd(1, Hn, scale=0.5)
    b2 = rnd(1, scale=0.1)
    net = [torch.tensor(W1), torch.tensor(b1), torch.tensor(W2), torch.tensor(b2)]
    goldens = []
    for case in ["basic", "missing_labels", "probability_teacher", "extreme", "batch_of_one"]:
        s, t, kind, y, _ = inputs(case)
        tgt = targets(t, y)
        means, _, _ = class_means(t, kind, tgt, K)
        a = fusion(net, tgeo_features(s, t, kind, tgt, means)).detach()
        terms = tgeo_training_terms(s, t, kind, y, a, T)
        total = sum(terms.values())
        total.backward()
        goldens.append({"case": case, "terms": {k: float(v) for k, v in terms.items()}, "total": float(total),
                        "gradStudent": to_list(s.grad), "meanFusionRatio": float(a.mean())})

    # Bilevel meta objective: cached training batch (penultimate, teacher, labels), linear head (W, b), held-out batch.
    Btr, Bva = 6, 5
    h_tr = rnd(Btr, Hd)
    h_va = rnd(Bva, Hd)
    Wh = rnd(K, Hd, scale=0.8)
    bh = rnd(K, scale=0.2)
    t_tr = rnd(Btr, K, scale=3.0)
    t_va = rnd(Bva, K, scale=3.0)
    y_tr = [1, -1, 4, 0, 2, 2]
    y_va = [3, 0, -1, 4, 1]
    netp = [torch.tensor(x, requires_grad=True) for x in (W1, b1, W2, b2)]
    Wt = torch.tensor(Wh, requires_grad=True)
    bt = torch.tensor(bh, requires_grad=True)
    ytr = torch.tensor(y_tr)
    yva = torch.tensor(y_va)
    ttr = torch.tensor(t_tr)
    z_tr_value = torch.tensor(h_tr) @ torch.tensor(Wh).T + torch.tensor(bh)
    tgt_tr = targets(ttr, ytr)
    means_tr, _, _ = class_means(ttr, "logits", tgt_tr, K)
    feats = tgeo_features(z_tr_value, ttr, "logits", tgt_tr, means_tr)
    a = fusion(netp, feats)
    z_tr = torch.tensor(h_tr) @ Wt.T + bt
    inner = sum(tgeo_training_terms(z_tr, ttr, "logits", ytr, a, T).values())
    gW, gb = torch.autograd.grad(inner, [Wt, bt], create_graph=True)
    W_new = Wt - step * gW
    b_new = bt - step * gb
    z_va = torch.tensor(h_va) @ W_new.T + b_new
    outer = mean_over(ce_rows(z_va, yva), labelled(yva))
    grads = torch.autograd.grad(outer, netp)
    meta = {"trainPenultimate": h_tr.tolist(), "trainTeacher": t_tr.tolist(), "trainLabels": y_tr,
            "heldOutPenultimate": h_va.tolist(), "heldOutTeacher": t_va.tolist(), "heldOutLabels": y_va,
            "headWeight": Wh.tolist(), "headBias": bh.tolist(), "virtualStep": step,
            "outer": float(outer), "gradW1": to_list(grads[0]), "gradB1": to_list(grads[1]),
            "gradW2": to_list(grads[2]), "gradB2": to_list(grads[3])}
    return {"temperature": T, "hidden": Hn, "W1": W1.tolist(), "b1": b1.tolist(), "W2": W2.tolist(),
            "b2": b2.tolist(), "goldens": goldens, "meta": meta}


def main():
    goldens = []
    for loss, params, cases in CONFIGS:
        for case in cases:
            goldens.append(run_config(loss, params, case))
    for i, g in enumerate(goldens):
        g["id"] = f"{i:03d} {g['loss']} {json.dumps(g['params'], sort_keys=True)} on {g['case']}"
    doc = {
        "generator": "tools/make_loss_goldens.py (PyTorch %s, float64)" % torch.__version__,
        "cases": {k: {"student": np.array(v["student"]).tolist(), "teacher": np.array(v["teacher"]).tolist(),
                      "teacherKind": v["kind"], "labels": v["labels"], "aux": np.array(v["aux"]).tolist()}
                  for k, v in CASES.items()},
        "goldens": goldens,
        "multiSampleDropout": make_msd(),
        "tgeo": make_tgeo(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote %d goldens to %s" % (len(goldens), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()

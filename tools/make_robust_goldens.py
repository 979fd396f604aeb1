#!/usr/bin/python3
"""Golden numbers for multi-teacher adversarial distillation (issue 15 item 5), from PyTorch.

Writes tests/MLNet.Distillation.Tests/Fixtures/robust/robust_goldens.json:
  - "loss": RobustMultiTeacherLoss (MTARD) over three training steps on fixed
    random batches: the terms' values, the gradient of their sum with respect to
    the student logits, and the temperatures, weights and entropies after each
    step. Written from the formulas in docs/transfer-and-search.md, independently
    of the C# code:
        q = softmax(s); p_c = softmax(t_clean / tau_c); p_a = softmax(t_adv / tau_a)
        L_c = mean KL(p_c || q) over the clean rows, L_a likewise on the adversarial rows
        r_i = L_i / L_i(first step); w_c = r_c / (r_c + r_a), w_a = r_a / (r_c + r_a)  (or 1/2 each)
        terms: clean = w_c L_c, adversarial = w_a L_a
        then H_c, H_a = mean entropy of p_c, p_a;
        tau_c <- clip(tau_c - eta (H_c - H_a)), tau_a <- clip(tau_a - eta (H_a - H_c)), clip to [0.05, 20]
    Probability teachers are read as log p (softmax(log p / tau)).
  - "attack": FGSM and PGD without random start on a fixed linear model
    logits = x W + b, in the standardised space (radius eps * std_j) and the raw
    one (radius eps), clipped to per-feature [min, max]: the adversarial rows.

How to run: /usr/bin/python3 tools/make_robust_goldens.py   (seconds; torch 1.13)
"""

import json
import os

import torch
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "MLNet.Distillation.Tests", "Fixtures", "robust", "robust_goldens.json")
torch.set_default_dtype(torch.float64)


def rows(t):
    return [[float(v) for v in r] for r in t]


def loss_case(name, seed, b, n, k, tau_c, tau_a, eta, balance, probabilities):
    g = torch.Generator().manual_seed(seed)
    steps = []
    state = {"tau_c": tau_c, "tau_a": tau_a, "start": None}
    for step in range(3):
        s = (torch.randn(b, k, generator=g) * 2).requires_grad_(True)
        t = torch.randn(b, k, generator=g) * 3
        if probabilities:
            t = F.softmax(t, 1)
        scores = torch.log(t.clamp_min(1e-30)) if probabilities else t
        clean = b - n
        logq = F.log_softmax(s, 1)
        logpc = F.log_softmax(scores[:clean] / state["tau_c"], 1)
        logpa = F.log_softmax(scores[clean:] / state["tau_a"], 1)
        lc = (logpc.exp() * (logpc - logq[:clean])).sum(1).mean()
        la = (logpa.exp() * (logpa - logq[clean:])).sum(1).mean()
        wc = wa = 0.5
        if balance:
            if state["start"] is None:
                state["start"] = (float(lc), float(la))
            rc, ra = float(lc) / state["start"][0], float(la) / state["start"][1]
            wc, wa = rc / (rc + ra), ra / (rc + ra)
        total = wc * lc + wa * la
        grad, = torch.autograd.grad(total, s)
        hc = float(-(logpc.exp() * logpc).sum(1).mean())
        ha = float(-(logpa.exp() * logpa).sum(1).mean())
        state["tau_c"] = min(max(state["tau_c"] - eta * (hc - ha), 0.05), 20.0)
        state["tau_a"] = min(max(state["tau_a"] - eta * (ha - hc), 0.05), 20.0)
        steps.append({"student": rows(s.detach()), "teacher": rows(t), "clean": float(wc * lc), "adversarial": float(wa * la),
                      "gradient": rows(grad), "clean_weight": wc, "robust_weight": wa, "clean_entropy": hc, "robust_entropy": ha,
                      "clean_temperature_after": state["tau_c"], "robust_temperature_after": state["tau_a"]})
    return {"name": name, "adversarial_rows": n, "clean_temperature": tau_c, "robust_temperature": tau_a, "rate": eta,
            "balance_weights": balance, "teacher_kind": "Probabilities" if probabilities else "Logits", "steps": steps}


def attack_case(name, method, space, eps, steps, step_size, seed):
    g = torch.Generator().manual_seed(seed)
    f, k, n = 5, 3, 6
    w = torch.randn(f, k, generator=g)
    b = torch.randn(k, generator=g)
    train = torch.randn(40, f, generator=g) * torch.tensor([1.0, 2.0, 0.5, 3.0, 0.0]) + torch.tensor([0.0, 1.0, -1.0, 2.0, 5.0])
    std = train.std(0, unbiased=False)
    lo, hi = train.min(0).values, train.max(0).values
    x = train[:n].clone()
    x[0, 1] = hi[1] + 1.0     # a clean feature outside the training range may stay there
    y = torch.randint(0, k, (n,), generator=g)
    scale = std if space == "Standardized" else torch.ones(f)
    radius, step = eps * scale, step_size * scale
    lower = torch.min(torch.max(x - radius, lo), x)
    upper = torch.max(torch.min(x + radius, hi), x)
    adv = x.clone()
    for _ in range(steps if method == "Pgd" else 1):
        a = adv.detach().requires_grad_(True)
        loss = F.cross_entropy(a @ w + b, y, reduction="sum")
        grad, = torch.autograd.grad(loss, a)
        adv = torch.min(torch.max(a.detach() + step * grad.sign(), lower), upper)
    return {"name": name, "method": method, "space": space, "epsilon": eps, "steps": steps, "step_size": step_size,
            "weights": rows(w), "bias": [float(v) for v in b], "train": rows(train), "x": rows(x), "targets": [int(v) for v in y],
            "adversarial": rows(adv)}


def main():
    golden = {
        "loss": [
            loss_case("logits, balanced weights", 1, 8, 3, 4, 1.0, 1.0, 0.05, True, False),
            loss_case("probabilities, fixed weights, other temperatures", 2, 6, 2, 5, 2.0, 0.5, 0.1, False, True),
        ],
        "attack": [
            attack_case("fgsm standardized", "Fgsm", "Standardized", 0.3, 1, 0.3, 3),
            attack_case("pgd standardized", "Pgd", "Standardized", 0.3, 5, 0.1, 4),
            attack_case("pgd raw", "Pgd", "Raw", 0.5, 4, 0.2, 5),
        ],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, indent=1)
    print(f"wrote {os.path.relpath(OUT, REPO)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()

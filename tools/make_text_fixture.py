#!/usr/bin/python3
"""Makes tests/MLNet.Distillation.Tests/Fixtures/text/fortunes.tsv: short fortunes from three Debian `fortunes`
categories (computers, food, love) with their category as the label, a seeded split, and a teacher column.

Needs only Debian's `fortunes` package (`apt-get install -y fortunes`) and the Python standard library. Seconds.

Rows: the first 130 entries of each category file (in file order) whose text, with its whitespace collapsed to single
spaces, is 20 to 199 characters long; then shuffled with random.Random(0). Split: every fourth row (row index % 4 == 3)
is `test`, the others `train` (for each category separately, so the split is stratified).

Teacher: a multinomial naive Bayes over lower-cased words (runs of [a-z0-9']), Laplace smoothing 1, fitted on the
train rows only; the columns T0..T2 are its log-posteriors (log-softmax, so they are valid logits) for the classes in
the order of CLASSES. It is a deliberately different model from the students (it sees every word, with counts), so a
student learns something from its soft labels that the hard labels do not say.

Columns (tab-separated, header line): Label, Split, Text, T0, T1, T2.
"""
import math
import os
import random
import re
from collections import Counter

CLASSES = ["computers", "food", "love"]
PER_CLASS = 130
FORTUNES = "/usr/share/games/fortunes"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "MLNet.Distillation.Tests", "Fixtures", "text", "fortunes.tsv")


def entries(category):
    with open(os.path.join(FORTUNES, category), encoding="utf-8", errors="replace") as f:
        text = f.read()
    for raw in text.split("\n%\n"):
        line = " ".join(raw.replace("\t", " ").split())
        if 20 <= len(line) < 200:
            yield line


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def main():
    rows = []
    for c in CLASSES:
        chosen = []
        for e in entries(c):
            chosen.append(e)
            if len(chosen) == PER_CLASS:
                break
        if len(chosen) < PER_CLASS:
            raise SystemExit(f"only {len(chosen)} short entries in {c}")
        rows += [(c, "test" if i % 4 == 3 else "train", t) for i, t in enumerate(chosen)]
    random.Random(0).shuffle(rows)

    counts = {c: Counter() for c in CLASSES}
    docs = Counter()
    for c, split, t in rows:
        if split == "train":
            counts[c].update(words(t))
            docs[c] += 1
    vocab = set().union(*counts.values())
    totals = {c: sum(counts[c].values()) for c in CLASSES}
    n_train = sum(docs.values())

    def log_posterior(text):
        scores = []
        for c in CLASSES:
            s = math.log(docs[c] / n_train)
            for w in words(text):
                if w in vocab:
                    s += math.log((counts[c][w] + 1) / (totals[c] + len(vocab)))
            scores.append(s)
        m = max(scores)
        z = m + math.log(sum(math.exp(s - m) for s in scores))
        return [s - z for s in scores]

    correct = {"train": [0, 0], "test": [0, 0]}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tmp = OUT + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("Label\tSplit\tText\tT0\tT1\tT2\n")
        for c, split, t in rows:
            lp = log_posterior(t)
            correct[split][0] += CLASSES[lp.index(max(lp))] == c
            correct[split][1] += 1
            f.write(f"{c}\t{split}\t{t}\t" + "\t".join(f"{v:.6f}" for v in lp) + "\n")
    os.replace(tmp, OUT)
    for split, (k, n) in correct.items():
        print(f"naive Bayes teacher {split} accuracy {k}/{n} = {k / n:.4f}")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(rows)} rows)")


if __name__ == "__main__":
    main()

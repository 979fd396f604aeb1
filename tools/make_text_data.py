#!/usr/bin/env python3
"""The text corpus of samples/Text: Debian's `fortunes` files as a six-class topic classification set.

    apt-get install -y fortunes fortunes-min
    /usr/bin/python3 tools/make_text_data.py            # about a second

Source: /usr/share/games/fortunes/<category> (Debian 12 packages `fortunes` 1:1.99.1-7.3 and `fortunes-min`), entries
separated by lines holding only '%'. Classes: computers, men-women, politics, science, songs-poems, work.

Cleaning, in this order:
  * overstriking (character + backspace, used for bold/underline in a few entries) removed, other control characters
    turned into spaces, every run of whitespace (newlines, tabs) collapsed to one space, ends trimmed;
  * entries shorter than 20 or longer than 600 characters dropped (the long ones are mostly whole poems and listings);
  * exact duplicates: a text that occurs in two classes is dropped from both; repeats inside a class are kept once.

Split: a text goes to test when the first byte of the SHA-1 of its UTF-8 bytes is below 52 (52/256 = 20.3 %), else to
train — deterministic, independent of file order and of the other entries.

Writes (tab-separated, header `Label<TAB>Text`, no quoting: the text never holds a tab or a newline):
  * suite-data/text/fortunes-train.tsv, fortunes-test.tsv     the whole corpus, NOT committed (git-ignored suite-data/)
  * samples/Text/Data/fortunes-train.tsv, fortunes-test.tsv   the committed subset for the quick sample run and the
    tests: the first 100 train and 30 test texts of each class in SHA-1 order
and prints the sizes and the class balance (copied into docs/results.md).
"""
import collections
import hashlib
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SOURCE = "/usr/share/games/fortunes"
CLASSES = ["computers", "men-women", "politics", "science", "songs-poems", "work"]
MIN_CHARS, MAX_CHARS = 20, 600
TEST_BELOW = 52
SUBSET_TRAIN, SUBSET_TEST = 100, 30


def clean(entry: str) -> str:
    entry = re.sub(r".\x08", "", entry, flags=re.S)
    entry = re.sub(r"[\x00-\x1f\x7f]", " ", entry)
    return re.sub(r"\s+", " ", entry).strip()


def read_class(name: str) -> list:
    path = os.path.join(SOURCE, name)
    if not os.path.exists(path):
        sys.exit(f"{path} not found: install the corpus with `apt-get install -y fortunes fortunes-min`")
    with open(path, encoding="latin-1") as f:
        raw = f.read()
    entries = [clean(e) for e in re.split(r"^%[ \t]*$", raw, flags=re.M)]
    return [e for e in entries if MIN_CHARS <= len(e) <= MAX_CHARS]


def digest(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def write_tsv(path: str, rows: list) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("Label\tText\n")
        for label, text in rows:
            assert "\t" not in text and "\n" not in text
            f.write(f"{label}\t{text}\n")
    os.replace(tmp, path)


def main() -> None:
    per_class = {c: sorted(set(read_class(c)), key=digest) for c in CLASSES}
    owners = collections.Counter(t for texts in per_class.values() for t in texts)
    shared = {t for t, n in owners.items() if n > 1}
    train, test = [], []
    subset_train, subset_test = [], []
    for c in CLASSES:
        texts = [t for t in per_class[c] if t not in shared]
        c_train = [t for t in texts if digest(t)[0] >= TEST_BELOW]
        c_test = [t for t in texts if digest(t)[0] < TEST_BELOW]
        train += [(c, t) for t in c_train]
        test += [(c, t) for t in c_test]
        subset_train += [(c, t) for t in c_train[:SUBSET_TRAIN]]
        subset_test += [(c, t) for t in c_test[:SUBSET_TEST]]
    # Class-interleaved order (sorted by digest) so that a prefix of the file is not one class.
    for rows in (train, test, subset_train, subset_test):
        rows.sort(key=lambda r: digest(r[1]))
    write_tsv(os.path.join(ROOT, "suite-data/text/fortunes-train.tsv"), train)
    write_tsv(os.path.join(ROOT, "suite-data/text/fortunes-test.tsv"), test)
    write_tsv(os.path.join(ROOT, "samples/Text/Data/fortunes-train.tsv"), subset_train)
    write_tsv(os.path.join(ROOT, "samples/Text/Data/fortunes-test.tsv"), subset_test)
    print(f"dropped {len(shared)} texts found in two classes")
    print("| class | train | test |\n| --- | ---: | ---: |")
    n_train = collections.Counter(c for c, _ in train)
    n_test = collections.Counter(c for c, _ in test)
    for c in CLASSES:
        print(f"| {c} | {n_train[c]} | {n_test[c]} |")
    print(f"| total | {len(train)} | {len(test)} |")
    chars = [len(t) for _, t in train + test]
    chars.sort()
    print(f"characters per text: median {chars[len(chars) // 2]}, mean {sum(chars) / len(chars):.0f}")
    print(f"committed subset: {len(subset_train)} train + {len(subset_test)} test rows")


if __name__ == "__main__":
    main()

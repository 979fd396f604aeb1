#!/usr/bin/env python3
r"""The text teacher of samples/Text: a small Transformer encoder over its own WordPiece vocabulary, exported to ONNX.

    /usr/bin/python3 tools/make_text_data.py                 # the corpus first (suite-data/text/)
    nice -n 10 /usr/bin/python3 tools/make_text_teacher.py   # see tools/README.md for its run time

Tokeniser: WordPiece over vocab.txt with the normalisation and pre-tokenisation of Microsoft.ML.Tokenizers 2.0.1's
BertTokenizer (options LowerCaseBeforeTokenization, RemoveNonSpacingMarks, IndividuallyTokenizeCjk on,
SplitOnSpecialTokens off), written out here so that the .NET pipeline reproduces the ids from vocab.txt alone:
  * control characters (Unicode Cc, tab/newline/carriage return INCLUDED) dropped, space separators (Zs) turned into
    spaces, CJK ideographs spaced out, every character lower-cased on its own, NFD, non-spacing marks (Mn) removed;
  * words are runs of .NET regex \w characters (letters, Mn, decimal digits, connector punctuation such as '_'), every
    other punctuation character (P*) is a token of its own, and everything else (symbols such as $ + < = > ^ ` | ~ and
    the currency signs, Cf format characters) only separates words;
  * WordPiece: greedy longest match from the start of each word, continuation pieces prefixed '##', a word with no
    match (or longer than 100 characters) becomes [UNK];
  * ids = [CLS] + the first L-2 pieces + [SEP], padded with [PAD] = 0 to L = 64; attention_mask 1 on real tokens.
  Hugging Face's BERT BasicTokenizer differs on exactly those points (it splits tabs and newlines as spaces, makes the
  ASCII symbols and '_' tokens of their own, drops Cf characters), so this is NOT a Hugging Face tokenizer. Checked
  against the .NET tokenizer on every code point U+0001-U+2FFF: the same ids except 14 (characters added after
  Python 3.11's Unicode 14 tables, and Tamil/Balinese vowels that Python and ICU decompose differently).
  The vocabulary (vocab.txt, one token per line, line number = id) is learnt here by byte-pair-style merges over the
  words of the unlabelled texts (merge the most frequent adjacent pair, ties to the larger pair in string order).

Model: token + position embeddings (d = 96), 2 pre-norm encoder layers (4 heads, feed-forward 192, GELU), final
LayerNorm, masked mean pooling over real tokens, linear head to 6 logits. Written with plain ops (no fused
nn.TransformerEncoder fast path) so that torch.onnx.export writes standard ONNX.

Training, seeded, CPU, 1 thread:
  1. masked-language-model pre-training (1 epoch) on unlabelled fortunes: every category of /usr/share/games/fortunes cleaned as in
     make_text_data.py, MINUS every text of the test split (no test text is ever seen);
  2. classification fine-tuning (6 epochs) on the train split (a fixed 10 % of it held out to pick the epoch), then the test
     accuracy is measured once.

Writes samples/Text/Data/: teacher.onnx (inputs input_ids, attention_mask int64 [batch, 64]; output logits float
[batch, 6]), vocab.txt, text_reference.json (classes, L, special ids, test accuracy, golden ids of a few sentences,
a SHA-256 of the ids of every committed-subset row, PyTorch logits of the first committed test rows).
"""
import collections
import glob
import hashlib
import json
import os
import random
import sys
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_text_data as corpus  # noqa: E402

ROOT = corpus.ROOT
DATA = os.path.join(ROOT, "suite-data/text")
OUT = os.path.join(ROOT, "samples/Text/Data")
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)
VOCAB_SIZE = 3000
L = 64
D, HEADS, FF, LAYERS = 96, 4, 192, 2
SEED = 20261201
PRETRAIN_EPOCHS = int(os.environ.get("PRETRAIN_EPOCHS", "1"))
FINETUNE_EPOCHS = int(os.environ.get("FINETUNE_EPOCHS", "6"))
GOLDEN_SENTENCES = [
    "Computers are useless. They can only give you answers. -- Pablo Picasso",
    "Hello, World! It's 3:45pm; the C++ compiler (gcc-12) said: \"error #42\".",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 \u201cquoted\u201d \u00c5ngstr\u00f6m \u00fcber STRASSE",
    "$100 + 50% = <html> ^caret^ `tick` |pipe| ~tilde~ @home #tag & co_op",
    "antidisestablishmentarianism supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "\u4e2d\u6587 mixed with English and \u00e6\u00f8\u00e5 and tabs\tand\nnewlines",
    "Literal [MASK] and [CLS] tokens aren't special here; don't split them ... or do?",
    "",
    "a " * 80,
]


# ---------------------------------------------------------------- tokeniser (BERT basic + WordPiece)
def _is_whitespace(ch):
    return unicodedata.category(ch) == "Zs"


def _is_control(ch):
    return unicodedata.category(ch) == "Cc"   # tab, newline and carriage return included: dropped, not spaces


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_word(ch):
    # .NET's regex \w: letters, non-spacing marks, decimal digits, connector punctuation ('_')
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Nd", "Pc")


def basic_tokenize(text):
    """Microsoft.ML.Tokenizers 2.0.1 BertTokenizer's normalisation and pre-tokenisation, written out."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    text = "".join(c.lower()[0] for c in "".join(out))   # per character, simple mapping (U+0130 -> 'i')
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    words, current = [], []
    for ch in text:
        if _is_word(ch):
            current.append(ch)
            continue
        if current:
            words.append("".join(current))
            current = []
        if unicodedata.category(ch).startswith("P"):
            words.append(ch)
    if current:
        words.append("".join(current))
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return [UNK]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                found = vocab[sub]
                break
            end -= 1
        if found is None:
            return [UNK]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab):
    """(input_ids, attention_mask), each L long."""
    pieces = [p for w in basic_tokenize(text) for p in wordpiece(w, vocab)][: L - 2]
    ids = [CLS] + pieces + [SEP]
    mask = [1] * len(ids) + [0] * (L - len(ids))
    return ids + [PAD] * (L - len(ids)), mask


def learn_vocab(texts):
    word_freq = collections.Counter(w for t in texts for w in basic_tokenize(t))
    words = [[w[0]] + ["##" + c for c in w[1:]] for w in word_freq]
    freqs = list(word_freq.values())
    alphabet = sorted({s for w in words for s in w})
    tokens = SPECIALS + alphabet
    known = set(tokens)
    pair_count = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    while len(tokens) < VOCAB_SIZE and pair_count:
        best = max(pair_count.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merged = best[0] + best[1][2:]
        for i in list(where[best]):
            w = words[i]
            for a, b in zip(w, w[1:]):
                pair_count[(a, b)] -= freqs[i]
                if pair_count[(a, b)] <= 0:
                    del pair_count[(a, b)]
                where[(a, b)].discard(i)
            new, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and (w[j], w[j + 1]) == best:
                    new.append(merged)
                    j += 2
                else:
                    new.append(w[j])
                    j += 1
            words[i] = new
            for a, b in zip(new, new[1:]):
                pair_count[(a, b)] += freqs[i]
                where[(a, b)].add(i)
        where.pop(best, None)
        if merged not in known:
            known.add(merged)
            tokens.append(merged)
    return tokens


# ---------------------------------------------------------------- model
class EncoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.out = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.ff1, self.ff2 = nn.Linear(D, FF), nn.Linear(FF, D)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias):  # x [B, L, D], bias [B, 1, 1, L] (0 or -1e4)
        b, n, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, HEADS, D // HEADS).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / (D // HEADS) ** 0.5 + bias, dim=-1)
        x = x + self.drop(self.out((self.drop(att) @ v).transpose(1, 2).reshape(b, n, D)))
        return x + self.drop(self.ff2(self.drop(F.gelu(self.ff1(self.norm2(x))))))


class TextTeacher(nn.Module):
    def __init__(self, vocab_size, classes):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab_size, D), nn.Embedding(L, D)
        self.layers = nn.ModuleList([EncoderLayer() for _ in range(LAYERS)])
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, classes)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab_size))
        self.drop = nn.Dropout(0.1)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    def encode(self, ids, mask):
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.drop(self.tok(ids) + self.pos(positions))
        bias = (1.0 - mask.to(torch.float32))[:, None, None, :] * -1e4
        for layer in self.layers:
            x = layer(x, bias)
        return self.norm(x)

    def forward(self, input_ids, attention_mask):
        h = self.encode(input_ids, attention_mask)
        m = attention_mask.to(torch.float32).unsqueeze(-1)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.head(pooled)

    def mlm_logits(self, ids, mask):
        return self.encode(ids, mask) @ self.tok.weight.t() + self.mlm_bias


# ---------------------------------------------------------------- data
def read_tsv(path):
    if not os.path.exists(path):
        sys.exit(f"{path} not found: run tools/make_text_data.py first")
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f][1:]
    return [r[1] for r in rows], [r[0] for r in rows]


def unlabelled_texts(exclude):
    texts = set()
    for path in sorted(glob.glob(os.path.join(corpus.SOURCE, "*"))):
        name = os.path.basename(path)
        if "." in name or not os.path.isfile(path) or os.path.islink(path):
            continue
        texts.update(corpus.read_class(name))
    return sorted(texts - exclude)


def tensors(texts, vocab):
    pairs = [encode(t, vocab) for t in texts]
    return torch.tensor([p[0] for p in pairs]), torch.tensor([p[1] for p in pairs])


def mask_tokens(ids, mask, vocab_size, gen):
    ids = ids.clone()
    real = (mask == 1) & (ids != CLS) & (ids != SEP)
    chosen = (torch.rand(ids.shape, generator=gen) < 0.15) & real
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    r = torch.rand(ids.shape, generator=gen)
    ids[chosen & (r < 0.8)] = MASK
    swap = chosen & (r >= 0.8) & (r < 0.9)
    ids[swap] = torch.randint(len(SPECIALS), vocab_size, ids.shape, generator=gen)[swap]
    return ids, labels


def accuracy(model, ids, mask, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(ids[i:i + 256], mask[i:i + 256]).argmax(1) for i in range(0, len(ids), 256)])
    return (pred == y).float().mean().item()


def main():
    torch.manual_seed(SEED)
    random.seed(SEED)
    torch.set_num_threads(1)   # one thread: on a shared, loaded machine two threads wait on each other
    started = time.time()
    train_x, train_y = read_tsv(os.path.join(DATA, "fortunes-train.tsv"))
    test_x, test_y = read_tsv(os.path.join(DATA, "fortunes-test.tsv"))
    classes = corpus.CLASSES
    unlabelled = unlabelled_texts(set(test_x))
    tokens = learn_vocab(unlabelled)
    vocab = {t: i for i, t in enumerate(tokens)}
    print(f"{len(unlabelled)} unlabelled texts, vocabulary {len(tokens)} tokens ({time.time() - started:.0f} s)")

    model = TextTeacher(len(tokens), len(classes))
    gen = torch.Generator().manual_seed(SEED)

    # 1. masked-language-model pre-training
    u_ids, u_mask = tensors(unlabelled, vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    t0 = time.time()
    for epoch in range(PRETRAIN_EPOCHS):
        model.train()
        order = torch.randperm(len(u_ids), generator=gen)
        total, steps = 0.0, 0
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            ids, labels = mask_tokens(u_ids[idx], u_mask[idx], len(tokens), gen)
            loss = F.cross_entropy(model.mlm_logits(ids, u_mask[idx]).reshape(-1, len(tokens)), labels.reshape(-1),
                                   ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            steps += 1
        print(f"pretrain epoch {epoch + 1}: mlm loss {total / steps:.3f} ({time.time() - t0:.0f} s)", flush=True)

    # 2. fine-tuning on the train split, epoch picked on a fixed 10 % of it
    y_index = {c: i for i, c in enumerate(classes)}
    ids, mask = tensors(train_x, vocab)
    y = torch.tensor([y_index[c] for c in train_y])
    hold = torch.tensor([hashlib.sha1(t.encode()).digest()[1] < 26 for t in train_x])
    fit_ids, fit_mask, fit_y = ids[~hold], mask[~hold], y[~hold]
    val_ids, val_mask, val_y = ids[hold], mask[hold], y[hold]
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    best, best_state = -1.0, None
    for epoch in range(FINETUNE_EPOCHS):
        model.train()
        order = torch.randperm(len(fit_ids), generator=gen)
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            loss = F.cross_entropy(model(fit_ids[idx], fit_mask[idx]), fit_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        val = accuracy(model, val_ids, val_mask, val_y)
        print(f"finetune epoch {epoch + 1}: validation accuracy {val:.4f}", flush=True)
        if val > best:
            best, best_state = val, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    t_ids, t_mask = tensors(test_x, vocab)
    t_y = torch.tensor([y_index[c] for c in test_y])
    test_acc = accuracy(model, t_ids, t_mask, t_y)
    print(f"teacher: validation {best:.4f}, test accuracy {test_acc:.4f} on {len(test_x)} rows "
          f"({time.time() - started:.0f} s in all)")

    # 3. export and references
    os.makedirs(OUT, exist_ok=True)
    model.eval()
    onnx_path = os.path.join(OUT, "teacher.onnx")
    dummy = tensors(["export"], vocab)
    torch.onnx.export(model, dummy, onnx_path + ".tmp", input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17,
                      dynamic_axes={"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "logits": {0: "batch"}})
    import onnx
    m = onnx.load(onnx_path + ".tmp")
    onnx.checker.check_model(m)
    os.replace(onnx_path + ".tmp", onnx_path)
    with open(os.path.join(OUT, "vocab.txt.tmp"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in tokens))
    os.replace(os.path.join(OUT, "vocab.txt.tmp"), os.path.join(OUT, "vocab.txt"))

    sub_train_x, _ = read_tsv(os.path.join(OUT, "fortunes-train.tsv"))
    sub_test_x, sub_test_y = read_tsv(os.path.join(OUT, "fortunes-test.tsv"))
    digest = hashlib.sha256()
    for t in sub_train_x + sub_test_x:
        for v in encode(t, vocab)[0]:
            digest.update(int(v).to_bytes(8, "little"))
    first_ids, first_mask = tensors(sub_test_x[:8], vocab)
    with torch.no_grad():
        logits = model(first_ids, first_mask)
    sub_ids, sub_mask = tensors(sub_test_x, vocab)
    sub_acc = accuracy(model, sub_ids, sub_mask, torch.tensor([y_index[c] for c in sub_test_y]))
    reference = {
        "classes": classes,
        "max_length": L,
        "special_ids": dict(zip(SPECIALS, range(5))),
        "vocab_size": len(tokens),
        "parameters": sum(p.numel() for n, p in model.named_parameters() if n != "mlm_bias"),
        "test_accuracy": round(test_acc, 4),
        "test_rows": len(test_x),
        "subset_test_accuracy": round(sub_acc, 4),
        "golden": [{"text": s, "input_ids": encode(s, vocab)[0], "attention_mask": encode(s, vocab)[1]}
                   for s in GOLDEN_SENTENCES],
        "subset_ids_sha256": digest.hexdigest(),
        "subset_ids_note": "SHA-256 over the input_ids (int64 little-endian) of every row of fortunes-train.tsv then "
                           "fortunes-test.tsv of the committed subset, in file order",
        "first_test_logits": [[round(float(v), 6) for v in row] for row in logits],
    }
    with open(os.path.join(OUT, "text_reference.json.tmp"), "w", encoding="utf-8") as f:
        json.dump(reference, f, indent=1, ensure_ascii=True)
    os.replace(os.path.join(OUT, "text_reference.json.tmp"), os.path.join(OUT, "text_reference.json"))
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), vocab.txt, text_reference.json")


if __name__ == "__main__":
    main()

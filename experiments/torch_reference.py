#!/usr/bin/python3
"""An independent PyTorch (CPU, float32) reference of three models APG-C trains, for a
speed and test-AUC benchmark on the same data files (apg data export --out DIR):

  base  WDL (backbones/wdl.c): logit = w0 + sum_f wide[x_f] + out(MLP(flatten(e)))
  v3    WDL + APG v3, self-wise: every hidden layer y = ReLU(U(S_i(V x)) + b),
        S_i = G(x) (K x K), G one linear map (reparam/forms_lowrank.c, conditions/self.c)
  v6    WDL + APG v6, self-wise: U = U^l U^r, V = V^l V^r multiplied out every step,
        then v3's forward; the chain factors step with lr / sqrt(P) (forms_overparam.c)

It mirrors APG-C's defaults (lr 0.005, Adam b1 0.9 b2 0.999 eps 1e-8 with lazy updates
of the embedding rows a batch touched, batch 1024 with the last partial batch, per-epoch
reshuffle, validation AUC every epoch, patience 2, the best epoch's model tested).

    /usr/bin/python3 experiments/torch_reference.py --data DIR --model base|v3|v6 \
        [--K 8] [--P 32] [--epochs 1] [--batch 1024] [--lr LR] [--hidden 256,128,64] \
        [--emb-dim 16] [--threads N] [--seed 1] [--remap-ids]

DIR: train.csv, val.csv, test.csv (header: the field names of fields.json in order,
then the label; ids 0..card-1, a multi-valued field's ids joined by '|', an empty cell an
empty list) and fields.json. The last stdout line is one JSON object. --remap-ids numbers
each field's ids as apg train --dataset csv does (every distinct value seen in any of the
three files gets an id, 0 is kept free), so that the parameter count equals APG-C's on
the same files; without it the tables have fields.json's card rows (rows of ids absent
from the files are never touched, so training is the same up to the random draw).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def die(msg):
    print("torch_reference: error: " + msg, file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------

def read_fields(data_dir):
    path = os.path.join(data_dir, "fields.json")
    if not os.path.isfile(path):
        die("missing %s" % path)
    try:
        with open(path) as f:
            meta = json.load(f)
        fields = meta["fields"]
        label = meta.get("label", "label")
        out = []
        for fd in fields:
            if fd.get("numeric", 0):
                die("%s: field %s is numeric; this reference handles categorical fields only"
                    % (path, fd["name"]))
            card = int(fd["card"])
            if card < 1:
                die("%s: field %s has card %d" % (path, fd["name"], card))
            out.append((str(fd["name"]), card, int(fd.get("multi", 0))))
    except (ValueError, KeyError, TypeError) as e:
        die("%s: malformed (%s)" % (path, e))
    if not out:
        die("%s: no fields" % path)
    return out, label


class Split:
    """One CSV file: n rows; for every (row, field) a bag [start, start+len) of the flat id
    array ids (local ids); labels (n,) float32. single: (n, F) int64 local ids when no
    field is multi-valued, else None."""

    def __init__(self, n, labels, single=None, start=None, length=None, ids=None):
        self.n, self.labels, self.single = n, labels, single
        self.start, self.length, self.ids = start, length, ids


def read_csv(path, fields, label):
    if not os.path.isfile(path):
        die("missing %s" % path)
    names = [f[0] for f in fields]
    want = names + [label]
    with open(path, "rb") as fh:
        text = fh.read()
    nl = text.find(b"\n")
    header = (text if nl < 0 else text[:nl]).decode("utf-8", "replace").strip("\r\n ")
    cols = header.split(",")
    if cols != want:
        die("%s: header %r, expected %r (fields.json order, then %s)" % (path, header, ",".join(want), label))
    body = b"" if nl < 0 else text[nl + 1:]
    nf = len(fields)
    multi = any(f[2] for f in fields)
    if not multi:
        if b"\r" in body:
            body = body.replace(b"\r", b"")
        body = body.strip(b"\n")
        n_lines = body.count(b"\n") + 1 if body else 0
        if n_lines == 0:
            die("%s: no rows" % path)
        try:
            flat = np.array(body.replace(b"\n", b",").split(b","), dtype=np.int64)
        except ValueError as e:
            die("%s: a cell is not an integer (%s)" % (path, e))
        if flat.size != n_lines * (nf + 1):
            die("%s: %d cells in %d rows, expected %d per row" % (path, flat.size, n_lines, nf + 1))
        tab = flat.reshape(n_lines, nf + 1)
        single = tab[:, :nf].copy()
        labels = tab[:, nf]
        check_ids(path, fields, [single[:, f] for f in range(nf)])
        check_labels(path, labels)
        return Split(n_lines, labels.astype(np.float32), single=single)
    # general path: lists in the multi-valued fields
    lines = body.decode("utf-8").splitlines()
    if lines and lines[-1] == "":
        lines.pop()
    n = len(lines)
    if n == 0:
        die("%s: no rows" % path)
    length = np.ones((n, nf), dtype=np.int64)
    per_field = [None] * nf
    labels = np.empty(n, dtype=np.float32)
    cells = [ln.split(",") for ln in lines]
    for r, c in enumerate(cells):
        if len(c) != nf + 1:
            die("%s: row %d has %d cells, expected %d" % (path, r + 2, len(c), nf + 1))
    try:
        labels[:] = np.array([c[nf] for c in cells], dtype=np.float32)
        for f in range(nf):
            col = [c[f] for c in cells]
            if fields[f][2]:
                lens = np.array([0 if not s else s.count("|") + 1 for s in col], dtype=np.int64)
                joined = "|".join(s for s in col if s)
                vals = np.array(joined.split("|"), dtype=np.int64) if joined else np.zeros(0, np.int64)
                length[:, f] = lens
                per_field[f] = vals
            else:
                per_field[f] = np.array(col, dtype=np.int64)
    except ValueError as e:
        die("%s: a cell is not an integer (%s)" % (path, e))
    check_ids(path, fields, per_field)
    check_labels(path, labels)
    # flat ids in (row, field) order: bag (r, f) = ids[start[r,f] : start[r,f]+length[r,f]]
    flat_len = length.reshape(-1)
    start = np.zeros(n * nf, dtype=np.int64)
    np.cumsum(flat_len[:-1], out=start[1:])
    start = start.reshape(n, nf)
    ids = np.empty(int(flat_len.sum()), dtype=np.int64)
    for f in range(nf):
        src_off = np.zeros(n, dtype=np.int64)
        np.cumsum(length[:-1, f], out=src_off[1:])
        idx = np.repeat(start[:, f] - src_off, length[:, f]) + np.arange(int(length[:, f].sum()))
        ids[idx] = per_field[f]
    return Split(n, labels, start=start, length=length, ids=ids)


def check_ids(path, fields, cols):
    for (name, card, _), c in zip(fields, cols):
        if c.size and (c.min() < 0 or c.max() >= card):
            die("%s: field %s holds id %d outside 0..%d (fields.json card %d)"
                % (path, name, int(c.min() if c.min() < 0 else c.max()), card - 1, card))


def check_labels(path, labels):
    bad = (labels != 0) & (labels != 1)
    if bad.any():
        die("%s: label %g is not 0 or 1" % (path, float(labels[np.argmax(bad)])))


def split_field_cols(s, f):
    """Local ids of field f over every row of split s (flattened lists)."""
    if s.single is not None:
        return s.single[:, f]
    idx = np.repeat(s.start[:, f], s.length[:, f]) + (
        np.arange(int(s.length[:, f].sum())) -
        np.repeat(np.cumsum(s.length[:, f]) - s.length[:, f], s.length[:, f]))
    return s.ids[idx]


def remap_ids(splits, fields):
    """apg train --dataset csv's id map (core/idmap.h): every distinct value of a field in
    any file gets an id from 1 (0 stays the unused OOV id): card = distinct + 1."""
    out, maps = [], []
    for f, (name, card, multi) in enumerate(fields):
        seen = np.zeros(card, dtype=bool)
        for s in splits:
            seen[split_field_cols(s, f)] = True
        m = np.zeros(card, dtype=np.int64)
        m[seen] = np.arange(1, int(seen.sum()) + 1)
        maps.append(m)
        out.append((name, int(seen.sum()) + 1, multi))
    for s in splits:
        if s.single is not None:
            for f in range(len(fields)):
                s.single[:, f] = maps[f][s.single[:, f]]
        else:
            fid = np.repeat(np.tile(np.arange(len(fields)), s.n), s.length.reshape(-1))
            new = s.ids.copy()
            for f in range(len(fields)):
                sel = fid == f
                new[sel] = maps[f][s.ids[sel]]
            s.ids = new
    return out


class Batches:
    """Global-id minibatches of a split as torch tensors (data_field_bases: the global id
    is the local id plus the sum of the cards of the earlier fields)."""

    def __init__(self, s, base):
        self.s = s
        self.nf = len(base)
        if s.single is not None:
            self.ids = torch.from_numpy(s.single + np.asarray(base, dtype=np.int64)[None, :])
        else:
            fid = np.repeat(np.tile(np.arange(self.nf), s.n), s.length.reshape(-1))
            self.flat = torch.from_numpy(s.ids + np.asarray(base, dtype=np.int64)[fid])
            self.start = torch.from_numpy(s.start)
            self.length = torch.from_numpy(s.length)
            self.ids = None
        self.labels = torch.from_numpy(s.labels)

    def get(self, rows):
        """rows: int64 tensor of row numbers -> (ids, offsets or None, labels)."""
        if self.ids is not None:
            return self.ids[rows], None, self.labels[rows]
        st = self.start[rows].reshape(-1)
        ln = self.length[rows].reshape(-1)
        off = torch.zeros_like(ln)
        if ln.numel() > 1:
            torch.cumsum(ln[:-1], 0, out=off[1:])
        total = int(ln.sum())
        idx = torch.repeat_interleave(st - off, ln) + torch.arange(total)
        return self.flat[idx], off, self.labels[rows]


# ---------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------

def glorot_uniform(out, inp, scale, gen):
    """INIT_XAVIER (core/params.c): U(-lim, lim), lim = scale sqrt(6 / (fan_in + fan_out))."""
    lim = scale * math.sqrt(6.0 / (inp + out))
    return (torch.rand(out, inp, generator=gen) * 2 - 1) * lim


def normal(shape, std, gen):
    return torch.randn(*shape, generator=gen) * std


class WDL(torch.nn.Module):
    def __init__(self, n_ids, n_fields, emb_dim, hidden, apg, K, P, gen, emb_init=0.01, gen_scale=0.1):
        super().__init__()
        self.nf, self.E, self.apg, self.K = n_fields, emb_dim, apg, K
        P_ = torch.nn.Parameter
        # model.c / layers.c embed_table: N(0, emb_init^2); wdl.wide: std 0 (zeros)
        self.emb = P_(normal((n_ids, emb_dim), emb_init, gen))
        self.wide = P_(torch.zeros(n_ids, 1))
        self.bias = P_(torch.zeros(1))
        self.layers = torch.nn.ModuleList()
        self.chain = []        # v6 chain factors (lr * 1/sqrt(P))
        m = n_fields * emb_dim
        for n in hidden:
            L = torch.nn.Module()
            if apg == "none":
                L.w = P_(glorot_uniform(n, m, 1.0, gen))
            else:
                uvar = 2.0 / (n + m) * m / K          # forms_lowrank.c u_var
                if apg == "v3":
                    L.U = P_(normal((n, K), math.sqrt(uvar), gen))
                    L.V = P_(normal((K, m), math.sqrt(1.0 / m), gen))
                else:                                  # v6: forms_overparam.c chain_init, J = 2
                    L.Ul = P_(normal((n, P), math.sqrt(uvar), gen))
                    L.Ur = P_(normal((P, K), math.sqrt(1.0 / P), gen))
                    L.Vl = P_(normal((K, P), math.sqrt(1.0 / P), gen))
                    L.Vr = P_(normal((P, m), math.sqrt(1.0 / m), gen))
                    self.chain += [L.Ul, L.Ur, L.Vl, L.Vr]
                # generator.c, gen-layers 1, scaled: W = gen_scale * Glorot, b = I (K x K)
                L.Gw = P_(glorot_uniform(K * K, m, gen_scale, gen))
                L.Gb = P_(torch.eye(K).reshape(-1).clone())
            L.b = P_(torch.zeros(n))
            self.layers.append(L)
            m = n
        self.out_w = P_(glorot_uniform(1, m, 1.0, gen))
        self.out_b = P_(torch.zeros(1))

    def sparse_params(self):
        return [self.emb, self.wide]

    def lookup(self, table, ids, offs):
        if offs is None:
            return F.embedding(ids, table, sparse=True)                       # (B, F, d)
        e = F.embedding_bag(ids, table, offs, mode="mean", sparse=True)       # (B*F, d), empty bag 0
        return e.reshape(-1, self.nf, table.shape[1])

    def forward(self, ids, offs):
        e = self.lookup(self.emb, ids, offs)
        B = e.shape[0]
        wide = self.lookup(self.wide, ids, offs).reshape(B, self.nf).sum(1, keepdim=True) + self.bias
        h = e.reshape(B, self.nf * self.E)
        K = self.K
        for L in self.layers:
            if self.apg == "none":
                h = torch.relu(F.linear(h, L.w, L.b))
                continue
            if self.apg == "v3":
                U, V = L.U, L.V
            else:
                U, V = L.Ul @ L.Ur, L.Vl @ L.Vr          # chain_product, once per forward
            s = F.linear(h, L.Gw, L.Gb)                   # self-wise: z = x, not detached
            t = F.linear(h, V)                            # (B, K)
            t = torch.bmm(s.view(B, K, K), t.unsqueeze(2)).squeeze(2)   # t_rowmv: S_i t_i
            h = torch.relu(F.linear(t, U, L.b))
        return F.linear(h, self.out_w, self.out_b) + wide


# ---------------------------------------------------------------------------------------
# Optimiser: core/optim.c Adam
# ---------------------------------------------------------------------------------------

class Adam:
    """p -= lr_t m / (sqrt(v) + eps_t), lr_t = lr sqrt(1-b2^t)/(1-b1^t), eps_t = eps sqrt(1-b2^t),
    one global step count t; lr times each group's scale (lr_scale); row-sparse tables
    update only the rows the batch touched (their m, v untouched otherwise)."""

    def __init__(self, dense_groups, sparse, lr, b1=0.9, b2=0.999, eps=1e-8):
        # dense: torch.optim.Adam is the same update (its denom sqrt(v)/sqrt(bc2) + eps)
        self.dense = torch.optim.Adam([{"params": p, "lr": lr * s} for p, s in dense_groups],
                                      lr=lr, betas=(b1, b2), eps=eps, weight_decay=0.0)
        self.sparse = [(p, torch.zeros_like(p), torch.zeros_like(p)) for p in sparse]
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0

    def zero_grad(self):
        self.dense.zero_grad(set_to_none=True)
        for p, _, _ in self.sparse:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        self.dense.step()
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        lr_t, eps_t = self.lr * math.sqrt(bc2) / bc1, self.eps * math.sqrt(bc2)
        for p, m, v in self.sparse:
            if p.grad is None:
                continue
            g = p.grad.coalesce()
            idx, gv = g.indices()[0], g.values()
            mr = m.index_select(0, idx).mul_(self.b1).add_(gv, alpha=1 - self.b1)
            vr = v.index_select(0, idx).mul_(self.b2).addcmul_(gv, gv, value=1 - self.b2)
            m.index_copy_(0, idx, mr)
            v.index_copy_(0, idx, vr)
            p.index_add_(0, idx, mr.div_(vr.sqrt_().add_(eps_t)), alpha=-lr_t)


# ---------------------------------------------------------------------------------------
# Metrics: core/metrics.c
# ---------------------------------------------------------------------------------------

def auc(scores, labels):
    """Mann-Whitney AUC, a tie counting one half (metrics_u_sorted)."""
    s = np.asarray(scores, dtype=np.float32)
    y = np.asarray(labels) > 0.5
    uniq, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
    before = np.cumsum(cnt) - cnt
    rank = before + (cnt + 1) / 2.0             # mean 1-based rank of each tie run
    npos = float(y.sum())
    nneg = float(y.size - npos)
    if npos == 0 or nneg == 0:
        return float("nan")
    u = rank[inv][y].sum() - npos * (npos + 1) / 2.0
    return float(u / (npos * nneg))


def logloss(p, labels):
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    y = np.asarray(labels) > 0.5
    return float(-np.where(y, np.log(q), np.log(1 - q)).mean())


@torch.no_grad()
def predict(model, data, batch):
    out = torch.empty(data.s.n)
    for i in range(0, data.s.n, batch):
        rows = torch.arange(i, min(i + batch, data.s.n))
        ids, offs, _ = data.get(rows)
        out[i:i + rows.numel()] = torch.sigmoid(model(ids, offs)[:, 0])
    return out.numpy()


# ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True, choices=["base", "v3", "v6"])
    ap.add_argument("--K", type=int, default=8)
    ap.add_argument("--P", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=0.005)      # train.c train_cfg_default
    ap.add_argument("--hidden", default="256,128,64")
    ap.add_argument("--emb-dim", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--patience", type=int, default=2)
    ap.add_argument("--remap-ids", action="store_true")
    a = ap.parse_args()
    try:
        hidden = [int(v) for v in a.hidden.split(",")]
    except ValueError:
        die("--hidden %r: expected widths like 256,128,64" % a.hidden)
    if not hidden or min(hidden) < 1 or a.K < 1 or a.P < 1 or a.epochs < 1 or a.batch < 1 \
            or a.emb_dim < 1 or a.threads < 1 or not a.lr > 0:
        die("bad option value (hidden widths, K, P, epochs, batch, emb-dim, threads >= 1; lr > 0)")
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)

    t0 = time.perf_counter()
    fields, label = read_fields(a.data)
    tr, va, te = (read_csv(os.path.join(a.data, n + ".csv"), fields, label) for n in ("train", "val", "test"))
    if a.remap_ids:
        fields = remap_ids([tr, va, te], fields)
    base = np.cumsum([0] + [c for _, c, _ in fields])[:-1]
    n_ids = int(sum(c for _, c, _ in fields))
    dtr, dva, dte = Batches(tr, base), Batches(va, base), Batches(te, base)
    for nm, s in (("validation", va), ("test", te)):
        p = float(s.labels.sum())
        if p == 0 or p == s.n:
            die("the %s split has one class: AUC is undefined" % nm)
    load_s = time.perf_counter() - t0

    gen = torch.Generator().manual_seed(a.seed)
    apg = {"base": "none", "v3": "v3", "v6": "v6"}[a.model]
    model = WDL(n_ids, len(fields), a.emb_dim, hidden, apg, a.K, a.P, gen)
    n_params = sum(p.numel() for p in model.parameters())
    chain = {id(p) for p in model.chain}
    sparse = {id(p) for p in model.sparse_params()}
    chain_lr = 1.0 / math.sqrt(a.P)          # --chain-lr 0 under --apg-init scaled
    dense_groups = [(p, chain_lr if id(p) in chain else 1.0)
                    for p in model.parameters() if id(p) not in sparse]
    opt = Adam(dense_groups, model.sparse_params(), a.lr)
    print("loaded %s: %d/%d/%d rows, %d fields, %d ids, %.2f s; %s model, %d parameters, torch %s, %d thread%s"
          % (a.data, tr.n, va.n, te.n, len(fields), n_ids, load_s, a.model, n_params, torch.__version__,
             a.threads, "" if a.threads == 1 else "s"), flush=True)

    shuf = torch.Generator().manual_seed(a.seed + 1)
    best_val, best_ep, since, best_state, train_time, ep_run = -1.0, 0, 0, None, 0.0, 0
    for ep in range(1, a.epochs + 1):
        order = torch.randperm(tr.n, generator=shuf)
        t1 = time.perf_counter()
        loss_sum = 0.0
        model.train()
        for i in range(0, tr.n, a.batch):
            ids, offs, y = dtr.get(order[i:i + a.batch])
            logit = model(ids, offs)[:, 0]
            loss = F.binary_cross_entropy_with_logits(logit, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * y.numel()
        ep_time = time.perf_counter() - t1
        train_time += ep_time
        ep_run = ep
        val_auc = auc(predict(model, dva, a.batch), va.labels)
        print("epoch %d: train loss %.5f  val auc %.5f  (%.2f s, %.0f samples/s)"
              % (ep, loss_sum / tr.n, val_auc, ep_time, tr.n / ep_time), flush=True)
        if val_auc > best_val:
            best_val, best_ep, since = val_auc, ep, 0
            if ep < a.epochs:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            since += 1
            if since >= a.patience:
                print("early stop: no val improvement for %d epochs" % since)
                break
    if best_ep != ep_run and best_state is not None:
        model.load_state_dict(best_state)

    t2 = time.perf_counter()
    p = predict(model, dte, a.batch)
    infer_time = time.perf_counter() - t2
    test_auc, test_ll = auc(p, te.labels), logloss(p, te.labels)
    print("test auc %.5f  logloss %.5f  (best epoch %d of %d)" % (test_auc, test_ll, best_ep, ep_run))
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "model": a.model, "threads": a.threads,
        "train_rows": tr.n, "epochs": ep_run, "sec_per_epoch": round(train_time / ep_run, 4),
        "train_samples_per_s": round(tr.n * ep_run / train_time, 1),
        "infer_samples_per_s": round(te.n / infer_time, 1) if infer_time > 0 else None,
        "val_auc": round(best_val, 6), "test_auc": round(test_auc, 6),
        "test_logloss": round(test_ll, 6), "params": n_params, "load_s": round(load_s, 3)}))


if __name__ == "__main__":
    main()

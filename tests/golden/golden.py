"""Shared helpers of the backbone golden generators (tests/golden/<name>.py).

A generator builds one tiny batch and the model in PyTorch (float64, parameters drawn
as float32 values so that C starts from exactly the same numbers), runs forward, the
mean BCE-with-logits loss and backward, and writes tests/golden/<name>.golden, the
text format read by tests/golden.c (see tests/golden.h). Parameter names must be the
C param_store names ("emb", "wdl.deep.0.w", ...); the C check fails on any parameter
missing on either side. Run from anywhere with Debian's python3-torch:

    /usr/bin/python3 tests/golden/wdl.py
"""
import os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


class Golden:
    """fields: [(name, card)], every id in [0, card); batch: rows; config: the model
    options as apg train spells them without "--" (emb-dim, hidden, <backbone>-...)."""

    def __init__(self, backbone, fields, batch, config, seed=1):
        self.backbone, self.fields, self.batch = backbone, list(fields), batch
        self.config = dict(config)
        self.gen = torch.Generator().manual_seed(seed)
        self.params = {}            # name -> leaf tensor, in declaration order
        self.min_relu = float("inf")
        cards = [c for _, c in self.fields]
        self.ids = torch.stack([torch.randint(0, c, (batch,), generator=self.gen) for c in cards], 1)
        base = torch.tensor([sum(cards[:f]) for f in range(len(cards))])
        self.gid = self.ids + base  # (B, F) global ids, as data_field_bases makes them
        self.n_ids = sum(cards)
        self.labels = torch.tensor([float(i % 2) for i in range(batch)])
        self.labels = self.labels[torch.randperm(batch, generator=self.gen)]
        self.emb_dim = int(self.config["emb-dim"])

    # -- parameters (float32 values, float64 arithmetic) --------------------------------
    def param(self, name, shape, std):
        assert name not in self.params, name
        v = (torch.randn(shape, generator=self.gen) * std).float().double().requires_grad_()
        self.params[name] = v
        return v

    def table(self, name, dim, std=0.5):
        """An embedding table (n_ids, dim) over the global id space."""
        return self.param(name, (self.n_ids, dim), std)

    def lookup(self, table):
        """(B, F, dim) rows of table for the batch's ids."""
        return table[self.gid]

    def emb(self):
        """The shared embeddings (B, F, E): the model's "emb" table."""
        return self.lookup(self.table("emb", self.emb_dim))

    # -- layers, as backbones/layers.c builds them --------------------------------------
    def dense(self, name, x, n_in, n_out, act=None):
        """y = act(x W^T + b), W (n_out, n_in) "<name>.w", b (n_out) "<name>.b"."""
        w = self.param(name + ".w", (n_out, n_in), (2.0 / (n_in + n_out)) ** 0.5)
        b = self.param(name + ".b", (n_out,), 0.1)
        y = F.linear(x, w, b)
        if act == "relu":
            self.min_relu = min(self.min_relu, y.detach().abs().min().item())
            y = torch.relu(y)
        return y

    def mlp(self, name, x, n_in):
        """The ReLU tower "<name>.<i>" over config hidden."""
        for i, h in enumerate(int(v) for v in self.config["hidden"].split(",")):
            x = self.dense("%s.%d" % (name, i), x, n_in, h, "relu")
            n_in = h
        return x

    # -- output ---------------------------------------------------------------------------
    def write(self, logits, path=None):
        """Loss, backward and the .golden file (default: tests/golden/<backbone>.golden)."""
        assert logits.shape == (self.batch, 1), logits.shape
        # A ReLU input this close to 0 could flip sign in float32: pick another seed.
        assert self.min_relu > 1e-4, "a ReLU pre-activation is %g: change the seed" % self.min_relu
        loss = F.binary_cross_entropy_with_logits(logits[:, 0], self.labels)
        loss.backward()
        if path is None:
            path = os.path.join(os.path.dirname(os.path.abspath(__file__)), self.backbone + ".golden")
        out = ["golden 1",
               "# made by tests/golden/%s.py (PyTorch %s, float64); do not edit" % (self.backbone, torch.__version__),
               "config backbone %s" % self.backbone]
        out += ["config %s %s" % kv for kv in self.config.items()]
        out += ["field %s %d" % f for f in self.fields]

        def tensor(name, t, fmt):
            t = t.detach()
            out.append("tensor %s %d %s" % (name, t.dim(), " ".join(str(d) for d in t.shape)))
            flat = [fmt % v for v in t.reshape(-1).tolist()]
            out.extend(" ".join(flat[i:i + 8]) for i in range(0, len(flat), 8))

        tensor("ids", self.ids, "%d")
        tensor("labels", self.labels, "%g")
        for name, p in self.params.items():
            tensor(name, p, "%.9g")
        tensor("logits", logits, "%.9g")
        tensor("loss", loss.reshape(1), "%.9g")
        for name, p in self.params.items():
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            tensor("grad:" + name, g, "%.9g")
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")
        print("%s: %d parameters, loss %.6f, %d bytes" % (path, len(self.params), loss.item(),
                                                          os.path.getsize(path)))

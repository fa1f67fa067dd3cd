"""Golden values of WDL (backbones/wdl.c): logit = w0 + sum_f wide[x_f] + out(MLP(flatten(e)))."""
import torch
from golden import Golden

g = Golden("wdl", [("user", 5), ("item", 4), ("cat", 3)], batch=4,
           config={"emb-dim": 3, "hidden": "5,3"}, seed=1)
e = g.emb()                                                   # (B, F, E)
wide_t = g.table("wdl.wide", 1)                               # (V, 1)
bias = g.param("wdl.bias", (1,), 0.1)
wide = g.lookup(wide_t).sum(1) + bias                         # (B, 1)
h = g.mlp("wdl.deep", e.reshape(g.batch, -1), len(g.fields) * g.emb_dim)
g.write(g.dense("wdl.out", h, 3, 1) + wide)

"""Golden values of DCN (backbones/dcn.c): x0 = flatten(e) (B, D);
x_{l+1} = x0 * (x_l . w_l) + b_l + x_l for l < dcn-layers; logit = out([x_L, MLP(x0)])."""
import torch
from golden import Golden

L = 2
g = Golden("dcn", [("user", 5), ("item", 4), ("cat", 3)], batch=4,
           config={"emb-dim": 2, "hidden": "4,3", "dcn-layers": L}, seed=3)
D = len(g.fields) * g.emb_dim
x0 = g.emb().reshape(g.batch, D)
x = x0
for l in range(L):
    w = g.param("dcn.cross.%d.w" % l, (1, D), 0.5)
    b = g.param("dcn.cross.%d.b" % l, (D,), 0.1)
    x = x0 * (x @ w.t()) + b + x
h = g.mlp("dcn.deep", x0, D)
g.write(g.dense("dcn.out", torch.cat([x, h], 1), D + 3, 1))

"""Golden values of DeepFM (backbones/deepfm.c):
logit = w0 + sum_f w[x_f] + 1/2 sum_k((sum_f e_fk)^2 - sum_f e_fk^2) + out(MLP(flatten(e))).
The FM term is written here as the explicit sum over field pairs, not the C identity."""
from golden import Golden

g = Golden("deepfm", [("user", 5), ("item", 4), ("cat", 3), ("age", 2)], batch=4,
           config={"emb-dim": 3, "hidden": "5,3"}, seed=2)
e = g.emb()                                                   # (B, F, E)
first_t = g.table("deepfm.first", 1)
bias = g.param("deepfm.bias", (1,), 0.1)
first = g.lookup(first_t).sum(1) + bias                       # (B, 1)
F = len(g.fields)
fm = sum((e[:, i] * e[:, j]).sum(1, keepdim=True) for i in range(F) for j in range(i + 1, F))
h = g.mlp("deepfm.deep", e.reshape(g.batch, -1), F * g.emb_dim)
g.write(first + fm + g.dense("deepfm.out", h, 3, 1))

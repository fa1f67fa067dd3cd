"""Golden values of AutoInt (backbones/autoint.c), written from the paper (Song et al.
2019, eq. 5-8) with every head as an einsum over a (B, F, H, d) view:
  alpha^h_{m,k} = softmax_k <W_Q^h e_m, W_K^h e_k>,  e~^h_m = sum_k alpha^h_{m,k} W_V^h e_k,
  e^Res_m = ReLU([e~^1_m | .. | e~^H_m] + W_Res e_m),  stacked twice here;
  logit = out([flatten(e^Res) | MLP(flatten(e))])."""
import torch
from golden import Golden

H, L = 2, 2
g = Golden("autoint", [("user", 3), ("item", 4), ("cat", 5)], batch=5,
           config={"emb-dim": 4, "hidden": "6,5", "autoint-layers": L, "autoint-heads": H}, seed=3)
e = g.emb()                                                  # (B, F, E)
B, F, E = e.shape
d = E // H
x = e
for l in range(L):
    w = {k: g.param("autoint.att.%d.%s" % (l, k), (H * d, x.shape[2]), 0.5) for k in ("wq", "wk", "wv", "wres")}
    q, k, v = [(x @ w[n].t()).reshape(B, F, H, d) for n in ("wq", "wk", "wv")]
    alpha = torch.softmax(torch.einsum("bmhd,bkhd->bhmk", q, k), dim=-1)      # (B, H, F, F)
    heads = torch.einsum("bhmk,bkhd->bmhd", alpha, v).reshape(B, F, H * d)
    pre = heads + x @ w["wres"].t()
    g.min_relu = min(g.min_relu, pre.detach().abs().min().item())
    x = torch.relu(pre)
deep = g.mlp("autoint.deep", e.reshape(B, F * E), F * E)
z = torch.cat([x.reshape(B, F * H * d), deep], 1)
g.write(g.dense("autoint.out", z, F * H * d + 5, 1))

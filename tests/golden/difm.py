"""Golden values of DIFM (backbones/difm.c), written from the paper (Lu et al., IJCAI
2020) with DeepCTR-Torch's choices (scaled dot-product heads, residual, no bias in P):
  vector-wise: O = ReLU(MHSA(e) + W_res e), m_vec = P_vec flatten(O)
  bit-wise:    m_bit = P_bit MLP(flatten(e))
  m = m_vec + m_bit;  logit = w0 + sum_f m_f w[x_f] + sum_{i<j} m_i m_j <e_i, e_j>
The FM term is the explicit sum over field pairs, not the C square-of-sum identity."""
import torch
from golden import Golden

H = 2
g = Golden("difm", [("user", 3), ("item", 4), ("cat", 5)], batch=5,
           config={"emb-dim": 4, "hidden": "6,5", "difm-heads": H}, seed=4)
e = g.emb()                                                  # (B, F, E)
B, F, E = e.shape
d = E // H
w = {k: g.param("difm.att." + k, (H * d, E), 0.5) for k in ("wq", "wk", "wv", "wres")}
q, k, v = [(e @ w[n].t()).reshape(B, F, H, d) for n in ("wq", "wk", "wv")]
alpha = torch.softmax(torch.einsum("bmhd,bkhd->bhmk", q, k) / d ** 0.5, dim=-1)   # (B, H, F, F)
pre = torch.einsum("bhmk,bkhd->bmhd", alpha, v).reshape(B, F, H * d) + e @ w["wres"].t()
g.min_relu = min(g.min_relu, pre.detach().abs().min().item())
p_vec = g.param("difm.p_vec", (F, F * H * d), 0.3)
m_vec = torch.relu(pre).reshape(B, F * H * d) @ p_vec.t()                         # (B, F)
p_bit = g.param("difm.p_bit", (F, 5), 0.3)
m_bit = g.mlp("difm.deep", e.reshape(B, F * E), F * E) @ p_bit.t()                # (B, F)
m = m_vec + m_bit
lin = g.lookup(g.table("difm.linear", 1))[:, :, 0]                                # (B, F)
bias = g.param("difm.bias", (1,), 0.1)
first = (m * lin).sum(1, keepdim=True) + bias
fm = sum(m[:, i:i + 1] * m[:, j:j + 1] * (e[:, i] * e[:, j]).sum(1, keepdim=True)
         for i in range(F) for j in range(i + 1, F))
g.write(first + fm)

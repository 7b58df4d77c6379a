#!/usr/bin/python3
"""The PyTorch reference for bench/compare.py: a GPT-2 in float32 (nanoGPT's structure, the
same shape as memscope's), forward with loss and an AdamW training step, timed the same way.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch_gpt.py SHAPE B T [REPS]
prints "key value" lines like build/bench/bench-model.
"""
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.NH = NH
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = [t.view(B, T, self.NH, C // self.NH).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, L, NH, C, V, maxT):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(maxT, C)
        self.h = nn.ModuleList(Block(C, NH) for _ in range(L))
        self.ln_f = nn.LayerNorm(C)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1)))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        t.append(time.perf_counter() - start)
    return statistics.median(t), min(t), max(t)


def main():
    shape = dict(kv.split("=") for kv in sys.argv[1].split(","))
    B, T = int(sys.argv[2]), int(sys.argv[3])
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    torch.manual_seed(1)
    model = GPT(int(shape["L"]), int(shape["NH"]), int(shape["C"]), int(shape["V"]),
                int(shape.get("maxT", 1024)))
    idx = (torch.arange(B * T + 1) * 7919) % int(shape["V"])
    x, y = idx[:-1].view(B, T), idx[1:].view(B, T)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)

    def forward():
        with torch.no_grad():
            model(x, y)

    def step():
        opt.zero_grad(set_to_none=True)
        model(x, y).backward()
        opt.step()

    print("torch", torch.__version__, "threads", torch.get_num_threads())
    print("forward_seconds %.6f %.6f %.6f" % timed(forward, 1, reps))
    print("train_step_seconds %.6f %.6f %.6f" % timed(step, 1, reps))


if __name__ == "__main__":
    main()

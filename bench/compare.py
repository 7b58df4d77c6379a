#!/usr/bin/env python3
"""memscope against PyTorch CPU on the same GPT-2 shapes, measured in one run:

    python3 bench/compare.py [--build build] [--reps 5]

For each shape it runs build/bench/bench-model and bench/torch_gpt.py (Debian's python3-torch,
OMP_NUM_THREADS=2) one after the other and prints tokens/s of both and their ratio, plus
memscope's generation speed with and without the KV cache and its model FLOP utilisation.
Timings on shared 2-core machines swing; the ratio of one run is what to compare.
"""
import argparse
import os
import subprocess
import sys

SHAPES = [
    # name, shape, forward/train batch
    ("GPT-2 124M", "L=12,NH=12,C=768,V=50257,maxT=1024", 4, 64),
    ("default small", "L=4,NH=4,C=256,V=8192,maxT=256", 8, 128),
]


def run(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    vals = {}
    for line in out.splitlines():
        key, _, rest = line.partition(" ")
        vals[key] = rest
    return vals


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", default="5")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    for name, shape, B, T in SHAPES:
        ms = run([os.path.join(args.build, "bench", "bench-model"), shape, str(B), str(T), args.reps], env)
        pt = run(["/usr/bin/python3", os.path.join(here, "torch_gpt.py"), shape, str(B), str(T), args.reps], env)
        tokens = B * T
        print(f"== {name} ({shape}), B={B} T={T}")
        print(f"   device: {ms['device']}; GEMM: {ms['gemm_backend']}; "
              f"OPENBLAS_CORETYPE={ms['openblas_coretype']}; {pt.get('torch', '?')}")
        for key, label in [("forward_seconds", "forward"), ("train_step_seconds", "train step")]:
            m = [float(v) for v in ms[key].split()]
            p = [float(v) for v in pt[key].split()]
            print(f"   {label:<11} memscope {tokens / m[0]:8.0f} tok/s ({m[0]:.3f} s, min {m[1]:.3f} max {m[2]:.3f})"
                  f" | PyTorch {tokens / p[0]:8.0f} tok/s ({p[0]:.3f} s, min {p[1]:.3f} max {p[2]:.3f})"
                  f" | ratio {p[0] / m[0]:.2f}x")
        print(f"   generation  {ms['generate_tokens_per_second']} tok/s with KV cache, "
              f"{ms['generate_no_cache_tokens_per_second']} without "
              f"({float(ms['generate_tokens_per_second']) / float(ms['generate_no_cache_tokens_per_second']):.1f}x)")
        print(f"   attention statistics while generating (as probes do): "
              f"{ms['generate_attention_stats_tokens_per_second']} tok/s, "
              f"{float(ms['generate_attention_stats_tokens_per_second']) / float(ms['generate_tokens_per_second']):.2f}x "
              f"the plain speed")
        print(f"   MFU: train {float(ms['train_mfu']):.0%}, forward {float(ms['forward_mfu']):.0%} "
              f"of the measured peak GEMM rate {ms['peak_gemm_gflops']} GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""MPI on 1 and 2 ranks (issue 14), one PoCL thread per rank:
- the quick study: wall time as one process and under mpirun -np 2 (rank 0 coordinates and
  works, rank 1 works), their ratio, and the bytes each finished run sends to the coordinator;
- data-parallel fine-tuning: wall time of the same run (same global batch) on each and their
  ratio, a step's time split into compute and gradient all-reduce, and the bytes each rank
  hands to MPI_Allreduce per step.

    python3 bench/bench-mpi.py [--build build] [--reps 5] [--steps 8] [--study-reps 3]
                               [--skip-study] [--skip-finetune]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--steps", type=int, default=8)
ap.add_argument("--study-reps", type=int, default=3)
ap.add_argument("--skip-study", action="store_true")
ap.add_argument("--skip-finetune", action="store_true")
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = os.path.join(root, a.build, "cli", "memscope")
env = dict(os.environ, POCL_MAX_PTHREAD_COUNT="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
           OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
args = ["finetune", "--base", os.path.join(root, "data/base/model.bin"),
        "--task", "dialogue=" + os.path.join(root, "data/tasks/dialogue.train.jsonl"),
        "--max-train", "256", "-B", "4", "-T", "128", "--grad-accum", "4",
        "--steps", str(a.steps), "--max-heldout", "8"]

def run(ranks, out):
    cmd = ([exe] if ranks == 1 else ["mpirun", "-np", str(ranks), "--oversubscribe", exe]) + args
    t0 = time.monotonic()
    subprocess.run(cmd + ["--out-dir", out], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    steps = [json.loads(l) for l in open(os.path.join(out, "log.jsonl")) if '"loss"' in l]
    return wall, steps

def mmm(xs):
    return "%.3f [%.3f .. %.3f]" % (statistics.median(xs), min(xs), max(xs))

def study(ranks, folder):
    os.makedirs(folder)
    cmd = [exe, "study", os.path.join(root, "data/studies/quick.ini"), "--store",
           os.path.join(folder, "s.sqlite"), "--no-report"]
    if ranks > 1:
        cmd = ["mpirun", "-np", str(ranks), "--oversubscribe"] + cmd
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    sent = [float(l.split(", ")[-1].split(" MB")[0]) for l in p.stderr.splitlines()
            if "MB of results" in l]
    return time.monotonic() - t0, sent

tmp = tempfile.mkdtemp(prefix="bench-mpi-")
try:
    if not a.skip_study:
        sw = {1: [], 2: []}
        sent = []
        for r in range(a.study_reps):   # interleaved
            for ranks in (1, 2):
                w, mb = study(ranks, os.path.join(tmp, "study-%d-%d" % (ranks, r)))
                sw[ranks].append(w)
                sent += mb
        print("memscope study quick (4 runs), %d reps, POCL_MAX_PTHREAD_COUNT=1 per rank, "
              "OPENBLAS_CORETYPE=%s" % (a.study_reps, os.environ.get("OPENBLAS_CORETYPE", "unset")))
        print("1 process: wall %s s; mpirun -np 2: wall %s s" % (mmm(sw[1]), mmm(sw[2])))
        print("wall ratio 1 / 2 ranks: %s (>1: two ranks faster)"
              % mmm([x / y for x, y in zip(sw[1], sw[2])]))
        if sent:
            print("sent to the coordinator per run: %s MB (the run's store in memory, serialized: "
                  "the study's samples plus the run's generations, scores and analyses); per "
                  "hand-out 40 bytes" % mmm(sent))
    if a.skip_finetune:
        sys.exit(0)
    res = {1: [], 2: []}
    for r in range(a.reps):      # interleaved, so drift hits both alike
        for ranks in (1, 2):
            res[ranks].append(run(ranks, os.path.join(tmp, "r%d-%d" % (ranks, r))))
    print("memscope finetune, dialogue, B=4 T=128 grad-accum=4 (global 16 rows), %d steps, "
          "%d reps, POCL_MAX_PTHREAD_COUNT=1 per rank, OPENBLAS_CORETYPE=%s"
          % (a.steps, a.reps, os.environ.get("OPENBLAS_CORETYPE", "unset")))
    walls = {k: [w for w, _ in v] for k, v in res.items()}
    for ranks in (1, 2):
        later = [s["seconds"] for _, st in res[ranks] for s in st[1:]]  # step 1 warms caches
        ar = [s.get("allreduce_seconds", 0.0) for _, st in res[ranks] for s in st[1:]]
        comp = [x - y for x, y in zip(later, ar)]
        print("%d rank%s: wall %s s; step %s s = compute %s + all-reduce %s"
              % (ranks, "s" if ranks > 1 else "", mmm(walls[ranks]), mmm(later), mmm(comp), mmm(ar)))
    ratios = [w1 / w2 for w1, w2 in zip(walls[1], walls[2])]
    print("wall ratio 1 rank / 2 ranks: %s (>1: two ranks faster)" % mmm(ratios))
    l1 = [s["loss"] for s in res[1][0][1]]
    l2 = [s["loss"] for s in res[2][0][1]]
    print("loss traces: worst relative difference %.2g" %
          max(abs(x - y) / abs(x) for x, y in zip(l1, l2)))
    b = res[2][0][1][-1]["allreduce_bytes"]
    print("all-reduce payload per rank per step: %d bytes (%.2f MiB: 4 bytes a parameter + the "
          "loss sums); a ring all-reduce moves about 2(R-1)/R of it per rank on the wire"
          % (b, b / 2**20))
finally:
    shutil.rmtree(tmp)

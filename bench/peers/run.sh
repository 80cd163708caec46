#!/usr/bin/env bash
# Peer comparison: the same cases through PyTorch/PEFT/transformers and through djl-adapters on this machine,
# in interleaved rounds (interleave.py: both sides start once per case and thread count, warm up, then run
# round by round in alternating order, each round timed inside its own process), plus each training step's
# memory in fresh processes under the same allocator settings. Threads are fixed alike on both sides
# (OMP_NUM_THREADS/MKL_NUM_THREADS, and torch.set_num_threads or DJL's ai.djl.pytorch.num_threads; one
# inter-op thread). Prints one table and writes it into docs/benchmarks.md, or $PAGE (between the
# "peer-table" markers).
#
#   bash bench/peers/run.sh [threads...]        # default: 1 2
#   ROUNDS=10 WARMUP=2 CASES="forward lora-step" bash bench/peers/run.sh 1
#   DEVICE=gpu PAGE=docs/gpu.md bash bench/peers/run.sh 1     # CUDA on both sides (docs/gpu.md)
#
# ROUNDS: measured rounds per side (pairs), WARMUP: unmeasured runs before them (default 8: our JVM's C2
# compiler is still busy through about the seventh training step, see docs/benchmarks.md), WARMUP_FOR: more
# warm-up runs for some cases, as case=N (default forward=60: a forward calls each Java method a few dozen
# times, and after 8 forwards the C2 compiler still takes CPU from the measured rounds), CASES: among matmul (the
# thread check), forward, lora-step, full-step, generate-b1, generate-b8, each as case or case=N for N runs back to
# back in each round, timed as their mean (default: forward=4, one run for the others). MEM_RUNS: fresh processes per side
# for each step's memory (default 3; 0 skips it; default 0 with DEVICE=gpu, where host RSS says little),
# MEM_STEPS: steps in each (3), MALLOC_ENV: the allocator settings of those processes (default
# "MALLOC_MMAP_THRESHOLD_=65536 MALLOC_ARENA_MAX=2"), MEM_JAVA_OPTS: our JVM's heap in them.
# On a host without Maven or network (docs/gpu.md): CP (a ready class path: skips the build), JAVA (the
# java launcher), JAVA_OPTS (for example -Dbench.weights=random when the model jar is not on CP),
# OFFLINE_OVERRIDE (true/false for ai.djl.offline), RESULTS_DIR (where results.jsonl and the processes'
# logs go).
#
# Needs the Python reference environment (bash ../shared/tools/python-reference/setup.sh, or any
# Python with torch, transformers and peft: set PYTHON). A measuring tool, not part of the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=("${@:-1 2}"); THREADS=(${THREADS[*]})
ROUNDS=${ROUNDS:-10}; WARMUP=${WARMUP:-8}; WARMUP_FOR=${WARMUP_FOR:-"forward=60"}
CASES=${CASES:-"matmul forward=4 lora-step full-step generate-b1 generate-b8"}
DEVICE=${DEVICE:-cpu}; PAGE=${PAGE:-docs/benchmarks.md}
PROFILE=(); OFFLINE=true; TORCH_DEVICE=cpu; MEM_RUNS_DEFAULT=3
if [[ $DEVICE == gpu ]]; then PROFILE=(-Pgpu); OFFLINE=false; TORCH_DEVICE=cuda; MEM_RUNS_DEFAULT=0; fi
MEM_RUNS=${MEM_RUNS:-$MEM_RUNS_DEFAULT}; MEM_STEPS=${MEM_STEPS:-3}
MALLOC_ENV=${MALLOC_ENV:-"MALLOC_MMAP_THRESHOLD_=65536 MALLOC_ARENA_MAX=2"}
MEM_JAVA_OPTS=${MEM_JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+AlwaysPreTouch"}
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -f /tmp/pyref/env.sh ]]; then . /tmp/pyref/env.sh; fi
  PYTHON=python
fi
"$PYTHON" -c "import torch, transformers, peft" || { echo "no torch/transformers/peft for $PYTHON" >&2; exit 1; }

OFFLINE=${OFFLINE_OVERRIDE:-$OFFLINE}; JAVA=${JAVA:-java}
OUT=${RESULTS_DIR:-target/peers}; mkdir -p "$OUT"
if [[ -z "${CP:-}" ]]; then
  ./mvnw -q -B "${PROFILE[@]}" -pl models -am -DskipTests test-compile dependency:build-classpath \
      -Dmdep.outputFile="$(cd "$OUT" && pwd)/classpath.txt" -Dmdep.includeScope=test
  CP="models/target/test-classes:models/target/classes:runtime/target/classes:annotations/target/classes:$(cat $OUT/classpath.txt)"
fi
RESULTS="$OUT/results.jsonl"
"$PYTHON" bench/peers/interleave.py --threads "${THREADS[@]}" --cases "$CASES" --rounds "$ROUNDS" \
    --warmup "$WARMUP" --warmup-for "$WARMUP_FOR" --mem-runs "$MEM_RUNS" --mem-steps "$MEM_STEPS" --malloc-env "$MALLOC_ENV" \
    --mem-java-opts="$MEM_JAVA_OPTS" --python "$PYTHON" --java "$JAVA" --java-opts="${JAVA_OPTS:-}" --cp "$CP" \
    --offline "$OFFLINE" --device "$TORCH_DEVICE" --out "$RESULTS"
"$PYTHON" bench/peers/table.py "$RESULTS" "$PAGE"

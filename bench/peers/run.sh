#!/usr/bin/env bash
# Peer comparison: the same cases through PyTorch/PEFT/transformers and through djl-adapters, back to
# back on this machine, each case in its own process, threads fixed on both sides. Prints one table
# and writes it into docs/benchmarks.md, or $PAGE (between the "peer-table" markers).
#
#   bash bench/peers/run.sh [threads...]        # default: 1 2
#   ROUNDS=10 WARMUP=2 CASES="forward lora-step" bash bench/peers/run.sh 1
#   DEVICE=gpu PAGE=docs/gpu.md bash bench/peers/run.sh 1     # CUDA on both sides (docs/gpu.md)
#
# On a host without Maven or network (docs/gpu.md): CP (a ready class path: skips the build), JAVA (the
# java launcher), JAVA_OPTS (for example -Dbench.weights=random when the model jar is not on CP),
# OFFLINE_OVERRIDE (true/false for ai.djl.offline), RESULTS_DIR (where results.jsonl goes).
#
# Needs the Python reference environment (bash ../shared/tools/python-reference/setup.sh, or any
# Python with torch, transformers and peft: set PYTHON). A measuring tool, not part of the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=("${@:-1 2}"); THREADS=(${THREADS[*]})
ROUNDS=${ROUNDS:-10}; WARMUP=${WARMUP:-2}
CASES=${CASES:-"forward lora-step full-step generate-b1 generate-b8"}
DEVICE=${DEVICE:-cpu}; PAGE=${PAGE:-docs/benchmarks.md}
PROFILE=(); OFFLINE=true; TORCH_DEVICE=cpu
if [[ $DEVICE == gpu ]]; then PROFILE=(-Pgpu); OFFLINE=false; TORCH_DEVICE=cuda; fi
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -f /tmp/pyref/env.sh ]]; then . /tmp/pyref/env.sh; fi
  PYTHON=python
fi
"$PYTHON" -c "import torch, transformers, peft" || { echo "no torch/transformers/peft for $PYTHON" >&2; exit 1; }

OFFLINE=${OFFLINE_OVERRIDE:-$OFFLINE}; JAVA=${JAVA:-java}
OUT=${RESULTS_DIR:-target/peers}; mkdir -p "$OUT"
if [[ -z "${CP:-}" ]]; then
  ./mvnw -q -B "${PROFILE[@]}" -pl models -am -DskipTests test-compile dependency:build-classpath \
      -Dmdep.outputFile="$PWD/$OUT/classpath.txt" -Dmdep.includeScope=test
  CP="models/target/test-classes:models/target/classes:runtime/target/classes:annotations/target/classes:$(cat $OUT/classpath.txt)"
fi
RESULTS="$OUT/results.jsonl"; : > "$RESULTS"
for t in "${THREADS[@]}"; do
  for c in $CASES; do
    echo "threads $t, case $c" >&2
    attns=(eager); [[ $c == forward ]] && attns=(eager sdpa)
    for a in "${attns[@]}"; do
      OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t "$PYTHON" bench/peers/peer_cases.py "$c" "$t" \
          --rounds "$ROUNDS" --warmup "$WARMUP" --attn "$a" --device "$TORCH_DEVICE" | tail -1 >> "$RESULTS"
    done
    OMP_NUM_THREADS=$t "$JAVA" ${JAVA_OPTS:-} -Dai.djl.offline=$OFFLINE -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error -cp "$CP" \
        io.github.djladapters.models.bench.PeerBenchmark "$c" "$t" "$ROUNDS" "$WARMUP" | tail -1 >> "$RESULTS"
  done
done
"$PYTHON" bench/peers/table.py "$RESULTS" "$PAGE"

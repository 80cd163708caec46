#!/usr/bin/env bash
# A/B of JVM and OpenMP settings for our training step at two threads (bench/peers/jvm_settings.py): one
# PeerBenchmark process per setting (default G1, SerialGC, a 256 MB young generation, C1 with one compiler
# thread, OpenMP's PASSIVE wait policy), interleaved round by round (no ACTIVE policy: its idle process
# would spin on both cores while the other settings run their rounds). A few minutes on an idle
# machine; wall-clock figures at two threads mean little while other processes run.
#
#   bash bench/peers/jvm_settings.sh                 # lora-step, 2 threads, 8 rounds
#   CASE=full-step ROUNDS=6 bash bench/peers/jvm_settings.sh
#
# CP (a ready class path) skips the build; JAVA picks the launcher. Needs only a JDK and Python 3.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${RESULTS_DIR:-target/jvm-settings}; mkdir -p "$OUT"
if [[ -z "${CP:-}" ]]; then
  ./mvnw -q -B -pl models -am -DskipTests test-compile dependency:build-classpath \
      -Dmdep.outputFile="$(cd "$OUT" && pwd)/classpath.txt" -Dmdep.includeScope=test
  CP="models/target/test-classes:models/target/classes:runtime/target/classes:annotations/target/classes:$(cat $OUT/classpath.txt)"
fi
python3 bench/peers/jvm_settings.py --cp "$CP" --java "${JAVA:-java}" --case "${CASE:-lora-step}" \
    --threads "${THREADS:-2}" --rounds "${ROUNDS:-8}" --warmup "${WARMUP:-3}" --out-dir "$OUT"

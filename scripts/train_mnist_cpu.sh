#!/bin/bash
# The shipped MNIST models, made on a CPU-only machine (2 cores, tfjs wasm backend), as the README's MNIST
# section reports them. Each phase is one `halfstep` command; the figures land as JSON in $RUN.
#
#   bash scripts/train_mnist_cpu.sh teacher   # train the UNet teacher for TEACHER_SECONDS (resumes if $RUN has one)
#   bash scripts/train_mnist_cpu.sh chain     # distil FROM → 1 steps (students + their FID beside the teacher's DDIM)
#   bash scripts/train_mnist_cpu.sh evals     # real images, the teacher's DDIM at FROM, 64 and 16 steps (beside `chain`)
#   bash scripts/train_mnist_cpu.sh grid      # docs/mnist-grid.png: one row per sampler and step count, same noise
#   bash scripts/train_mnist_cpu.sh ship      # copy teacher and students into models/mnist/
#   bash scripts/train_mnist_cpu.sh table     # the README table (markdown) from the JSON
#   bash scripts/train_mnist_cpu.sh f16       # the F16 teacher against its F32 EMA (from the resume file): FID at 64 steps
#   bash scripts/train_mnist_cpu.sh all       # all of it: teacher, then chain and evals on the two cores at once
#
# Sized for ~2 hours of 2 CPU cores: a 16/32/32 UNet without dropout (0.14M parameters; the issue's 32/64/64
# costs 2.2 s per step at batch 32 on wasm, this one ~0.5 s), batch 32, and few iterations per halving where
# DDIM at N and 2N steps nearly agree, the most for 8 → 4 (the chain: 5,700 iterations, ~75 minutes of one idle
# core; the shipped one took 98 beside other work). Knobs: RUN, TEACHER_SECONDS, FROM, ITERS (per round, the last repeats),
# BATCH, LR (distillation), N (samples per FID), THREADS (wasm threads per command). The shipped teacher had five `teacher` runs (each resumes the
# last): 200 steps, then TEACHER_SECONDS=4000, 600, 4500 and 4800 (22,619 iterations, about 3.9 hours of one core).
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || dirname "$0"/..)"
RUN=${RUN:-runs/mnist}
TEACHER_SECONDS=${TEACHER_SECONDS:-4000}
FROM=${FROM:-256}
ITERS=${ITERS:-100,100,300,500,800,1500,1200,1200}
BATCH=${BATCH:-32}
LR=${LR:-5e-4}
N=${N:-500}
H=(node bin/halfstep.mjs)
# wasm threads: the CLI's default unless THREADS says (the shipped run had one per process; `all` runs two at once).
TH=()
[ -n "${THREADS:-}" ] && TH=(--threads "$THREADS")
teacher=$RUN/teacher.safetensors
students=$RUN/students
case "${1:-}" in
  teacher|chain|evals|grid|ship|table|f16|all) mkdir -p "$RUN" ;;
esac
log() { echo "[$(date +%T)] $*" | tee -a "$RUN/run.log" >&2; }

phase_teacher() {
  local args=(--channels 16,32,32 --dropout 0)
  [ -f "$RUN/teacher.state.safetensors" ] && [ -f "$teacher" ] && args=(--resume)
  log "teacher: ${TEACHER_SECONDS}s more on wasm (${args[*]})"
  "${H[@]}" train --data mnist --out "$teacher" "${args[@]}" --iters 1000000 --max-seconds "$TEACHER_SECONDS" --save-every 200 \
    --batch "$BATCH" --dtype f16 --backend wasm "${TH[@]}" --seed 0 --json >> "$RUN/train.jsonl" 2>> "$RUN/train.log"
}

phase_chain() {
  log "chain: $FROM -> 1, iterations per round $ITERS, batch $BATCH, lr $LR"
  "${H[@]}" distill --teacher "$teacher" --from "$FROM" --to 1 --out-dir "$students" --iters "$ITERS" --batch "$BATCH" --lr "$LR" \
    --n "$N" --eval-steps 8,4,2,1 --no-teacher-eval --dtype f16 --backend wasm "${TH[@]}" --json > "$RUN/distill.jsonl" 2>> "$RUN/distill.log"
}

phase_evals() {
  log "eval: $N MNIST training images (the figures' floor at this N)"
  "${H[@]}" eval --real --n "$N" --backend wasm "${TH[@]}" --json > "$RUN/real.json" 2>> "$RUN/eval.log"
  for s in "$FROM" 64 16; do
    log "eval: teacher DDIM at $s steps, $N samples"
    "${H[@]}" eval --ckpt "$teacher" --steps "$s" --n "$N" --backend wasm "${TH[@]}" --json >> "$RUN/eval.jsonl" 2>> "$RUN/eval.log"
  done
}

phase_grid() {
  local rows=()
  for s in "$FROM" 64 16 8 4 2 1; do rows+=(--row "$teacher@$s"); done
  for s in 8 4 2 1; do rows+=(--row "$students/student-$s.safetensors"); done
  log "grid: ${#rows[@]} arguments"
  "${H[@]}" grid "${rows[@]}" --n 12 --seed 0 --scale 2 --out docs/mnist-grid.png --backend wasm "${TH[@]}"
}

phase_ship() {
  mkdir -p models/mnist
  cp "$teacher" models/mnist/teacher.safetensors
  cp "$students"/student-*.safetensors models/mnist/
  log "shipped: $(ls models/mnist | tr '\n' ' ')"
}

phase_table() {
  npx tsx scripts/mnistTable.ts "$RUN" | tee "$RUN/table.md"
}

phase_f16() {
  local f32=$RUN/teacher-f32.safetensors
  [ -f "$teacher" ] && [ -f "$RUN/teacher.state.safetensors" ] || { echo "f16: needs $teacher and its resume file (the teacher phase's run folder; RUN=...)" >&2; exit 2; }
  npx tsx scripts/emaF32.ts "$teacher" "$RUN/teacher.state.safetensors" "$f32"
  log "f16: the teacher as shipped (F16) and its F32 EMA, DDIM at 64 steps, $N samples each, the same noise"
  : > "$RUN/f16.jsonl"
  for f in "$f32" "$teacher"; do
    "${H[@]}" eval --ckpt "$f" --steps 64 --n "$N" --backend wasm "${TH[@]}" --json >> "$RUN/f16.jsonl" 2>> "$RUN/eval.log"
  done
}

case "${1:-}" in
  teacher|chain|evals|grid|ship|table|f16) "phase_$1" ;;
  all)
    phase_teacher
    # Two at once: one thread each, unless THREADS says.
    (TH=(--threads "${THREADS:-1}"); phase_evals) & evals=$!
    (TH=(--threads "${THREADS:-1}"); phase_chain)
    wait "$evals"
    phase_grid
    phase_ship
    phase_table
    ;;
  *) echo "usage: train_mnist_cpu.sh teacher|chain|evals|grid|ship|table|f16|all" >&2; exit 2 ;;
esac

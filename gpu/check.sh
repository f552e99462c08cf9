#!/bin/bash
# The GPU check of our WGSL kernels (issue 3): on a Linux NVIDIA machine with python3 + PyTorch but no Node,
# runs `halfstep bench --json` through Node and Dawn (tfjs-webgpu, our kernels vs stock in the same run), then
# the same UNet in PyTorch fp32 (gpu/torch_unet.py), and prints one JSON object with both and their ratios.
# Everything lands in $OUT as it is written (bench.json, torch.json, check.json, logs).
#
#   On the CPU machine, from the repo root:  bash gpu/check.sh pack         → .gpu/ (../shared/gpu/pack.sh src/cli/main.ts)
#   On the GPU machine, with .gpu carried:   OUT=/some/dir bash gpu/check.sh run
#   Dry run here (SwiftShader, the bundle):  LOCAL=1 QUICK=1 OUT=/tmp/check bash gpu/check.sh run
#   Another UNet (e.g. the shipped MNIST teacher's): MODEL=models/mnist/teacher.safetensors with either run
#     (LOCAL runs the bundle with this machine's node and never sources .gpu/env.sh, which unpacks into /;
#      PyTorch is optional there: without it torch.json holds the import error.)
#   TUNING=on|off overrides kernel tuning (auto: on for a GPU, off on SwiftShader)
set -euo pipefail
mode=${1:?usage: check.sh pack|run}
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$root"

if [ "$mode" = pack ]; then
  # pack.sh starts .gpu/ afresh: keep what other GPU scripts added to it (e.g. gpu/train_mnist.sh's data).
  keep=$(mktemp -d)
  cp .gpu/*.tar.xz "$keep"/ 2>/dev/null || true
  bash ../shared/gpu/pack.sh src/cli/main.ts
  cp "$keep"/* .gpu/ 2>/dev/null || true
  rm -rf "$keep"
  grep -q halfstepConv2dBackpropFilter .gpu/run.mjs && grep -q halfstepConv2d_ .gpu/run.mjs || { echo "the bundle lacks our kernels: .gpu/run.mjs is stale" >&2; exit 1; }
  echo "carry .gpu and run: OUT=... bash gpu/check.sh run"
  exit 0
fi
[ "$mode" = run ] || { echo "usage: check.sh pack|run" >&2; exit 2; }

OUT=${OUT:?set OUT to the folder that comes back}
mkdir -p "$OUT"
quick=${QUICK:+--quick}
model=()
[ -n "${MODEL:-}" ] && model=(--model "$MODEL")
# Kernel tuning (src/kernels/autotune.ts): auto tunes on a GPU; TUNING=on forces it (a dry run on SwiftShader), off skips it.
tuning=(--kernel-tuning "${TUNING:-auto}")
if [ -n "${LOCAL:-}" ]; then
  NODE=node
  export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json} XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
  # env.sh would unpack Dawn; here unpack it for this run only, so that .gpu stays small to carry.
  dawn=.gpu/node_modules/webgpu/dist/linux-x64/dawn.node
  if [ ! -f "$dawn" ]; then xz -dkc "$dawn.xz" > "$dawn"; trap 'rm -f "$dawn"' EXIT; fi
else
  # shellcheck disable=SC1091
  source .gpu/env.sh > "$OUT/env.log" 2>&1
  NODE=.gpu/node
fi

echo "[$(date +%T)] tfjs-webgpu bench ${quick}" >&2
"$NODE" .gpu/run.mjs bench --json --backend webgpu $quick "${model[@]}" "${tuning[@]}" > "$OUT/bench.json" 2> "$OUT/bench.log" || { tail -20 "$OUT/bench.log" >&2; exit 1; }
backend=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["backend"], d.get("fallbackReason", ""))' "$OUT/bench.json")
[ "${backend%% *}" = webgpu ] || { echo "the bench did not run on webgpu: $backend" >&2; exit 1; }
echo "[$(date +%T)] PyTorch" >&2
unet=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["unetConfig"]))' "$OUT/bench.json")
python3 gpu/torch_unet.py $quick --config "$unet" > "$OUT/torch.json" 2> "$OUT/torch.log" || python3 -c 'import json,sys; print(json.dumps({"error": sys.argv[1]}))' "$(tail -1 "$OUT/torch.log")" > "$OUT/torch.json"

python3 - "$OUT" <<'EOF' | tee "$OUT/check.json"
import json, sys
out = sys.argv[1]
bench = json.load(open(f'{out}/bench.json'))
torch = json.load(open(f'{out}/torch.json'))
ratios = {}
if 'error' not in torch:
    if torch['parameters'] != bench['unet']['parameters']:
        torch['warning'] = f"parameter counts differ: tfjs {bench['unet']['parameters']}, pytorch {torch['parameters']}: not the same network"
    def ratio(a, b):
        return {k: round(a[k] / b[k], 2) for k in a if k in b and b[k] > 0}
    ratios = {
        'forward_ms_per_image': ratio(bench['unet']['forward_ms_per_image'], torch['forward_ms_per_image']),
        # The forward pass as the samplers run it: recorded once, replayed (issue 3's 2x target).
        'forward_replayed_ms_per_image': ratio(bench['unet'].get('forward_replayed_ms_per_image', {}), torch['forward_ms_per_image']),
        'train_step_ms': ratio(bench['unet']['train_step_ms'], torch['train_step_ms']),
        'sampler_ms_per_image': ratio(bench['sampler_ms_per_image'], torch['sampler_ms_per_image']),
    }
# Issue 3's two GPU targets, read off the figures above (batch 64 in the full bench; the largest batch with QUICK).
unet = bench['unet']
step = unet.get('trainer_step_replayed_speedup_vs_stock')
fwd = ratios.get('forward_replayed_ms_per_image', {})
largest = max(fwd, key=int) if fwd else None
targets = {
    'train_step_8x_stock': {'figure': step, 'met': None if step is None else step >= 8},
    'forward_within_2x_pytorch': {'batch': largest, 'figure': fwd.get(largest), 'by_batch': fwd, 'met': None if largest is None else fwd[largest] <= 2},  # None: no PyTorch figure
}
# Kernel tuning (src/kernels/autotune.ts): at how many shapes of each op ours or tfjs's kernel measured faster.
tuned = {}
for c in bench.get('kernel_tuning', {}).get('choices', []):
    tuned.setdefault(c['op'], {'ours': 0, 'stock': 0})[c['impl']] += 1
# What tuning (per-op choices, then the pass check) gained on the replayed forward pass, where it chose a stock
# kernel somewhere: ours at every op / as run. And where the pass check chose ours at every op, what that saved
# against the per-op choices together: tuned together / as run.
ours_only = unet.get('forward_replayed_ms_per_image_all_ours', {})
tuned_gain = {k: round(v / unet['forward_replayed_ms_per_image'][k], 3) for k, v in ours_only.items() if unet.get('forward_replayed_ms_per_image', {}).get(k)}
# Whole passes timed both ways where tfjs's kernel was chosen somewhere (autotune.ts, pass checks): which ran faster.
passes = bench.get('kernel_tuning', {}).get('passes', [])
together = unet.get('forward_replayed_ms_per_image_tuned', {})
pass_gain = {k: round(v / unet['forward_replayed_ms_per_image'][k], 3) for k, v in together.items() if unet.get('forward_replayed_ms_per_image', {}).get(k)}
print(json.dumps({'targets': targets, 'kernel_choices_by_op': tuned, 'forward_tuning_gain': tuned_gain, 'pass_check_gain': pass_gain, 'pass_choices': passes, 'tfjs_webgpu': bench, 'pytorch': torch, 'tfjs_over_pytorch': ratios}))
EOF

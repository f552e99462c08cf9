// The F32 teacher behind a shipped F16 one: `halfstep train --dtype f16` writes the EMA weights as F16, and keeps
// them in F32 in the resume file beside the teacher (`ema/<name>`). This writes them as an F32 checkpoint with the
// F16 teacher's metadata, after checking that both come from the same step, so that `halfstep eval` can compare the
// two (scripts/train_mnist_cpu.sh f16).
//
//   npx tsx scripts/emaF32.ts TEACHER.safetensors TEACHER.state.safetensors OUT.safetensors
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readCheckpoint, writeCheckpoint } from '../src/io/checkpoint';
import { parseSafetensors } from '../src/io/safetensors';

const [teacherFile, stateFile, out] = process.argv.slice(2);
/** One line on stderr and status 2, as the CLI does for a bad input. */
function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}
if (!out) fail('usage: emaF32.ts TEACHER.safetensors TEACHER.state.safetensors OUT.safetensors');
for (const f of [teacherFile, stateFile]) if (!existsSync(f)) fail(`${f}: no such file`);
const teacher = readCheckpoint(new Uint8Array(readFileSync(teacherFile)));
const state = parseSafetensors(new Uint8Array(readFileSync(stateFile)));
if (state.metadata.format !== 'halfstep-train-state') throw new Error(`${stateFile}: not a training state file`);
const step = state.metadata.step;
if (!teacher.notes?.endsWith(`; step ${step}`)) throw new Error(`${stateFile} is at step ${step}, ${teacherFile} says '${teacher.notes}'`);
const weights = new Map([...teacher.weights.keys()].map((name) => {
  const t = state.tensors.get(`ema/${name}`);
  if (!t) throw new Error(`${stateFile} has no ema/${name}`);
  return [name, { shape: t.shape, data: t.data }];
}));
// Same weights up to F16 rounding: the largest difference says the pairing is right.
let maxDiff = 0;
for (const [name, t] of weights) {
  const h = teacher.weights.get(name)!.data;
  for (let i = 0; i < h.length; i++) maxDiff = Math.max(maxDiff, Math.abs(h[i] - t.data[i]) / Math.max(1e-3, Math.abs(t.data[i])));
}
if (maxDiff > 1e-2) throw new Error(`the F16 teacher is not the rounded EMA of ${stateFile}: relative difference up to ${maxDiff}`);
writeFileSync(out, writeCheckpoint({ ...teacher, weights, notes: `${teacher.notes ?? ''}; F32 EMA from the resume file` }, 'F32'));
process.stderr.write(`${out}: F32 EMA of step ${step} (largest relative F16 rounding ${maxDiff.toExponential(2)})\n`);

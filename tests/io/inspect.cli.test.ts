// `halfstep inspect` as a user runs it: a real process through bin/halfstep.mjs. Unreadable files exit 2
// with exactly one `error:` line on stderr; --json carries the documented fields. The processes start
// together in beforeAll (each takes seconds to boot tsx and tfjs), so keep their number small.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpoint, type Lineage } from '../../src/io/checkpoint';
import { expectedParamShapes } from '../../src/io/paramLayout';
import { serializeSafetensors, type NamedTensor } from '../../src/io/safetensors';
import type { ModelConfig } from '../../src/model/config';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'halfstep-inspect-'));

interface Run { code: number; stdout: string; stderr: string }
function inspect(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('node', ['bin/halfstep.mjs', 'inspect', ...args], { cwd: root, timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const config: ModelConfig = {
  network: { arch: 'mlp', hidden: 8, blocks: 1, embedDim: 4 },
  data: { kind: 'toy2d', name: 'moons' },
  parameterization: 'v',
  schedule: { kind: 'cosine', logSnrMin: -20, logSnrMax: 20 },
  conditioning: 't',
};
const weights = new Map<string, NamedTensor>([...expectedParamShapes(config)].map(([name, shape]) => [name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.25) }]));
const parameters = [...weights.values()].reduce((n, t) => n + t.data.length, 0); // 2·8+8 + 4·8+8 + 8·8+8 + 3·(8·8+8) + 8·2+2 = 370
const lineage: Lineage = { teacherHash: '0123456789abcdef'.repeat(4), teacherSteps: 8, stage: 1, iterations: 2000, finalLoss: 0.0421 };

const valid = writeCheckpoint({ config, role: 'student', steps: 4, lineage, weights, notes: 'moons, stage 1' }, 'F16');
const files = {
  missing: join(dir, 'missing.safetensors'),
  directory: dir,
  empty: join(dir, 'empty.safetensors'),
  truncated: join(dir, 'truncated.safetensors'),
  garbage: join(dir, 'garbage.safetensors'),
  plain: join(dir, 'plain.safetensors'),
  valid: join(dir, 'student.safetensors'),
};
writeFileSync(files.empty, new Uint8Array(0));
writeFileSync(files.truncated, valid.subarray(0, valid.length - 10));
// A PNG: its 8-byte signature read as the header length is 0x0A1A0A0D474E5089.
writeFileSync(files.garbage, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
writeFileSync(files.plain, serializeSafetensors(weights, { framework: 'pt' }));
writeFileSync(files.valid, valid);

const errors: [keyof typeof files, (f: string) => string][] = [
  ['missing', (f) => `error: ${f}: no such file`],
  ['directory', (f) => `error: ${f}: is a directory, not a checkpoint file`],
  ['empty', (f) => `error: ${f}: file is 0 bytes, too short for the 8-byte header length (not a safetensors file)`],
  // 370 F16 values = 740 bytes, minus 10: out.weight ([8, 2], 32 bytes before the 4 of out.bias) no longer fits.
  ['truncated', (f) => `error: ${f}: tensor 'out.weight': data_offsets [704, 736] run past the end of the 730-byte data buffer (the file is cut short or damaged)`],
  ['garbage', (f) => `error: ${f}: header length 727905341920923785 exceeds the 100 MB limit (not a safetensors file, or a damaged one)`],
  ['plain', (f) => `error: ${f}: not a Halfstep checkpoint: metadata has no 'format' key, expected 'halfstep'`],
];

const results = new Map<string, Run>();
beforeAll(async () => {
  const runs = await Promise.all([
    ...errors.map(([name]) => inspect(files[name])),
    inspect(files.valid, '--json'),
    inspect(files.valid),
  ]);
  errors.forEach(([name], i) => results.set(name, runs[i]));
  results.set('json', runs[errors.length]);
  results.set('text', runs[errors.length + 1]);
}, 420_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('halfstep inspect on files it cannot read', () => {
  for (const [name, expected] of errors) {
    it(`${name}: exit 2, one error line, nothing on stdout`, () => {
      const r = results.get(name)!;
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines).toHaveLength(2); // the line and the empty string after its newline
      expect(lines[1]).toBe('');
      expect(lines[0]).toBe(expected(files[name]));
    });
  }
});

describe('halfstep inspect on a valid checkpoint', () => {
  it('--json has role, steps, parameters, tensors, config, lineage, hash, bytes', () => {
    const r = results.get('json')!;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.role).toBe('student');
    expect(j.steps).toBe(4);
    expect(j.parameters).toBe(370);
    expect(parameters).toBe(370);
    expect(j.bytes).toBe(valid.length);
    expect(j.dtype).toBe('F16');
    expect(j.config).toEqual(config);
    expect(j.lineage).toEqual(lineage);
    expect(j.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(j.notes).toBe('moons, stage 1');
    expect(j.tensors).toHaveLength(weights.size);
    expect(j.tensors[0]).toEqual({ name: 'in.weight', dtype: 'F16', shape: [2, 8] });
    expect(j.tensors.map((t: { name: string }) => t.name)).toEqual([...weights.keys()]);
  });

  it('prints role, steps, lineage, architecture, parameters, size, dtype and the tensor list', () => {
    const r = results.get('text')!;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain(`${files.valid} (${(valid.length / 1e3).toFixed(1)} kB, F16)`);
    expect(out).toMatch(/^role\s+student, distilled for 4 sampling steps$/m);
    expect(out).toMatch(/^lineage\s+stage 1: from 8-step teacher 0123456789ab…, 2000 iterations, final loss 0\.0421$/m);
    expect(out).toMatch(/^architecture\s+mlp: hidden 8, blocks 1, embedDim 4$/m);
    expect(out).toMatch(/^parameters\s+370$/m);
    expect(out).toMatch(/^ {2}blocks\.0\.fc1\.weight\s+F16\s+\[8, 8\]$/m);
  });
});

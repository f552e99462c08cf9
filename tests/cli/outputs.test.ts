// What the CLI writes: checked before the work, never over an input or (for checkpoints) an existing file
// unless asked, and kept when the user presses Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/cli/outputs';
import { readCheckpoint, writeCheckpoint } from '../../src/io/checkpoint';
import { parseSafetensors } from '../../src/io/safetensors';
import { cli, fileDigest } from './cli';

const dir = mkdtempSync(join(tmpdir(), 'halfstep-out-'));
const MOONS = 'models/toy/moons';

async function failure(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await cli(...args);
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
  throw new Error(`halfstep ${args.join(' ')} succeeded`);
}

/** A moons training run of a million steps, as a child process the test can signal. */
function longTraining(out: string, saveEvery: string, backend: string, ...more: string[]) {
  const child = spawn(process.execPath, ['bin/halfstep.mjs', 'train', '--data', 'moons', '--iters', '1000000', '--hidden', '16', '--blocks', '1', '--save-every', saveEvery, '--out', out, '--backend', backend, ...more], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { output.stdout += d; });
  child.stderr.on('data', (d) => { output.stderr += d; });
  const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  return { child, output, exited };
}

describe('halfstep output files', () => {
  it('refuses to write over its own input, and leaves the input as it was', async () => {
    const ckpt = join(dir, 'student.safetensors');
    copyFileSync(join(MOONS, 'student-1.safetensors'), ckpt);
    const cls = join(dir, 'cls.safetensors');
    copyFileSync('models/mnist/classifier.safetensors', cls);
    const before = fileDigest(cls);
    // mnist-ref reads a classifier and writes statistics: both .safetensors, so only this check stands between.
    const { code, stderr } = await failure('mnist-ref', '--classifier', cls, '--out', cls, '--force');
    expect(code).toBe(2);
    expect(stderr).toBe(`error: ${cls} is also an input of this command: write the output to another file\n`);
    expect(fileDigest(cls)).toBe(before);
    // The same file through a symlink is the same input.
    const link = join(dir, 'link.safetensors');
    symlinkSync(cls, link);
    expect((await failure('mnist-ref', '--classifier', link, '--out', cls, '--force')).stderr).toMatch(/is also an input of this command/);
    expect(fileDigest(cls)).toBe(before);
    // sample and grid write only .npy and .png: a checkpoint name is refused, as its own input or any other.
    expect((await failure('sample', '--ckpt', ckpt, '--out', ckpt, '--n', '8', '--backend', 'cpu')).stderr).toBe(`error: --out ${ckpt}: sample writes a NumPy array; give a file name ending in .npy\n`);
    // A student at another step count runs, with a note that it is outside what it learned.
    const { stderr: note } = await cli('sample', '--ckpt', ckpt, '--steps', '2', '--out', join(dir, 'two.npy'), '--n', '8', '--backend', 'cpu');
    expect(note).toContain(`note: ${ckpt} is a student distilled for 1 step; at 2 it runs outside what it learned (expect worse samples)`);
  });

  it('refuses an existing teacher without --resume or --force, before starting any backend', async () => {
    const out = join(dir, 'teacher.safetensors');
    copyFileSync(join(MOONS, 'teacher.safetensors'), out);
    const before = fileDigest(out);
    const { code, stderr } = await failure('train', '--data', 'moons', '--iters', '20', '--out', out, '--backend', 'wasm');
    expect(code).toBe(2);
    // One line, and no "backend: …" line: it stopped before the backend (and the training) started.
    expect(stderr).toBe(`error: ${out} exists: choose another --out, or pass --force to replace it with a new run\n`);
    expect(fileDigest(out)).toBe(before);
    // Beside its resume state, the advice is to resume it.
    copyFileSync(out, out.replace(/\.safetensors$/, '.state.safetensors'));
    expect((await failure('train', '--data', 'moons', '--iters', '20', '--out', out, '--backend', 'wasm')).stderr).toBe(`error: ${out} exists: pass --resume to continue training it, or --force to start a new run that replaces it\n`);
    const forced = JSON.parse((await cli('train', '--data', 'moons', '--iters', '20', '--hidden', '16', '--blocks', '1', '--out', out, '--force', '--backend', 'wasm', '--json')).stdout);
    expect(forced.iterations).toBe(20);
    expect(fileDigest(out)).not.toBe(before);
  });

  it('says what is wrong with an output path that is a directory or lies under a file', async () => {
    mkdirSync(join(dir, 'adir'), { recursive: true });
    expect(await failure('train', '--data', 'moons', '--iters', '20', '--out', join(dir, 'adir'), '--backend', 'wasm')).toEqual({ code: 2, stderr: `error: ${join(dir, 'adir')} is a directory: give a file name\n` });
    const file = join(dir, 'notes.txt');
    copyFileSync(join(MOONS, 'teacher.safetensors'), file);
    const under = join(file, 'x.npy');
    expect(await failure('sample', '--ckpt', join(MOONS, 'student-1.safetensors'), '--out', under, '--n', '8', '--backend', 'cpu')).toEqual({ code: 2, stderr: `error: ${under}: ${file} is a file, not a directory\n` });
  });

  it('refuses to half-replace a chain: a directory holding students of the same step counts needs --force', async () => {
    const out = join(dir, 'chain');
    mkdirSync(out, { recursive: true });
    copyFileSync(join(MOONS, 'student-2.safetensors'), join(out, 'student-2.safetensors'));
    const { code, stderr } = await failure('distill', '--teacher', join(MOONS, 'student-4.safetensors'), '--from', '4', '--to', '1', '--iters', '5', '--n', '50', '--out-dir', out, '--backend', 'wasm');
    expect(code).toBe(2);
    expect(stderr).toBe(`error: ${out} already holds student-2.safetensors: choose another --out-dir, or pass --force to replace them\n`);
    expect(readdirSync(out)).toEqual(['student-2.safetensors']);
    const { stderr: tooMany } = await failure('distill', '--teacher', join(MOONS, 'student-4.safetensors'), '--from', '4', '--to', '1', '--iters', '5,5,5', '--out-dir', join(dir, 'c2'), '--backend', 'wasm');
    expect(tooMany).toBe('error: --iters has 3 values for 2 rounds (4 → 1 steps): give at most 2\n');
  });

  it('never replaces the teacher with its own student, --force or not', async () => {
    // A teacher saved under the name its 4-step student will get, in the folder the students go to.
    const out = join(dir, 'self');
    mkdirSync(out, { recursive: true });
    const teacher = join(out, 'student-4.safetensors');
    copyFileSync(join(MOONS, 'teacher.safetensors'), teacher);
    const before = fileDigest(teacher);
    for (const force of [[], ['--force']]) {
      const { code, stderr } = await failure('distill', '--teacher', teacher, '--from', '8', '--to', '4', '--iters', '5', '--out-dir', out, '--no-teacher-eval', '--n', '50', '--backend', 'cpu', ...force);
      expect(code).toBe(2);
      expect(stderr).toBe(`error: ${teacher} is also an input of this command: write the output to another file\n`);
    }
    expect(fileDigest(teacher)).toBe(before);
  });

  it('refuses to resume from the state file of another run of the same network, and keeps the teacher', async () => {
    const [a, b] = [join(dir, 'run-a.safetensors'), join(dir, 'run-b.safetensors')];
    const train = (out: string, seed: string) => cli('train', '--data', 'moons', '--iters', '4', '--hidden', '16', '--blocks', '1', '--seed', seed, '--out', out, '--backend', 'cpu');
    await train(a, '1');
    await train(b, '2');
    const state = (f: string) => f.replace(/\.safetensors$/, '.state.safetensors');
    copyFileSync(state(b), state(a));
    const before = fileDigest(a);
    const { code, stderr } = await failure('train', '--data', 'moons', '--iters', '8', '--out', a, '--resume', '--backend', 'cpu');
    expect(code).toBe(2);
    expect(stderr).toMatch(/run-a\.state\.safetensors is not the state of .*run-a\.safetensors \(it was saved with the teacher [0-9a-f]{8}, this one is [0-9a-f]{8}: the state of another run\): start a new run with --force/);
    expect(fileDigest(a)).toBe(before);
    // Its own state resumes.
    const resumed = JSON.parse((await cli('train', '--data', 'moons', '--iters', '8', '--out', b, '--resume', '--backend', 'cpu', '--json')).stdout);
    expect(resumed).toMatchObject({ startStep: 4, iterations: 8 });
  });

  it('refuses bad values before any work: channels, seeds, step counts, MNIST FID of one image, output kinds', async () => {
    const cases: [string[], string][] = [
      [['train', '--data', 'mnist', '--channels', '8,8,8,8', '--out', join(dir, 'c.safetensors')], "error: option '--channels <list>' argument '8,8,8,8' is invalid. must be three multiples of 8 up to 1024, for 28, 14 and 7 pixels (e.g. 32,64,64)"],
      [['train', '--data', 'mnist', '--channels', '8,12,16', '--out', join(dir, 'c.safetensors')], "error: option '--channels <list>' argument '8,12,16' is invalid. must be three multiples of 8 up to 1024, for 28, 14 and 7 pixels (e.g. 32,64,64)"],
      [['sample', '--seed', '4294967296', '--out', join(dir, 's.npy')], "error: option '--seed <s>' argument '4294967296' is invalid. must be a whole number from 0 to 2147483647"],
      [['sample', '--steps', '1e3', '--out', join(dir, 's.npy')], "error: option '--steps <n>' argument '1e3' is invalid. must be a whole number from 1 to 1048576"],
      [['eval', '--steps', '2000000'], "error: option '--steps <n>' argument '2000000' is invalid. must be a whole number from 1 to 1048576"],
      [['eval', '--ckpt', 'models/mnist/student-4.safetensors', '--n', '1'], 'error: --n 1: FID and KID need at least 2 images (they compare feature covariances)'],
      [['eval', '--real', '--n', '1'], 'error: --n 1: FID and KID need at least 2 images (they compare feature covariances)'],
      [['eval', 'models/mnist/student-4.safetensors'], "error: unexpected argument 'models/mnist/student-4.safetensors': name the checkpoint with --ckpt models/mnist/student-4.safetensors"],
      [['sample', 'models/mnist/student-4.safetensors', '--out', join(dir, 's.npy')], "error: unexpected argument 'models/mnist/student-4.safetensors': name the checkpoint with --ckpt models/mnist/student-4.safetensors"],
      [['train', '--data', 'moons', '--hidden', '4097', '--out', join(dir, 'h.safetensors')], 'error: --hidden: Too big: expected number to be <=4096'],
      [['train', '--data', 'mnist', '--dropout', '0.95', '--out', join(dir, 'h.safetensors')], 'error: --dropout: Too big: expected number to be <=0.9'],
      [['distill', '--from', '2097152', '--to', '1', '--out-dir', join(dir, 'big')], "error: option '--from <n>' argument '2097152' is invalid. must be a power of two (1, 2, 4, …) up to 1048576"],
      [['sample', '--ckpt', join(MOONS, 'student-1.safetensors'), '--out', join(dir, 'x.safetensors')], `error: --out ${join(dir, 'x.safetensors')}: sample writes a NumPy array; give a file name ending in .npy`],
      [['grid', '--row', 'models/mnist/student-1.safetensors', '--out', join(dir, 'g.npy')], `error: --out ${join(dir, 'g.npy')}: grid writes a PNG; give a file name ending in .png`],
      // Counts are digits, as seeds and step counts are; sample counts and grids have a size they fit in memory.
      [['distill', '--from', '0x10', '--to', '1', '--out-dir', join(dir, 'hex')], "error: option '--from <n>' argument '0x10' is invalid. must be a positive whole number, written in digits"],
      [['train', '--data', 'moons', '--iters', '1e2', '--out', join(dir, 'e.safetensors')], "error: option '--iters <k>' argument '1e2' is invalid. must be a positive whole number, written in digits"],
      [['sample', '--n', '1000000000000', '--out', join(dir, 's.npy')], "error: option '--n <count>' argument '1000000000000' is invalid. must be a whole number from 1 to 100000"],
      [['grid', '--row', 'models/mnist/student-1.safetensors', '--scale', '100000', '--out', join(dir, 'g.png')], "error: option '--scale <k>' argument '100000' is invalid. must be a whole number from 1 to 16"],
    ];
    for (const [args, line] of cases) {
      const { code, stderr } = await failure(...args);
      expect(code, args.join(' ')).toBe(2); // wrong input
      expect(stderr.split('\n')[0], args.join(' ')).toBe(line);
    }
  });

  it('checks every grid row before sampling any: a bad last row fails at once, not after the others', async () => {
    const started = Date.now();
    const { code, stderr } = await failure('grid', '--row', 'models/mnist/student-1.safetensors', '--row', 'models/mnist/student-2.safetensors', '--row', 'models/mnist/teacher.safetensors', '--n', '256', '--out', join(dir, 'rows.png'), '--backend', 'cpu');
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'error: models/mnist/teacher.safetensors is a teacher: say how many sampling steps with models/mnist/teacher.safetensors@STEPS\n' });
    // Sampling the first two rows (256 digits, 3 network passes each, on cpu) would take minutes; checking takes seconds.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(join(dir, 'rows.png'))).toBe(false);
  });

  it("refuses a checkpoint whose data Halfstep does not have, before any backend starts, and leaves no directory", async () => {
    const ckpt = readCheckpoint(new Uint8Array(readFileSync(join(MOONS, 'student-4.safetensors'))));
    const file = join(dir, 'spiral.safetensors');
    writeFileSync(file, writeCheckpoint({ ...ckpt, config: { ...ckpt.config, data: { kind: 'toy2d', name: 'spiral' } } }, 'F32'));
    const line = "error: the checkpoint's 2D data set 'spiral' is not one Halfstep has (moons, swissroll, gaussians8, checkerboard)\n";
    expect(await failure('eval', '--ckpt', file, '--n', '50', '--backend', 'cpu')).toEqual({ code: 2, stderr: line });
    expect(await failure('distill', '--teacher', file, '--from', '4', '--to', '2', '--out-dir', join(dir, 'spiral-students'), '--backend', 'cpu')).toEqual({ code: 2, stderr: line });
    expect(existsSync(join(dir, 'spiral-students'))).toBe(false);
  });

  it("defaults mnist-ref's and train-classifier's --out to the shipped files from any working directory", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'halfstep-cwd-'));
    const bin = join(process.cwd(), 'bin/halfstep.mjs');
    const from = (...args: string[]) => new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [bin, ...args], { cwd: elsewhere });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('exit', (code) => done({ code, stderr }));
    });
    expect(await from('mnist-ref')).toEqual({ code: 2, stderr: `error: ${join(process.cwd(), 'models/mnist/reference-stats.safetensors')} exists: pass --force to replace it, or choose another --out\n` });
    expect(await from('train-classifier')).toEqual({ code: 2, stderr: `error: ${join(process.cwd(), 'models/mnist/classifier.safetensors')} exists: pass --force to replace it, or choose another --out\n` });
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses to replace the classifier or its statistics without --force', async () => {
    const [cls, stats] = [join(dir, 'classifier.safetensors'), join(dir, 'stats.safetensors')];
    copyFileSync('models/mnist/classifier.safetensors', cls);
    copyFileSync('models/mnist/reference-stats.safetensors', stats);
    const [c0, s0] = [fileDigest(cls), fileDigest(stats)];
    expect(await failure('train-classifier', '--out', cls, '--stats', join(dir, 'new-stats.safetensors'), '--iters', '1')).toEqual({ code: 2, stderr: `error: ${cls} exists: pass --force to replace it, or choose another --out\n` });
    expect(await failure('mnist-ref', '--out', stats)).toEqual({ code: 2, stderr: `error: ${stats} exists: pass --force to replace it, or choose another --out\n` });
    expect([fileDigest(cls), fileDigest(stats)]).toEqual([c0, s0]);
  });

  it('says which options a run does not use, and fails a --backend it cannot start', async () => {
    const { stderr } = await cli('train', '--data', 'moons', '--iters', '2', '--hidden', '16', '--blocks', '1', '--channels', '8,8,8', '--dropout', '0.2', '--out', join(dir, 'notes.safetensors'), '--backend', 'cpu');
    expect(stderr).toContain('note: --channels, --dropout do not apply to a 2D model: ignored');
    const resumed = await cli('train', '--data', 'moons', '--iters', '4', '--hidden', '64', '--out', join(dir, 'notes.safetensors'), '--resume', '--backend', 'cpu');
    expect(resumed.stderr).toContain(`note: --hidden does not apply when resuming (the network is ${join(dir, 'notes.safetensors')}'s): ignored`);
    // A Vulkan driver list that names no driver: no WebGPU adapter on any machine, so --backend webgpu cannot start.
    const gpu = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['bin/halfstep.mjs', 'sample', '--ckpt', join(MOONS, 'student-1.safetensors'), '--out', join(dir, 'gpu.npy'), '--n', '4', '--backend', 'webgpu'], { env: { ...process.env, VK_ICD_FILENAMES: join(dir, 'no-such-driver.json'), CI: '1' } });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('exit', (code) => done({ code, stderr }));
    });
    expect(gpu.code).toBe(2);
    expect(gpu.stderr.trim().split('\n').at(-1)).toMatch(/^error: --backend webgpu cannot start here: \S/);
    expect(existsSync(join(dir, 'gpu.npy'))).toBe(false);
  });

  it('refuses to resume from the state file of another network, by name', async () => {
    const [small, wide] = [join(dir, 'small.safetensors'), join(dir, 'wide.safetensors')];
    const train = (out: string, hidden: string) => cli('train', '--data', 'moons', '--iters', '3', '--hidden', hidden, '--blocks', '1', '--out', out, '--backend', 'cpu');
    await train(small, '16');
    await train(wide, '32');
    // The wide teacher beside the small run's state: what a --force run with another width leaves when it stops
    // between writing its state and its teacher.
    copyFileSync(wide, small);
    const { code, stderr } = await failure('train', '--data', 'moons', '--iters', '6', '--out', small, '--resume', '--backend', 'cpu');
    expect(code).toBe(2);
    expect(stderr).toMatch(/small\.state\.safetensors does not fit .*small\.safetensors: param\/\S+ is \[[\d, ]+\], the network's is \[[\d, ]+\] \(the state of another run\): start a new run with --force/);
    // A state file cut short is named, with what to do.
    const state = small.replace(/\.safetensors$/, '.state.safetensors');
    writeFileSync(state, readFileSync(state).subarray(0, 500));
    const cut = await failure('train', '--data', 'moons', '--iters', '6', '--out', small, '--resume', '--backend', 'cpu');
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/small\.state\.safetensors: .* \(the resume state is damaged: start a new run with --force\)/);
  });

  it('keeps nothing that a NaN loss made: a diverged last step is neither saved nor used', async () => {
    // One step at an absurd learning rate: the loss of that step is finite, the weights it leaves are not usable.
    const teacher = join(dir, 'diverged.safetensors');
    const t = await failure('train', '--data', 'moons', '--iters', '1', '--lr', '1e30', '--out', teacher, '--backend', 'cpu');
    expect(t.stderr).toContain('error: training stopped: the loss became NaN or infinite at step 1; nothing was saved: try a lower --lr');
    expect(t.code).toBe(1); // a run that failed, not wrong input (2)
    expect(existsSync(teacher)).toBe(false);
    // The same in a chain: round 1 (one step at lr 1000) leaves its student unusable, so no student is written.
    const out = join(dir, 'diverged-chain');
    const d = await failure('distill', '--teacher', join(MOONS, 'student-4.safetensors'), '--from', '4', '--to', '1', '--iters', '1,50', '--lr', '1e3', '--out-dir', out, '--no-teacher-eval', '--backend', 'cpu');
    expect(d.stderr).toContain('error: stage 5 (4 → 2 steps) stopped at step 1: the loss became NaN or infinite; no student was written; try a lower --lr');
    expect(existsSync(join(out, 'student-2.safetensors'))).toBe(false);
  });

  it('warns when a model samples NaN or infinite values', async () => {
    // Finite weights (so the file loads) that overflow float32 inside the network.
    const ckpt = readCheckpoint(new Uint8Array(readFileSync(join(MOONS, 'teacher.safetensors'))));
    const weights = new Map([...ckpt.weights].map(([k, t]) => [k, { shape: t.shape, data: t.data.map((v) => v * 1e30) }]));
    const file = join(dir, 'overflowing.safetensors');
    writeFileSync(file, writeCheckpoint({ ...ckpt, weights }, 'F32'));
    const { stderr } = await cli('sample', '--ckpt', file, '--steps', '2', '--n', '8', '--out', join(dir, 'overflow.npy'), '--backend', 'cpu');
    expect(stderr).toMatch(/warning: \d+ of 16 sampled values are NaN or infinite: this model's outputs overflow/);
  });

  it('keeps a Ctrl-C\'d training run: saved, said so, status 130, and --resume continues it', async () => {
    const out = join(dir, 'interrupted.safetensors');
    const run = longTraining(out, '50', 'wasm');
    // Interrupt once the run is under way (its first periodic save is on disk).
    const deadline = Date.now() + 60_000;
    while (!existsSync(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(out)).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const { stdout, stderr } = run.output;
    expect(stderr).toContain('interrupted (SIGINT): stopping after the current step and saving what is finished (Ctrl-C again to quit at once)');
    const step = Number(/stopped early \(Ctrl-C\) at step (\d+) of 1000000: continue with --resume/.exec(stdout)?.[1]);
    expect(step).toBeGreaterThanOrEqual(50);
    const resumed = JSON.parse((await cli('train', '--data', 'moons', '--iters', String(step + 10), '--out', out, '--resume', '--backend', 'wasm', '--json')).stdout);
    expect(resumed).toMatchObject({ startStep: step, iterations: step + 10, stoppedEarly: false });
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  }, 120_000);

  it('saves on schedule after --resume from a step that is not a multiple of 50 (as every stopped run leaves)', async () => {
    const out = join(dir, 'resumed.safetensors');
    const state = join(dir, 'resumed.state.safetensors');
    await cli('train', '--data', 'moons', '--iters', '130', '--hidden', '16', '--blocks', '1', '--out', out, '--backend', 'cpu');
    const savedStep = () => parseSafetensors(new Uint8Array(readFileSync(state))).metadata.step;
    expect(savedStep()).toBe('130');
    // Reports at 150, 200, …: the first save of --save-every 100 is at 200, then 300. (Before, reports came at
    // 180, 230, … and a save needed one at a multiple of 100: none came, and the run saved only at its end.)
    const run = longTraining(out, '100', 'cpu', '--resume');
    const seen = new Set<string>();
    const deadline = Date.now() + 90_000;
    while (!seen.has('300') && Date.now() < deadline && run.child.exitCode === null) {
      try { seen.add(savedStep()); } catch { /* mid-rename: read again */ }
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect([...seen].filter((k) => k !== '130').slice(0, 2)).toEqual(['200', '300']);
  }, 120_000);

  it('keeps a SIGTERM\'d training run too (timeout, kill, schedulers), with status 143', async () => {
    const out = join(dir, 'terminated.safetensors');
    const run = longTraining(out, '1000000', 'cpu');
    // Under way once the backend line is out; nothing is saved before the signal (no periodic save).
    const deadline = Date.now() + 60_000;
    while (!run.output.stderr.includes('backend:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    const { stdout, stderr } = run.output;
    expect(stderr).toContain('interrupted (SIGTERM): stopping after the current step and saving what is finished');
    expect(stdout).toMatch(/stopped early \(SIGTERM\) at step \d+ of 1000000: continue with --resume/);
    expect(existsSync(out)).toBe(true);
  }, 120_000);
});

describe('writeFileAtomic', () => {
  it('writes the file whole and removes what a killed writer left long ago, not what a live or recent one is writing', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const file = join(sub, 'teacher.safetensors');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid; // a process that has exited
    const hourAgo = new Date(Date.now() - 3_600_000);
    const old = (name: string) => {
      writeFileSync(join(sub, name), 'half a file');
      utimesSync(join(sub, name), hourAgo, hourAgo);
    };
    old(`teacher.safetensors.${gone}.partial`); // removed: its writer is gone, and it is an hour old
    old(`teacher.safetensors.${process.ppid}.partial`); // kept: its writer is alive
    old(`student.safetensors.${gone}.partial`); // kept: another file's
    old(`teacher.safetensors.0x${gone.toString(16)}.partial`); // kept: not a name we write
    writeFileSync(join(sub, `teacher.safetensors.${gone}0.partial`), 'recent'); // kept: too recent to call stale
    await writeFileAtomic(file, 'whole');
    expect(readFileSync(file, 'utf8')).toBe('whole');
    expect(readdirSync(sub).sort()).toEqual([
      `student.safetensors.${gone}.partial`, 'teacher.safetensors', `teacher.safetensors.${gone}0.partial`,
      `teacher.safetensors.${process.ppid}.partial`, `teacher.safetensors.0x${gone.toString(16)}.partial`,
    ].sort());
  });
});

// The files the CLI writes: checked before any work starts (so a bad --out fails in a second, not after an
// hour of training), written whole or not at all (a temporary file renamed into place, so Ctrl-C or a crash
// never leaves half a checkpoint), and never over an input or, for checkpoints, over an existing file unless
// asked. Ctrl-C (or SIGTERM) asks a long command to stop at the next step and keep what it finished.
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from './cliError';
import { stopProgressBars } from './progress';

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

export interface OutputCheck {
  /** Files the command reads: writing over one of them is refused. */
  inputs?: string[];
  /** Refuse an existing file, with this advice (e.g. 'pass --force to replace it'). */
  refuseExisting?: string;
}

/** Fails (status 2, one line) when `file` cannot or should not be written; creates nothing. */
export async function checkOutputFile(file: string, check: OutputCheck = {}): Promise<void> {
  const target = resolve(file);
  // Compared as real paths, so a symlink (or ./x beside x) to an input is caught too.
  const real = async (p: string) => realpath(p).catch(async () => join(await realpath(dirname(p)).catch(() => dirname(p)), basename(p)));
  const realTarget = await real(target);
  for (const input of check.inputs ?? []) {
    if ((await real(resolve(input))) === realTarget) throw new CliError(`${file} is also an input of this command: write the output to another file`, 2);
  }
  const existing = await statOrNull(target);
  if (existing?.isDirectory()) throw new CliError(`${file} is a directory: give a file name`, 2);
  if (existing && check.refuseExisting) throw new CliError(`${file} exists: ${check.refuseExisting}`, 2);
  await checkParent(file, dirname(target));
}

/** Fails when `dir` cannot hold output files (it is a file, or its nearest existing ancestor is not writable). */
export async function checkOutputDir(dir: string): Promise<void> {
  const existing = await statOrNull(resolve(dir));
  if (existing && !existing.isDirectory()) throw new CliError(`${dir} is a file, not a directory`, 2);
  await checkParent(dir, resolve(dir));
}

async function checkParent(file: string, dir: string): Promise<void> {
  let at = dir;
  for (;;) {
    const s = await statOrNull(at);
    if (s) {
      if (!s.isDirectory()) throw new CliError(`${file}: ${at} is a file, not a directory`, 2);
      try {
        await access(at, constants.W_OK);
      } catch {
        throw new CliError(`${file}: cannot write in ${at} (permission denied)`, 2);
      }
      return;
    }
    const up = dirname(at);
    if (up === at) return;
    at = up;
  }
}

/**
 * Writes `bytes` to `file` whole or not at all: into a temporary file beside it, flushed to the disk, then
 * renamed over it. A temporary file that a killed process left for the same file is removed first.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  try {
    await writeWhole(file, bytes);
  } catch (e) {
    // What the checks before the work cannot foresee (a full disk, a read-only or special file system): one line.
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new CliError(`${file}: cannot write (${WRITE_REASONS[code] ?? code})`, 1);
    throw e;
  }
}

const WRITE_REASONS: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'not permitted', ENOENT: 'no such directory', ENOSPC: 'no space left on the disk',
  EROFS: 'read-only file system', EDQUOT: 'disk quota exceeded', ENOTDIR: 'a part of the path is a file',
};

async function writeWhole(file: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await removeStalePartials(file);
  const tmp = `${file}.${process.pid}.partial`;
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync(); // on the disk before the rename makes it the file: whole even after a power loss
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A temporary file this old whose process is gone was left by a kill: younger ones may be another host's writer. */
const STALE_PARTIAL_MS = 10 * 60_000;

/** Removes `file.<pid>.partial` files whose process is gone (a second Ctrl-C or a kill mid-write) and that are old. */
async function removeStalePartials(file: string): Promise<void> {
  const prefix = `${basename(file)}.`;
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  for (const name of names) {
    const middle = name.startsWith(prefix) && name.endsWith('.partial') ? name.slice(prefix.length, -'.partial'.length) : '';
    if (!/^[1-9]\d*$/.test(middle)) continue;
    const pid = Number(middle);
    if (pid === process.pid || processAlive(pid)) continue;
    const path = join(dirname(file), name);
    const age = Date.now() - ((await statOrNull(path))?.mtimeMs ?? Date.now());
    if (age > STALE_PARTIAL_MS) await rm(path, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/**
 * The first Ctrl-C (SIGINT), or a SIGTERM (what `timeout`, `kill`, `docker stop` and batch schedulers send),
 * aborts `controller` so the command stops at its next step and saves what it finished; a second signal ends
 * the process at once, as usual. `signal()` says which one came (null: none), `exitCode()` the status a shell
 * gives a process that signal ended (130 for SIGINT, 143 for SIGTERM). Call `release()` when done.
 */
export function stopOnInterrupt(controller: AbortController): { interrupted(): boolean; signal(): NodeJS.Signals | null; exitCode(): number; release(): void } {
  let got: NodeJS.Signals | null = null;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const release = () => { for (const s of signals) process.removeListener(s, onSignal); };
  function onSignal(name: NodeJS.Signals) {
    got = name;
    const again = name === 'SIGINT' ? 'Ctrl-C again to quit at once' : 'another signal quits at once';
    stopProgressBars(); // on a terminal, a running bar would redraw over the line
    process.stderr.write(`\ninterrupted (${name}): stopping after the current step and saving what is finished (${again})\n`);
    controller.abort();
    release();
  }
  for (const s of signals) process.on(s, onSignal);
  return { interrupted: () => got !== null, signal: () => got, exitCode: () => (got === 'SIGTERM' ? 143 : 130), release };
}

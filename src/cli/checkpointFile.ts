// Checkpoint files for the CLI: fs errors and loader errors become one-line CliErrors with status 2.
import { readFile } from 'node:fs/promises';
import { type Checkpoint, CheckpointLoadError, readCheckpoint, weightsFromNetwork, writeCheckpoint } from '../io/checkpoint';
import { buildNetwork } from '../model/build';
import type { Network } from '../model/network';
import { CliError } from './cliError';
import { writeFileAtomic } from './outputs';

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a checkpoint file',
  EACCES: 'permission denied',
  ERR_FS_FILE_TOO_LARGE: 'file is too large to read (over 2 GB)',
};

export async function readBytes(file: string): Promise<Uint8Array> {
  try {
    // Read to its end: a pipe works (`cat x | halfstep inspect /dev/stdin`), and one with no writer waits, as cat does.
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${file}: ${(code && FS_REASONS[code]) ?? `cannot read (${code ?? String(e)})`}`, 2);
  }
}

/** What a container error most likely means, for the one line the CLI prints (the loader's message stays exact). */
const LIKELY: Record<string, string> = {
  too_small: 'not a safetensors file',
  header_too_large: 'not a safetensors file, or a damaged one',
  header_length: 'not a safetensors file, or one cut short',
  offsets: 'the file is cut short or damaged',
};

/** The loader's error as the CLI reports it: status 2, the file, the exact reason, what it most likely means. */
export function checkpointError(file: string, e: CheckpointLoadError): CliError {
  return new CliError(`${file}: ${e.message}${LIKELY[e.code] ? ` (${LIKELY[e.code]})` : ''}`, 2);
}

export async function loadCheckpoint(file: string): Promise<Checkpoint> {
  const bytes = await readBytes(file);
  try {
    return readCheckpoint(bytes);
  } catch (e) {
    if (e instanceof CheckpointLoadError) throw checkpointError(file, e);
    throw e;
  }
}

/** Builds the network a checkpoint describes, with its weights; a config the network cannot build is status 2. */
export function networkFromCheckpoint(file: string, c: Checkpoint): Network {
  try {
    return buildNetwork(c.config, 0, new Map([...c.weights].map(([name, t]) => [name, t.data])));
  } catch (e) {
    throw new CliError(`${file}: ${e instanceof Error ? e.message : String(e)}`, 2);
  }
}

/** A network's checkpoint file, and the checkpoint read back from it: its hash (after any F16 rounding) is what a student's lineage names. */
export async function checkpointBytes(net: Network, meta: Omit<Checkpoint, 'hash' | 'weights' | 'config'>, dtype: 'F32' | 'F16'): Promise<{ bytes: Uint8Array; checkpoint: Checkpoint }> {
  const weights = await weightsFromNetwork(net);
  const bytes = writeCheckpoint({ ...meta, config: net.config, weights }, dtype);
  return { bytes, checkpoint: readCheckpoint(bytes) };
}

export async function saveCheckpoint(file: string, net: Network, meta: Omit<Checkpoint, 'hash' | 'weights' | 'config'>, dtype: 'F32' | 'F16'): Promise<Checkpoint> {
  const { bytes, checkpoint } = await checkpointBytes(net, meta, dtype);
  await writeFileAtomic(file, bytes);
  return checkpoint;
}

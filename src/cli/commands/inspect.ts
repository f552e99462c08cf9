// `halfstep inspect FILE [--json]`: what a checkpoint holds, without building the network or touching a GPU.
// An unreadable file is exit status 2 with one `error:` line (main.ts prints CliError), never a stack trace.
import type { Command } from 'commander';
import { checkpointFromSafetensors, CheckpointLoadError, type Checkpoint } from '../../io/checkpoint';
import { parseSafetensors, type SafetensorsFile } from '../../io/safetensors';
import { CompatibilityError, checkStudentOfTeacher } from '../../io/compat';
import { checkpointError, loadCheckpoint, readBytes } from '../checkpointFile';
import { CliError } from '../cliError';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show a checkpoint: role, steps, lineage, architecture, parameter count, size, dtype and tensors')
    .argument('<file>', 'a .safetensors checkpoint')
    .option('--json', 'print one JSON object instead of text')
    .option('--teacher <file>', 'also check that FILE is a student of this teacher (lineage, stage, steps, config): status 2 with the reasons if not')
    .action(async (file: string, opts: { json?: boolean; teacher?: string }) => {
      const bytes = await readBytes(file);
      let parsed: SafetensorsFile;
      let checkpoint: Checkpoint;
      try {
        parsed = parseSafetensors(bytes);
        checkpoint = checkpointFromSafetensors(parsed);
      } catch (e) {
        if (e instanceof CheckpointLoadError) throw checkpointError(file, e);
        throw e;
      }
      if (opts.teacher) {
        try {
          checkStudentOfTeacher(checkpoint, await loadCheckpoint(opts.teacher));
        } catch (e) {
          if (e instanceof CompatibilityError) throw new CliError(`${file} is not a student of ${opts.teacher}: ${e.message}`, 2);
          throw e;
        }
      }
      const report = { ...summarize(file, bytes.length, parsed, checkpoint), ...(opts.teacher ? { studentOf: opts.teacher } : {}) };
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatText(report));
    });
}

interface Report {
  file: string;
  bytes: number;
  role: Checkpoint['role'];
  steps: number | null;
  lineage: Checkpoint['lineage'];
  config: Checkpoint['config'];
  parameters: number;
  /** The one dtype of every tensor, or 'mixed'. */
  dtype: string;
  hash: string;
  notes: string | null;
  tensors: { name: string; dtype: string; shape: number[] }[];
}

function summarize(file: string, bytes: number, parsed: SafetensorsFile, c: Checkpoint): Report {
  const tensors = [...parsed.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
  const dtypes = new Set(tensors.map((t) => t.dtype));
  let parameters = 0;
  for (const t of c.weights.values()) parameters += t.data.length;
  return {
    file,
    bytes,
    role: c.role,
    steps: c.steps,
    lineage: c.lineage,
    config: c.config,
    parameters,
    dtype: dtypes.size === 1 ? [...dtypes][0] : 'mixed',
    hash: c.hash,
    notes: c.notes ?? null,
    tensors,
  };
}

function formatText(r: Report & { studentOf?: string }): string {
  const net = r.config.network;
  const { arch, ...sizes } = net;
  const data = r.config.data;
  const lines: [string, string][] = [
    ['file', `${printable(r.file)} (${formatBytes(r.bytes)}, ${r.dtype})`],
    ['role', r.role === 'teacher' ? 'teacher (samples at any step count)' : `student, distilled for ${r.steps} sampling steps`],
    ['lineage', r.lineage
      ? `stage ${r.lineage.stage}: from ${r.lineage.teacherSteps}-step teacher ${r.lineage.teacherHash.slice(0, 12)}…, ${r.lineage.iterations} iterations, final loss ${Number(r.lineage.finalLoss.toPrecision(4))}`
      : 'none (an original teacher)'],
    ['architecture', `${arch}: ${Object.entries(sizes).map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`).join(', ')}`],
    ['data', data.kind === 'image' ? `image ${data.height}x${data.width}x${data.channels} '${printable(data.name)}'` : `toy2d '${printable(data.name)}'`],
    ['diffusion', `${r.config.parameterization}-prediction, ${r.config.schedule.kind} schedule, logSNR [${r.config.schedule.logSnrMin}, ${r.config.schedule.logSnrMax}], conditioned on ${r.config.conditioning}`],
    ['parameters', r.parameters.toLocaleString('en-US')],
    ['hash', r.hash],
  ];
  if (r.studentOf) lines.push(['checked', `a student of ${printable(r.studentOf)} (lineage, stage, steps and config agree)`]);
  if (r.notes !== null) lines.push(['notes', printable(r.notes)]);
  lines.push(['tensors', String(r.tensors.length)]);
  const head = lines.map(([k, v]) => `${k.padEnd(14)}${v}`);
  const nameWidth = Math.min(48, Math.max(...r.tensors.map((t) => printable(t.name).length)));
  const rows = r.tensors.map((t) => `  ${printable(t.name).padEnd(nameWidth)}  ${t.dtype.padEnd(4)}  [${t.shape.join(', ')}]`);
  return `${[...head, ...rows].join('\n')}\n`;
}

function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** Names and notes come from the file: escape control characters so they cannot drive the terminal. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

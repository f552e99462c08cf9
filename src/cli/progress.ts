// Progress bars on stderr (cli-progress), so stdout stays clean for --json output.
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/** Without a terminal (a log file, CI), a plain line at most every `LOG_EVERY_MS`, and the last one on stop. */
const LOG_EVERY_MS = 30_000;

/** Whole numbers as they are ('stage 16'), others to 4 significant digits ('loss 0.01234'). */
const describe = (payload?: Record<string, string | number>) =>
  payload ? Object.entries(payload).map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v}`).join(' ') : '';

/** The bars drawn on a terminal now: a message written while one runs would be drawn over. */
const drawn = new Set<cliProgress.SingleBar>();

/** Stops every bar on the terminal (its line cleared), so that a message written next stays (e.g. Ctrl-C's). */
export function stopProgressBars(): void {
  for (const bar of drawn) bar.stop();
  drawn.clear();
}

export function progressBar(label: string, total: number): Progress {
  if (!process.stderr.isTTY) {
    const started = performance.now();
    let last = started;
    let line = '';
    let written = '';
    const write = () => {
      written = line;
      process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    };
    return {
      update: (value, payload) => {
        line = [label, `${value}/${total}`, describe(payload)].filter(Boolean).join(' ');
        if (performance.now() - last >= LOG_EVERY_MS) { last = performance.now(); write(); }
      },
      stop: () => { if (line && line !== written) write(); },
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {info}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  drawn.add(bar);
  return {
    // A stopped bar ignores updates.
    update: (value, payload) => bar.update(value, payload ? { info: describe(payload) } : undefined),
    stop: () => {
      bar.stop();
      drawn.delete(bar);
    },
  };
}

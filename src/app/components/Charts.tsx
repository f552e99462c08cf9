// The distillation charts: the loss as the trainer reports it, and quality against the number of sampling steps.
import { CartesianGrid, ComposedChart, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import type { LossPoint, RoundResult } from '../../worker/protocol';

// Tick labels at 16 px: read from the back of a room on a projector.
const AXIS = { stroke: '#9aa3b5', fontSize: 16 };

export function LossChart({ points, height = 240 }: { points: LossPoint[]; height?: number }) {
  // A new round restarts the step count; mark where each one begins.
  const starts = points.filter((p, i) => i > 0 && p.round !== points[i - 1].round);
  // Every point inside the log axis: recharts' 'auto' rounds the ends to ticks and can cut the lowest point off.
  const positive = points.map((p) => p.loss).filter((v) => v > 0 && Number.isFinite(v));
  const domain: [number, number] | ['auto', 'auto'] = positive.length ? [Math.min(...positive) / 1.25, Math.max(...positive) * 1.25] : ['auto', 'auto'];
  return (
    <div className="chart" data-testid="loss-chart" data-points={points.length}>
      <ResponsiveContainer width="100%" height={height}>
        {/* Room above the plot for the round labels, so they never sit on the loss's jump at a round's start. */}
        <LineChart data={points} margin={{ top: 26, right: 16, bottom: 22, left: 8 }}>
          <CartesianGrid stroke="#2a2e38" />
          <XAxis dataKey="globalStep" type="number" domain={[0, 'dataMax']} allowDecimals={false} tick={AXIS} label={{ value: 'iteration', position: 'bottom', offset: 4, fill: '#9aa3b5' }} />
          <YAxis scale="log" domain={domain} allowDataOverflow tick={AXIS} tickFormatter={(v: number) => String(Number(v.toPrecision(2)))} width={88}
            label={{ value: 'loss (log scale)', angle: -90, position: 'insideLeft', offset: -2, fill: '#9aa3b5', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))} labelFormatter={(l) => `iteration ${l}`} />
          {starts.map((p) => (
            <ReferenceLine key={p.globalStep} x={p.globalStep} stroke="#8a93a6" strokeDasharray="4 4"
              label={{ value: `round ${p.round}`, position: 'top', fill: '#c3c9d6', fontSize: 15 }} />
          ))}
          <Line type="linear" dataKey="loss" stroke="#ffc43d" dot={false} isAnimationActive={false} strokeWidth={2} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Which figure a quality metric's text (as the worker words it) names: KID, the 2D sliced Wasserstein distance, or another. */
export function metricKind(metric: string): 'kid' | 'swd' | 'other' {
  return metric.includes('(KID)') ? 'kid' : metric.startsWith('sliced Wasserstein') ? 'swd' : 'other';
}

/**
 * The y axis names the figure in a word or two; the hint above the chart says it in full, and the heading says
 * lower is better (an arrow in the rotated label would point sideways).
 */
function shortMetric(metric: string | null): string {
  if (!metric) return '';
  const kind = metricKind(metric);
  return kind === 'kid' ? 'KID' : kind === 'swd' ? 'sliced Wasserstein' : metric.split(/[\s,(]/)[0];
}

const STEP_TICKS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * About five ticks covering [lo, hi] at a step of 1, 2 or 5 × 10^k, and the decimals that print every one of
 * them exactly and alike ("0.0, 0.2, … 1.2"; recharts' own steps of 0.25 or 0.075 read unevenly once rounded).
 */
export function valueTicks(lo: number, hi: number): { ticks: number[]; decimals: number } {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(decimals)));
  return { ticks: ticks.length > 1 ? ticks : [ticks[0], Number((ticks[0] + step).toFixed(decimals))], decimals };
}

export function QualityChart({ teacherCurve, rounds, metric, height = 260 }: { teacherCurve: { steps: number; quality: number }[]; rounds: RoundResult[]; metric: string | null; height?: number }) {
  const students = rounds.filter((r) => r.studentQuality !== null).map((r) => ({ steps: r.toSteps, student: r.studentQuality! }));
  const teacher = teacherCurve.map((p) => ({ steps: p.steps, teacher: p.quality }));
  const all = [...teacher.map((p) => p.steps), ...students.map((p) => p.steps)];
  const ticks = STEP_TICKS.filter((t) => all.length && t >= Math.min(...all) && t <= Math.max(...all));
  const values = [...teacher.map((p) => p.teacher), ...students.map((p) => p.student)];
  const y = valueTicks(Math.min(0, ...values), Math.max(0, ...values));
  return (
    <div className="chart" data-testid="quality-chart" data-points={students.length}>
      <ResponsiveContainer width="100%" height={height}>
        <ComposedChart margin={{ top: 8, right: 16, bottom: 22, left: 8 }}>
          <CartesianGrid stroke="#2a2e38" />
          <XAxis dataKey="steps" type="number" scale="log" domain={[(min: number) => min / 1.25, (max: number) => max * 1.25]} ticks={ticks} tick={AXIS} allowDuplicatedCategory={false}
            label={{ value: 'sampling steps (log scale)', position: 'bottom', offset: 4, fill: '#9aa3b5' }} />
          <YAxis tick={AXIS} width={72} domain={[y.ticks[0], y.ticks.at(-1)!]} ticks={y.ticks} tickFormatter={(v: number) => v.toFixed(y.decimals)}
            label={{ value: shortMetric(metric), angle: -90, position: 'insideLeft', fill: '#9aa3b5', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))} labelFormatter={(l) => `${l} steps`} />
          <Legend verticalAlign="top" height={30} />
          <Line data={teacher} dataKey="teacher" name="teacher, plain DDIM" stroke="#6eaaff" strokeWidth={2} isAnimationActive={false} />
          <Scatter data={students} dataKey="student" name="distilled student" fill="#ffc43d" isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

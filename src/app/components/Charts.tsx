// The distillation charts: the loss as the trainer reports it, and quality against the number of sampling steps.
import { CartesianGrid, ComposedChart, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import type { LossPoint, RoundResult } from '../../worker/protocol';

const AXIS = { stroke: '#9aa3b5', fontSize: 14 };

export function LossChart({ points, height = 240 }: { points: LossPoint[]; height?: number }) {
  // A new round restarts the step count; mark where each one begins.
  const starts = points.filter((p, i) => i > 0 && p.round !== points[i - 1].round);
  return (
    <div className="chart" data-testid="loss-chart" data-points={points.length}>
      <ResponsiveContainer width="100%" height={height}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 22, left: 8 }}>
          <CartesianGrid stroke="#2a2e38" />
          <XAxis dataKey="globalStep" type="number" domain={['dataMin', 'dataMax']} tick={AXIS} label={{ value: 'iteration', position: 'bottom', offset: 4, fill: '#9aa3b5' }} />
          <YAxis scale="log" domain={['auto', 'auto']} allowDataOverflow tick={AXIS} tickFormatter={(v: number) => v.toPrecision(2)} width={72}
            label={{ value: 'loss (log scale)', angle: -90, position: 'insideLeft', fill: '#9aa3b5', style: { textAnchor: 'middle' } }} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))} labelFormatter={(l) => `iteration ${l}`} />
          {starts.map((p) => <ReferenceLine key={p.globalStep} x={p.globalStep} stroke="#555c6b" strokeDasharray="4 4" />)}
          <Line type="linear" dataKey="loss" stroke="#ffc43d" dot={false} isAnimationActive={false} strokeWidth={2} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** The y axis names the figure in a word or two; the hint above the chart says it in full. */
function shortMetric(metric: string | null): string {
  if (!metric) return '';
  if (metric.startsWith('KID')) return 'KID ↓';
  if (metric.startsWith('sliced Wasserstein')) return 'sliced Wasserstein ↓';
  return `${metric.split(/[\s,(]/)[0]} ↓`;
}

const STEP_TICKS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export function QualityChart({ teacherCurve, rounds, metric, height = 260 }: { teacherCurve: { steps: number; quality: number }[]; rounds: RoundResult[]; metric: string | null; height?: number }) {
  const students = rounds.filter((r) => r.studentQuality !== null).map((r) => ({ steps: r.toSteps, student: r.studentQuality! }));
  const teacher = teacherCurve.map((p) => ({ steps: p.steps, teacher: p.quality }));
  const all = [...teacher.map((p) => p.steps), ...students.map((p) => p.steps)];
  const ticks = STEP_TICKS.filter((t) => all.length && t >= Math.min(...all) && t <= Math.max(...all));
  return (
    <div className="chart" data-testid="quality-chart" data-points={students.length}>
      <ResponsiveContainer width="100%" height={height}>
        <ComposedChart margin={{ top: 8, right: 16, bottom: 22, left: 8 }}>
          <CartesianGrid stroke="#2a2e38" />
          <XAxis dataKey="steps" type="number" scale="log" domain={['dataMin', 'dataMax']} ticks={ticks} tick={AXIS} allowDuplicatedCategory={false}
            label={{ value: 'sampling steps (log scale)', position: 'bottom', offset: 4, fill: '#9aa3b5' }} />
          <YAxis tick={AXIS} width={72} tickFormatter={(v: number) => v.toPrecision(2)}
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

// The side-by-side comparison: 2 to 4 columns, each a model and a DDIM step count, all from the same seeded noise.
import { useMemo, type CSSProperties } from 'react';
import { currentSet, listOrder, menuLabels, modelRef, modelsOfMode, resolveColumns, setName, startToyTraining, TOY_POINTS, TOY_TEACHER_ITERATIONS, type ResolvedColumn } from '../actions';
import { MAX_SEED } from '../../core/rng';
import { toyBackdrop } from '../../data/toy2d';
import { BATCH_CHOICES, MAX_COLUMNS, STEP_CHOICES, type ColumnRef } from '../settings';
import { useStore } from '../store';
import type { ColumnView } from '../store/compareSlice';
import type { ModelInfo } from '../../worker/protocol';
import { ImageGrid, ImageStrip, PointCloud } from './Canvases';
import { JobBar } from './JobBar';
import { NumberField } from './NumberField';
import { ToySetPicker } from './ToySetPicker';
import { count } from '../../core/words';

/** Root-mean-square pixel distance between two equal-size batches (data range [-1, 1]). */
function rmsDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / a.length);
}

/** A time for the room: "0.29 ms", "166 ms", "12.1 s". */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
}

/** A quality figure as the page prints it everywhere: SWD (2D) to 3 decimals, KID to 1. */
export function formatQuality(value: number, isToy: boolean): string {
  return value.toFixed(isToy ? 3 : 1);
}

function explain(col: ResolvedColumn, models: ModelInfo[]): string {
  const { model, elsewhere } = col;
  const steps = col.ref.steps;
  if (!model && elsewhere) return `This checkpoint is loaded, but it is a model of ${setName(elsewhere)}: switch to that mode to sample it.`;
  if (!model) return 'This model is not loaded: drop its checkpoint to fill the column.';
  if (model.role === 'teacher') return `The teacher with plain DDIM: ${count(steps, 'network evaluation')} per sample.`;
  const own = model.steps;
  const from = model.lineage?.teacherSteps;
  const what = own !== null && from ? `learned to do in ${count(own, 'step')} what its teacher does in ${from}` : 'a distilled student';
  const base = own === steps ? `A student: ${what}.` : `A student (${what}), here run with ${steps} steps instead of its own ${own}.`;
  const teacherHash = model.lineage?.teacherHash;
  // Not a student of any teacher on this page (a file from another run): say so, it is easy to miss.
  if (teacherHash && !models.some((m) => m.hash === teacherHash)) return `${base} Its teacher (${teacherHash.slice(0, 8)}) is not loaded: it comes from another run than the models beside it.`;
  return base;
}

function ColumnCard({ index, col, cols, view, reference, toyReference, isToy, pool, set, labels, models, stopped }: { index: number; col: ResolvedColumn; cols: ResolvedColumn[]; view: ColumnView | undefined; reference?: Float32Array; toyReference?: Float32Array; isToy: boolean; pool: ModelInfo[]; set: string; labels: Map<string, string>; models: ModelInfo[]; stopped: string | null }) {
  const samples = view?.samples;
  const title = col.model ? `${labels.get(col.model.id)} · ${count(col.ref.steps, 'step')}` : `${col.ref.model} (${col.elsewhere ? 'other set' : 'missing'})`;
  const distance = useMemo(
    () => (!isToy && samples && reference && index > 0 && reference.length === samples.samples.length ? rmsDistance(samples.samples, reference) : undefined),
    [isToy, samples, reference, index],
  );
  const quality = view?.quality;
  const frames = samples?.frameSteps.length ?? 0;
  return (
    <article className="column" data-testid="column" data-ready={samples ? 'yes' : 'no'} aria-labelledby={`column-title-${index}`}>
      <h3 id={`column-title-${index}`} className="sr-only">Column {index + 1}: {title}</h3>
      <ColumnPicker index={index} cols={cols} pool={pool} set={set} labels={labels} />
      <p className="hint">{explain(col, models)}</p>
      <div className="column-body">
        {samples && !isToy && <ImageGrid samples={samples.samples} shape={samples.sampleShape} count={samples.batch} label={`samples of ${title}`} />}
        {samples && isToy && <PointCloud points={samples.samples} reference={toyReference} label={`samples of ${title}`} />}
        {!samples && <div className="placeholder">{!col.model ? '—' : stopped ? `not drawn (${stopped})` : 'sampling…'}</div>}
      </div>
      {/* Each figure on its own row, label left and value right; where a narrow column cannot hold both, the
          value moves under its label rather than the label breaking inside a word. */}
      <dl className="stats">
        {/* Known before sampling (one evaluation per step), so the row does not change height when the figures arrive. */}
        <div><dt>evaluations</dt><dd data-testid="nfe">{col.model ? (samples?.nfe ?? col.ref.steps) : '—'}</dd></div>
        <div><dt>time / {isToy ? 'point' : 'image'}</dt><dd data-testid="ms" data-replayed={samples?.replayed} data-shared={samples?.sharedWithTraining ? 'yes' : undefined} title={samples ? `${samples.sharedWithTraining ? 'measured while a training job shared the device, so slower than alone; ' : ''}one run, so it moves by tens of percent between runs${samples.replayed > 0 ? `; the network's forward pass was recorded at the first step and replayed on the GPU at the other ${samples.replayed}` : ''}` : undefined}>{samples ? `${formatMs(samples.msPerImage)}${samples.sharedWithTraining ? ' *' : ''}` : stopped || !col.model ? '—' : '…'}</dd></div>
        <div><dt title={quality?.metric}>{isToy ? 'SWD' : 'KID'} ↓</dt><dd data-testid="quality" title={quality?.metric}>{quality ? formatQuality(quality.value, isToy) : (samples && !isToy) || stopped || !col.model ? '—' : '…'}</dd></div>
        {!isToy && <div><dt>Δ to column 1</dt><dd data-testid="distance">{index === 0 ? 'reference' : distance !== undefined ? distance.toFixed(3) : stopped || !col.model ? '—' : '…'}</dd></div>}
      </dl>
      {samples && !isToy && frames > 0 && (
        <div className="strip">
          <div className="hint">
            Its guess of the finished first image (x̂) {samples.nfe === 1 ? 'at its single step' : frames === samples.nfe ? `after each of its ${samples.nfe} steps` : `at ${frames} of its ${samples.nfe} steps, evenly spaced`}, from noise at t = 1: blurry while unsure
          </div>
          <ImageStrip frames={samples.trajectory} shape={samples.sampleShape} steps={samples.frameSteps} label={`prediction along the steps of ${title}`} />
        </div>
      )}
    </article>
  );
}

/**
 * What "+ column" adds: a (model, steps) pair not on screen yet. First the teacher at a step count the columns
 * lack (its DDIM at the students' budgets is the comparison that matters), then a student not yet shown.
 */
function nextColumn(pool: ModelInfo[], set: string, refs: ColumnRef[]): ColumnRef {
  const shown = new Set(refs.map((r) => `${r.model}@${r.steps}`));
  const candidates: ColumnRef[] = [];
  const students = pool.filter((m) => m.role === 'student' && m.steps !== null).sort((a, b) => a.steps! - b.steps!);
  const teacher = pool.find((m) => m.role === 'teacher');
  if (teacher) for (const m of students) candidates.push({ model: modelRef(teacher, set), steps: m.steps! });
  for (const m of students) candidates.push({ model: modelRef(m, set), steps: m.steps! });
  if (teacher) for (const n of [1, 2, 4, 8, 16, 64, 256]) candidates.push({ model: modelRef(teacher, set), steps: n });
  return candidates.find((c) => !shown.has(`${c.model}@${c.steps}`)) ?? { model: modelRef(pool[0], set), steps: pool[0].steps ?? 8 };
}

/** A column's model and step count, at the top of the column they change. */
function ColumnPicker({ index: i, cols, pool, set, labels }: { index: number; cols: ResolvedColumn[]; pool: ModelInfo[]; set: string; labels: Map<string, string> }) {
  const setSetting = useStore((s) => s.setSetting);
  const refs: ColumnRef[] = cols.map((c) => c.ref);
  const update = (next: ColumnRef[]) => setSetting('cols', next);
  const c = cols[i];
  return (
    <div className="column-pick">
      {/* The number the legend ("Δ to column 1") and the progress line name; the heading says it to screen readers. */}
      <span className="column-number" aria-hidden="true">{i + 1}</span>
      <select
        className="column-model"
        aria-label={`model of column ${i + 1}`}
        title={c.model ? labels.get(c.model.id) : c.ref.model}
        value={c.model ? modelRef(c.model, set) : c.ref.model}
        onChange={(e) => {
          const m = pool.find((p) => modelRef(p, set) === e.target.value);
          update(refs.map((r, j) => (j === i ? { model: e.target.value, steps: m?.role === 'student' && m.steps ? m.steps : r.steps } : r)));
        }}
      >
        {!c.model && <option value={c.ref.model}>{c.ref.model} ({c.elsewhere ? `a model of ${setName(c.elsewhere)}` : 'not loaded'})</option>}
        {pool.map((m) => <option key={m.id} value={modelRef(m, set)}>{labels.get(m.id)}</option>)}
      </select>
      <select className="column-steps" aria-label={`steps of column ${i + 1}`} value={c.ref.steps} onChange={(e) => update(refs.map((r, j) => (j === i ? { ...r, steps: Number(e.target.value) } : r)))}>
        {STEP_CHOICES.map((n) => <option key={n} value={n}>{count(n, 'step')}</option>)}
      </select>
      {cols.length > 2 && <button className="small" aria-label={`remove column ${i + 1}`} title="remove this column" onClick={() => {
        update(refs.filter((_, j) => j !== i));
        focusColumnModel(Math.min(i, refs.length - 2)); // the button goes with its column: keep the keyboard's place
      }}>✕</button>}
    </div>
  );
}

function AddColumn({ cols, pool, set }: { cols: ResolvedColumn[]; pool: ModelInfo[]; set: string }) {
  const setSetting = useStore((s) => s.setSetting);
  if (cols.length >= MAX_COLUMNS || pool.length === 0) return null;
  return <button onClick={() => {
    setSetting('cols', [...cols.map((c) => c.ref), nextColumn(pool, set, cols.map((c) => c.ref))]);
    focusColumnModel(cols.length); // the new column's model: what comes next, and this button is gone at the fourth
  }}>+ column</button>;
}

/** Keyboard focus to column k's model menu, once the page has drawn the columns as they are now. */
function focusColumnModel(k: number): void {
  requestAnimationFrame(() => document.querySelector<HTMLSelectElement>(`select[aria-label="model of column ${k + 1}"]`)?.focus());
}

const isToyMode = (mode: string) => mode === 'toy';

function EmptyState({ isToy, loading }: { isToy: boolean; loading: boolean }) {
  const patch = useStore((s) => s.patchSettings);
  if (loading) return <p className="muted">Loading the shipped models…</p>;
  return (
    <div className="empty" data-testid="empty-compare">
      {isToy ? (
        <>
          <p>No 2D model for this toy set yet. Train a teacher in the browser (seconds on a GPU), then distill it.</p>
          <button className="primary" onClick={() => { patch({ view: 'distill' }); startToyTraining(TOY_TEACHER_ITERATIONS); }}>Train a toy teacher</button>
        </>
      ) : (
        <>
          <p>No MNIST checkpoints are loaded: drop a teacher and its students anywhere on the page, or try the 2D toy mode.</p>
          <button onClick={() => patch({ mode: 'toy', cols: [] })}>Open the 2D toy mode</button>
        </>
      )}
    </div>
  );
}

export function CompareView() {
  const settings = useStore((s) => s.settings);
  const models = useStore((s) => s.models);
  const views = useStore((s) => s.columnViews);
  const jobId = useStore((s) => s.compareJobId);
  const setSetting = useStore((s) => s.setSetting);
  const loading = useStore((s) => Object.keys(s.pendingLoads).length > 0);
  const imageMetric = useStore((s) => s.imageMetric);
  const cols = useMemo(() => resolveColumns(settings, models), [settings, models]);
  const pool = useMemo(() => modelsOfMode(models, settings.mode, settings.toy), [models, settings.mode, settings.toy]);
  const labels = useMemo(() => menuLabels(pool), [pool]);
  const menu = useMemo(() => listOrder(pool, settings.mode, settings.toy), [pool, settings.mode, settings.toy]);
  const job = useStore((s) => (s.compareJobId ? s.jobs[s.compareJobId] : undefined));
  const stopped = job?.status === 'cancelled' ? 'cancelled' : job?.status === 'failed' ? 'sampling failed' : null;
  const isToy = settings.mode === 'toy';
  const set = currentSet(settings);
  // The grey backdrop of the 2D plots: the toy set itself.
  const toyReference = useMemo(() => (isToy ? toyBackdrop(settings.toy) : undefined), [isToy, settings.toy]);
  // Views are indexed like the job's columns; only show a view for the column it was drawn for.
  const viewFor = (i: number, c: ResolvedColumn) => {
    const v = views[i];
    return v && c.model && v.spec.modelId === c.model.id && v.spec.steps === c.ref.steps ? v : undefined;
  };
  const reference = viewFor(0, cols[0] ?? { ref: { model: '', steps: 0 }, model: undefined })?.samples?.samples;
  const shared = cols.some((c, i) => viewFor(i, c)?.samples?.sharedWithTraining);
  const backendWord = useStore((s) => (s.backend?.name === 'webgpu' ? 'GPU' : 'CPU'));
  // The worker names the 2D figure with what the data itself scores at this point count (its floor).
  const toyMetric = cols.map((c, i) => viewFor(i, c)?.quality?.metric).find(Boolean);
  const qualityMetric = isToyMode(settings.mode)
    ? toyMetric ?? `sliced Wasserstein distance to the data (${TOY_POINTS.toLocaleString('en')} points)`
    : !imageMetric?.ready ? `none (${imageMetric?.message ?? 'the MNIST classifier is not loaded'})`
    : settings.batch < 2 ? `${imageMetric.message}; it needs at least 2 images per column (a batch of 4 or more), so at a batch of 1 there is none`
    : `${imageMetric.message}; from each column's ${settings.batch} images, so a noisy figure that can dip below 0 (halfstep eval on the command line uses hundreds)`;
  return (
    <section className="panel" aria-labelledby="compare-title">
      <h2 id="compare-title">Side by side</h2>
      <p className="hint">
        Every column starts from the <b>same noise</b> (seed {settings.seed}); only the model and the number of steps differ.
        Each step runs the network once, so time grows with the steps. A student was trained to land in one step where its
        teacher lands in two, so with few steps it stays close to the many-step teacher, where the teacher's own few steps fall apart.
        {settings.eta > 0 && <> <b>With η = {settings.eta}</b> every step also adds fresh noise (stochastic DDIM), so columns with different step counts no longer follow one path; the students were distilled for η = 0.</>}
      </p>
      <div className="controls">
        <NumberField label="seed" value={settings.seed} onChange={(v) => setSetting('seed', v)} min={0} max={MAX_SEED} integer testId="seed" />
        <button onClick={() => setSetting('seed', Math.floor(Math.random() * 100000))}>new noise</button>
        <NumberField label="randomness η" value={settings.eta} onChange={(v) => setSetting('eta', v)} min={0} max={1} testId="eta" title="η of generalized DDIM: 0 is deterministic DDIM (what students are distilled for); 1 adds the ancestral sampler's fresh noise at every step" />
        {isToy && <ToySetPicker testId="compare-toy" />}
        {!isToy && (
          <label>batch <select value={settings.batch} onChange={(e) => setSetting('batch', Number(e.target.value))} data-testid="batch">
            {BATCH_CHOICES.map((n) => <option key={n} value={n}>{n}</option>)}
          </select></label>
        )}
        <AddColumn cols={cols} pool={pool} set={set} />
        {/* Beside the controls where there is room (one row less above the samples). While another mode's models
            load, the last job's bar (of the other mode) would only confuse. */}
        <div className="controls-job">{!loading && <JobBar jobId={jobId} />}</div>
      </div>
      {cols.length === 0 && <EmptyState isToy={isToy} loading={loading} />}
      <div className="columns" data-testid="columns" style={{ '--columns': cols.length } as CSSProperties}>
        {cols.map((c, i) => <ColumnCard key={i} index={i} col={c} cols={cols} view={viewFor(i, c)} reference={reference} toyReference={toyReference} isToy={isToy} pool={menu} set={set} labels={labels} models={models} stopped={stopped} />)}
      </div>
      {cols.length > 0 && (
        <p className="hint legend">
          <b>Evaluations</b>: network evaluations per sample, one per DDIM step. <b>{isToy ? 'SWD' : 'KID'} ↓</b>, lower is better: {qualityMetric}.
          {!isToy && <> <b>Δ to column 1</b>: root-mean-square pixel difference from the first column's images, drawn from the same noise (pixels from −1 to 1: 0 is identical).</>}
          {isToy && <> Yellow: generated points; grey: the training data.</>}
          {shared && <> <b>*</b> Timed while a distillation or a teacher's training ran on the same {backendWord}: the two share it, so this time is longer than the sampler's own.</>}
        </p>
      )}
    </section>
  );
}

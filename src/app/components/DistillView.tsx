// In-browser progressive distillation: pick a teacher, halve its steps round by round, watch the loss and
// the quality of each student against the teacher's plain DDIM; in 2D, see each stage's samples and ODE paths.
import { useMemo, useRef, useState } from 'react';
import { sizeOf } from '../../core/shape';
import { toyBackdrop } from '../../data/toy2d';
import { currentSet, distillRunOf, downloadModel, listOrder, menuLabels, modelRef, modelsOfMode, resolveRef, setName, runTrajectories, startDistill, startToyTraining, TOY_POINTS, TOY_TEACHER_ITERATIONS } from '../actions';
import { useStore } from '../store';
import { isActive } from '../store/jobsSlice';
import { STAGE_IMAGES, type LossPoint, type ModelInfo, type RoundResult } from '../../worker/protocol';
import { ImageGrid, PathPlot, PointCloud } from './Canvases';
import { LossChart, metricKind, QualityChart } from './Charts';
import { formatQuality } from './CompareView';
import { JobBar } from './JobBar';
import { NumberField } from './NumberField';
import { ToySetPicker } from './ToySetPicker';
import { STEP_CHOICES } from '../settings';
import { shippedFilesOf } from '../shipped';
import { pathsExtent } from '../draw';
import { count } from '../../core/words';

/** The step counts of a chain, "8 → 4 → 2"; a long one shows its ends ("256 → 128 → 64 → … → 2 → 1"). */
export function chainText(from: number, to: number): string {
  const counts: number[] = [];
  for (let n = from; n >= to && n >= 1; n /= 2) counts.push(n);
  const shown = counts.length <= 6 ? counts.map(String) : [...counts.slice(0, 3).map(String), '…', ...counts.slice(-2).map(String)];
  return shown.join(' → ');
}
/** "student-4 (shipped, 4 steps)" rather than "student-4 (shipped) (4 steps)". */
function withSteps(label: string, steps: number | null): string {
  if (!steps) return label;
  const n = count(steps, 'step');
  return label.endsWith(')') ? `${label.slice(0, -1)}, ${n})` : `${label} (${n})`;
}

/** "0.0049" rather than "4.90e-3"; exponents only below 0.0001. */
export function formatLoss(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-4 ? v.toExponential(1) : Number(v.toPrecision(2)).toString();
}

const NO_LOSS: LossPoint[] = [];
const NO_ROUNDS: RoundResult[] = [];
const NO_CURVE: { steps: number; quality: number }[] = [];

function ToyTeacherPanel({ hasTeacher }: { hasTeacher: boolean }) {
  const ownSet = useStore((s) => s.toyJobDataset === s.settings.toy);
  const jobId = useStore((s) => (ownSet ? s.toyJobId : null));
  const loss = useStore((s) => (ownSet ? s.toyLoss : NO_LOSS));
  const points = useStore((s) => (ownSet ? s.toyTeacherPoints : null));
  // One toy teacher trains at a time: another set's, still running, is said here rather than cancelled by a click.
  const elsewhere = useStore((s) => {
    const other = !ownSet && s.toyJobId ? s.jobs[s.toyJobId] : undefined;
    return other && isActive(other.status) ? s.toyJobDataset : null;
  });
  const [iterations, setIterations] = useState(TOY_TEACHER_ITERATIONS);
  return (
    <section className="panel" aria-labelledby="toy-teacher-title">
      <h2 id="toy-teacher-title">{hasTeacher ? 'A teacher of your own (optional)' : '1. A teacher for the 2D set'}</h2>
      <p className="hint">
        {hasTeacher && 'A shipped teacher for this set is loaded, and the distillation above can start from it. '}
        A small MLP learns to denoise points of the toy set at every noise level. It is then a diffusion model that needs many DDIM steps. 3,000 iterations learn every set; a few hundred give a blurry teacher, which is instructive too.
        {hasTeacher && ' A teacher trained here joins the teacher menu above and becomes its default.'}
      </p>
      <div className="controls">
        <ToySetPicker testId="toy-dataset" />
        <NumberField label="iterations" value={iterations} onChange={setIterations} min={10} max={100_000} integer testId="toy-iters" />
        <button className={hasTeacher ? '' : 'primary'} disabled={elsewhere !== null} onClick={() => startToyTraining(iterations)} data-testid="train-toy">Train a toy teacher</button>
      </div>
      {elsewhere && <p className="muted" data-testid="toy-training-elsewhere">A teacher of the 2D set {elsewhere} is training: switch back to it to see it or cancel it. A teacher for this set can start when it ends.</p>}
      <JobBar jobId={jobId} />
      <div className="row">
        {loss.length > 0 && <div className="grow"><LossChart points={loss} height={200} /></div>}
        {points && <figure><PointCloud points={points} label="samples of the trained teacher" size={200} /><figcaption>teacher, 256 steps</figcaption></figure>}
      </div>
    </section>
  );
}

/** Each stage's samples from the same noise: point clouds for 2D models, image grids for MNIST. */
function StageSamples({ rounds, teacherPoints, fromSteps, shape }: { rounds: RoundResult[]; teacherPoints: Float32Array | null; fromSteps: number; shape: number[] | null }) {
  const toy = useStore((s) => s.settings.toy);
  // The grey backdrop, as in Compare: without the data behind it a student's collapse has nothing to be seen against.
  const data = useMemo(() => (shape ? undefined : toyBackdrop(toy)), [shape, toy]);
  const draw = (samples: Float32Array, label: string) =>
    shape ? <ImageGrid samples={samples} shape={shape} count={Math.min(STAGE_IMAGES, samples.length / sizeOf(shape))} label={label} />
      : <PointCloud points={samples} reference={data} size={180} label={label} />;
  return (
    <div className={`row wrap${shape ? ' stage-images' : ''}`} data-testid="stage-scatter">
      {teacherPoints && <figure>{draw(teacherPoints, `teacher at ${fromSteps} steps`)}<figcaption>teacher · {fromSteps} steps</figcaption></figure>}
      {rounds.filter((r) => r.points).map((r) => (
        <figure key={r.round}>
          {/* The chain's stage, as the rounds table and the trajectories name it (a run from a student goes on from its stage). */}
          {draw(r.points!, `student of stage ${r.student.lineage?.stage ?? r.round}`)}
          <figcaption>stage {r.student.lineage?.stage ?? r.round} · {count(r.toSteps, 'step')}</figcaption>
        </figure>
      ))}
    </div>
  );
}

function Trajectories({ teacher, rounds, fromSteps }: { teacher: ModelInfo | undefined; rounds: RoundResult[]; fromSteps: number }) {
  const toy = useStore((s) => s.settings.toy);
  const traj = useStore((s) => (s.trajectories?.toy === toy ? s.trajectories : null));
  const jobId = useStore((s) => (s.trajectoryToy === toy ? s.trajectoryJobId : null));
  // One scale for the row, wide enough for every path's noise end (the other 2D plots keep PLOT_EXTENT).
  const extent = useMemo(() => (traj ? pathsExtent(traj.paths) : undefined), [traj]);
  const run = () => {
    if (!teacher) return;
    const cols = [{ model: teacher, steps: fromSteps, label: `teacher · ${fromSteps} steps` }];
    const last = rounds[rounds.length - 1];
    if (last) cols.push({ model: teacher, steps: last.toSteps, label: `teacher · ${count(last.toSteps, 'step')}` });
    for (const r of rounds.slice(-2)) cols.push({ model: r.student, steps: r.toSteps, label: `stage-${r.student.lineage?.stage ?? r.round} student · ${count(r.toSteps, 'step')}` });
    runTrajectories(cols.slice(0, 4), 64);
  };
  return (
    <section className="panel" aria-labelledby="traj-title">
      <h2 id="traj-title">Trajectories from noise to data</h2>
      <p className="hint">Each blue line follows one point from its noise at t = 1 (white dot) through the z<sub>t</sub> of every DDIM step to its sample (yellow dot); grey is the training data. A student reaches in one jump where its teacher arrives by many small ones.</p>
      <div className="controls"><button onClick={run} disabled={!teacher} data-testid="run-trajectories">Draw trajectories</button></div>
      <JobBar jobId={jobId} />
      {traj && (
        <div className="row wrap">
          {traj.paths.map((p, i) => (
            <figure key={i}><PathPlot paths={p} count={traj.count} steps={traj.steps[i]} reference={traj.data} size={260} label={traj.labels[i]} extent={extent} /><figcaption>{traj.labels[i]}</figcaption></figure>
          ))}
        </div>
      )}
    </section>
  );
}

export function DistillView() {
  const settings = useStore((s) => s.settings);
  const setSetting = useStore((s) => s.setSetting);
  const patchSettings = useStore((s) => s.patchSettings);
  const models = useStore((s) => s.models);
  const backend = useStore((s) => s.backend);
  const jobId = useStore((s) => s.distillJobId);
  const job = useStore((s) => (s.distillJobId ? s.jobs[s.distillJobId] : undefined));
  const loss = useStore((s) => s.loss);
  const rounds = useStore((s) => s.rounds);
  const curve = useStore((s) => s.teacherCurve);
  const metric = useStore((s) => s.qualityMetric);
  const distillTeacherId = useStore((s) => s.distillTeacherId);
  const resultsJobId = useStore((s) => s.resultsJobId);
  const startedTeacherId = useStore((s) => s.startedTeacherId);
  const teacherPoints = useStore((s) => s.distillTeacherPoints);
  const isToy = settings.mode === 'toy';
  const pool = useMemo(() => modelsOfMode(models, settings.mode, settings.toy), [models, settings.mode, settings.toy]);
  // From the shipped file list, not the loaded models: the panels stay where they are while a set's files load
  // (they moved, and the toy-teacher panel lost what was typed in it, the first time a set was opened).
  const set = currentSet(settings);
  const shippedTeacher = isToy && shippedFilesOf(set).some((f) => f.stem === 'teacher');
  // The freshest teacher by default: one just trained in the browser, else the shipped one.
  const defaultTeacher = [...pool].reverse().find((m) => m.role === 'teacher' && m.source === 'trained') ?? pool.find((m) => m.role === 'teacher');
  // The teacher picked in the menu, kept in the link (settings.teacher); '' or a model not loaded: the default.
  const picked = settings.teacher ? resolveRef(settings.teacher, pool, set) : undefined;
  const setPick = (id: string | null) => {
    const m = id === null ? undefined : pool.find((x) => x.id === id);
    setSetting('teacher', m ? modelRef(m, set) : '');
  };
  const running = isActive(job?.status);
  const startedRun = useStore((s) => s.startedRun);
  // While a run of this set goes on, the controls show what it was started with, whatever has changed since
  // (a mode switch resets the pick, a trained teacher becomes the default, the link can change the settings).
  const locked = running && startedRun !== null && pool.some((m) => m.id === startedRun.teacherId) ? startedRun : null;
  const teacher = locked ? pool.find((m) => m.id === locked.teacherId) : picked ?? defaultTeacher;
  // The UNet trains on webgpu and on wasm (our forward-convolution gradients: ~0.5 s per step of the shipped
  // 16/32/32 teacher at batch 32); tfjs's plain-JavaScript cpu backend takes minutes per step.
  const needsWebgpu = teacher?.arch === 'unet' && backend !== null && backend.name === 'cpu';
  const slowUnet = teacher?.arch === 'unet' && backend?.name === 'wasm';
  const run = locked ?? distillRunOf(teacher, settings);
  const { fromSteps, toSteps } = run;
  const halvable = fromSteps >= 2;
  const roundCount = halvable ? Math.round(Math.log2(fromSteps / toSteps)) : 0;
  // On wasm, the cost of the settings at hand by the figure the banner gives (time grows about with the batch).
  const wasmMinutes = (1.4 * run.iterations * Math.max(roundCount, 1) * (run.batchSize / 64)) / 60;
  const wasmEstimate = !slowUnet || !halvable || (run.iterations === 300 && run.batchSize === 64 && roundCount === 1) ? ''
    : `; the ${count(run.iterations, 'iteration')} per round at batch ${run.batchSize} set here, over ${count(roundCount, 'round')}, ${wasmMinutes < 1 ? 'under a minute' : `about ${count(Math.round(wasmMinutes), 'minute')}`}`;
  const distilledTeacher = models.find((m) => m.id === distillTeacherId);
  const startedTeacher = models.find((m) => m.id === startedTeacherId);
  const labels = useMemo(() => menuLabels(pool), [pool]);
  // The charts and rounds belong to the set they were run on: switching set or mode hides them (they come
  // back on switching back), so moons curves never sit under a checkerboard heading.
  const ownRun = distillTeacherId === null || pool.some((m) => m.id === distillTeacherId);
  // The job bar likewise follows the run last started.
  const runHere = startedTeacherId === null || pool.some((m) => m.id === startedTeacherId);
  const shownLoss = ownRun ? loss : NO_LOSS;
  const shownRounds = ownRun ? rounds : NO_ROUNDS;
  const shownCurve = ownRun ? curve : NO_CURVE;
  const quality = (v: number | null) => (v === null ? '—' : formatQuality(v, isToy));
  const shownMetric = ownRun ? metric : null;
  const metricName = !shownMetric ? 'quality' : { kid: 'KID ↓', swd: 'SWD ↓', other: 'quality ↓' }[metricKind(shownMetric)];

  // On Start the charts come into view: on a projector the form fills the first screen, and the run is below it.
  const chartsRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLElement>(null);
  const start = () => {
    if (!teacher) return;
    startDistill(teacher.id);
    chartsRef.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    // Start is disabled while the run goes on, which would drop keyboard focus to the page: hand it to Pause.
    setTimeout(() => panelRef.current?.querySelector<HTMLButtonElement>('[data-testid=job-distill] [data-testid=job-pause]')?.focus({ preventScroll: true }), 0);
  };

  return (
    <>
      {/* Without a shipped teacher, training one comes first; with one, it is an aside, below the run. */}
      {isToy && !shippedTeacher && <ToyTeacherPanel hasTeacher={false} />}
      <section className="panel" aria-labelledby="distill-title" ref={panelRef}>
        <h2 id="distill-title">{isToy && !shippedTeacher ? '2. ' : ''}Progressive distillation</h2>
        <p className="hint">
          Each round trains a student, initialised as a copy of its teacher, to match in <b>one</b> DDIM step what the teacher does in <b>two</b>.
          The student then becomes the teacher of the next round: {halvable ? `${chainText(fromSteps, toSteps)} steps (${count(roundCount, 'round')})` : 'a 1-step model has no step left to halve; pick a teacher with more steps'}.
        </p>
        {/* A run's settings cannot change under it: locked until it ends, so the line above always describes it. */}
        <fieldset className="controls" disabled={running} data-testid="distill-settings">
          <legend className="sr-only">Distillation settings</legend>
          <label>teacher <select value={teacher?.id ?? ''} onChange={(e) => setPick(e.target.value)} data-testid="distill-teacher">
            {listOrder(pool, settings.mode, settings.toy).map((m) => <option key={m.id} value={m.id}>{withSteps(labels.get(m.id) ?? m.name, m.steps)}</option>)}
          </select></label>
          <label>from <select value={fromSteps} disabled={teacher?.role === 'student'} onChange={(e) => setSetting('from', Number(e.target.value))} data-testid="distill-from">
            {STEP_CHOICES.slice(1).map((n) => <option key={n} value={n}>{n} steps</option>)}
          </select></label>
          <label>to <select value={halvable ? toSteps : ''} disabled={!halvable} onChange={(e) => setSetting('to', Number(e.target.value))} data-testid="distill-to">
            {!halvable && <option value="">—</option>}
            {STEP_CHOICES.filter((n) => n < fromSteps).map((n) => <option key={n} value={n}>{count(n, 'step')}</option>)}
          </select></label>
          <NumberField label="iterations per round" value={run.iterations} onChange={(v) => setSetting('iters', v)} min={1} max={100_000} integer testId="distill-iters" />
          <NumberField label="batch" value={run.batchSize} onChange={(v) => setSetting('dbatch', v)} min={1} max={1024} integer testId="distill-batch" />
          <NumberField label="learning rate" value={run.learningRate} onChange={(v) => setSetting('lr', v)} min={1e-6} max={1} testId="distill-lr" />
          <button className="primary" disabled={!teacher || needsWebgpu || running || !halvable} onClick={start} data-testid="start-distill">Start</button>
        </fieldset>
        {locked && <p className="muted small" data-testid="settings-locked">These are the running distillation's settings; they unlock when it ends.</p>}
        {needsWebgpu && <p className="banner warn">Distilling this UNet needs WebGPU or wasm: this browser runs tfjs on {backend?.name}, where training a convolutional network takes minutes per step. The 2D toy mode distills on any backend.</p>}
        {slowUnet && (
          <p className="banner info">
            Without WebGPU this UNet distills on wasm, on one CPU core: about 1.4 s per iteration at batch 64, so 300 iterations take about 7 minutes{wasmEstimate}.
            For a demonstration, halve once with about 50 iterations (about a minute), or use WebGPU.{' '}
            <button className="small" disabled={running} onClick={() => patchSettings({ teacher: '', from: 8, to: 4, iters: 50 })} data-testid="demo-settings">Use 8 → 4, 50 iterations</button>
          </p>
        )}
        {!teacher && <p className="muted">{isToy ? 'Train a toy teacher above first.' : 'Load a teacher checkpoint first.'}</p>}
        {runHere && ownRun && resultsJobId !== null && resultsJobId !== jobId && distilledTeacher && (
          <p className="muted" data-testid="previous-run">The charts below are the previous run's, from {labels.get(distilledTeacher.id) ?? distilledTeacher.name}: {running ? 'this one has no figures yet' : `the last run was ${job?.status === 'failed' ? 'stopped by an error' : 'cancelled'} before it finished a round`}.</p>
        )}
        {runHere ? <JobBar jobId={jobId} pausable /> : startedTeacher && (
          <p className="muted" data-testid="other-run">
            {running
              ? `A distillation of ${setName(startedTeacher)} is ${job?.status === 'paused' ? 'paused' : 'running'}: switch back to it to see it. The settings above, shared by every set, unlock when it ends.`
              : `The last distillation ran on a model of ${setName(startedTeacher)}: switch back to it to see its charts.`}
          </p>
        )}
        <div className="charts" ref={chartsRef}>
          <div>
            <h3>Distillation loss</h3>
            <p className="hint">Reported every few iterations; a round's first point is its student as copied from the teacher, before any update. A dashed line marks where a round starts: the loss jumps there, as the new student must match two bigger steps of its teacher.</p>
            <LossChart points={shownLoss} />
          </div>
          <div>
            <h3>Quality against steps <span className="muted small">(lower is better)</span></h3>
            <p className="hint">{shownMetric ? `${shownMetric[0].toUpperCase()}${shownMetric.slice(1)}.` : 'Computed after each round.'} The line is the teacher with plain DDIM; the dots are the students.</p>
            <QualityChart teacherCurve={shownCurve} rounds={shownRounds} metric={shownMetric} />
          </div>
        </div>
        {shownRounds.length > 0 && (
          <table className="rounds" data-testid="rounds">
            <thead><tr><th>stage</th><th>steps</th><th>final loss</th><th>student {metricName}</th><th>teacher's DDIM {metricName}, same steps</th><th><span className="sr-only">download</span></th></tr></thead>
            <tbody>
              {shownRounds.map((r) => (
                <tr key={r.round} data-testid="round-row">
                  <td>{r.student.lineage?.stage ?? r.round}</td>
                  <td>{r.fromSteps} → {r.toSteps}</td>
                  <td>{formatLoss(r.finalLoss)}</td>
                  <td>{quality(r.studentQuality)}</td>
                  <td>{quality(r.teacherQuality)}</td>
                  <td><button onClick={() => void downloadModel(r.student.id)} data-testid="download-student" title={`saves student-${r.toSteps}-trained-${r.student.hash.slice(0, 8)}.safetensors`}>Download student-{r.toSteps}</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {shownRounds.length > 0 && <p className="hint">Students trained here live in this tab only (float32, so twice the size of the shipped F16 files): download the ones to keep.</p>}
        {ownRun && (rounds.length > 0 || teacherPoints) && (
          <>
            <StageSamples rounds={rounds} teacherPoints={teacherPoints} fromSteps={rounds[0]?.fromSteps ?? fromSteps} shape={isToy ? null : (distilledTeacher?.sampleShape ?? null)} />
            <p className="hint">{isToy ? `${TOY_POINTS.toLocaleString('en')} points per plot` : `The first ${STAGE_IMAGES} images of each stage`}, all from the same noise.</p>
          </>
        )}
      </section>
      {isToy && <Trajectories teacher={(ownRun ? distilledTeacher : undefined) ?? teacher} rounds={shownRounds} fromSteps={shownRounds[0]?.fromSteps ?? fromSteps} />}
      {isToy && shippedTeacher && <ToyTeacherPanel hasTeacher />}
    </>
  );
}

// Every loaded checkpoint with what it is: role, step count, lineage (which loaded teacher, by content hash),
// parameter count and file size; and every file that failed to load, with the loader's one-line reason.
import { downloadModel, modelLabel } from '../actions';
import { useStore } from '../store';
import type { ModelInfo } from '../../worker/protocol';

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} kB`;
  return `${n} B`;
}

function Lineage({ model, models }: { model: ModelInfo; models: ModelInfo[] }) {
  const l = model.lineage;
  if (!l) return <span className="muted">{model.role === 'teacher' ? 'trained from data' : 'no lineage recorded'}</span>;
  const teacher = models.find((m) => m.hash === l.teacherHash);
  return (
    <span>
      stage {l.stage}: {l.teacherSteps}→{model.steps ?? '?'} steps, from{' '}
      {teacher ? <b>{modelLabel(teacher)}</b> : <span className="muted" title={l.teacherHash}>teacher {l.teacherHash.slice(0, 8)} (not loaded)</span>}
    </span>
  );
}

export function ModelList() {
  const models = useStore((s) => s.models);
  const errors = useStore((s) => s.loadErrors);
  const pending = useStore((s) => s.pendingLoads);
  const dismiss = useStore((s) => s.dismissLoadError);
  return (
    <section className="panel" aria-labelledby="models-title">
      <h2 id="models-title">Checkpoints</h2>
      <p className="hint">Drop <code>.safetensors</code> files anywhere on the page. A teacher samples with any number of steps; a student was distilled for one step count.</p>
      <table className="models" data-testid="model-list">
        <thead>
          <tr><th>model</th><th>role</th><th>steps</th><th>lineage</th><th>params</th><th>size</th><th /></tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.id} data-testid="model-row" data-model-name={m.name}>
              <td title={m.hash}>{modelLabel(m)} <span className="muted small">{m.source}</span></td>
              <td>{m.role}</td>
              <td>{m.steps ?? 'any'}</td>
              <td><Lineage model={m} models={models} /></td>
              <td>{formatCount(m.parameterCount)}</td>
              <td>{formatBytes(m.fileBytes)}</td>
              <td><button className="small" onClick={() => void downloadModel(m.id)} aria-label={`download ${modelLabel(m)}`}>⤓</button></td>
            </tr>
          ))}
          {Object.entries(pending).map(([id, name]) => (
            <tr key={id} className="muted"><td colSpan={7}>loading {name}…</td></tr>
          ))}
        </tbody>
      </table>
      {errors.map((e) => (
        <div key={e.id} className="load-error" role="alert" data-testid="load-error">
          <span><b>{e.name}</b> was not loaded: {e.message}</span>
          <button className="small" onClick={() => dismiss(e.id)} aria-label="dismiss">✕</button>
        </div>
      ))}
    </section>
  );
}

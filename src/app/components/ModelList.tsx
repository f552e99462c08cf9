// Every loaded checkpoint with what it is: the set it models, role, step count, lineage (which loaded teacher,
// by content hash), parameter count and file size. The set on screen comes first; teachers, then students from
// most steps to fewest. (Files that failed to load are told at the top of the page: LoadMessages.)
import { useMemo } from 'react';
import { downloadModel, listOrder, menuLabels, modelLabel, modelSet } from '../actions';
import { useStore } from '../store';
import { inView } from '../store/modelsSlice';
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

function Lineage({ model, models, labels }: { model: ModelInfo; models: ModelInfo[]; labels: Map<string, string> }) {
  const l = model.lineage;
  if (!l) return <span className="muted">{model.role === 'teacher' ? 'trained from data' : 'no lineage recorded'}</span>;
  const teacher = models.find((m) => m.hash === l.teacherHash);
  return (
    <span>
      stage {l.stage}: {l.teacherSteps}→{model.steps ?? '?'} steps, from{' '}
      {teacher ? <b>{labels.get(teacher.id) ?? modelLabel(teacher)}</b> : <span className="muted" title={l.teacherHash}>teacher {l.teacherHash.slice(0, 8)} (not loaded)</span>}
    </span>
  );
}

/** Named as in the menus (three trained student-2s are #1, #2, #3 here too); a plain name gets its source beside it. */
function ModelName({ model, label = modelLabel(model) }: { model: ModelInfo; label?: string }) {
  return label === modelLabel(model) ? <>{label} <span className="muted small">{model.source}</span></> : <>{label}</>;
}

export function ModelList() {
  const models = useStore((s) => s.models);
  const pending = useStore((s) => s.pendingLoads);
  const mode = useStore((s) => s.settings.mode);
  const toy = useStore((s) => s.settings.toy);
  const rows = useMemo(() => listOrder(models, mode, toy), [models, mode, toy]);
  // Lineage names a teacher as the menus do: "student-4 (trained)" where a shipped student-4 is loaded too.
  const labels = useMemo(() => {
    const out = new Map<string, string>();
    const sets = new Map<string, ModelInfo[]>();
    for (const m of models) sets.set(modelSet(m), [...(sets.get(modelSet(m)) ?? []), m]);
    for (const pool of sets.values()) for (const [id, label] of menuLabels(pool)) out.set(id, label);
    return out;
  }, [models]);
  return (
    <section className="panel" aria-labelledby="models-title">
      <h2 id="models-title">Checkpoints</h2>
      <p className="hint">Drop <code>.safetensors</code> files anywhere on the page. A teacher samples with any number of steps; a student was distilled for one step count. Models of another mode or toy set are dimmed.</p>
      <table className="models" data-testid="model-list">
        <thead>
          <tr><th>model</th><th>data</th><th>role</th><th>steps</th><th>lineage</th><th>params</th><th>size</th><th /></tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={m.id} data-testid="model-row" data-model-name={m.name} className={inView(m, mode, toy) ? '' : 'other-set'}>
              <td title={m.hash}><ModelName model={m} label={labels.get(m.id)} /></td>
              <td>{m.dataKind === 'image' ? 'MNIST' : m.dataName}</td>
              <td>{m.role}</td>
              <td>{m.steps ?? 'any'}</td>
              <td><Lineage model={m} models={models} labels={labels} /></td>
              <td>{formatCount(m.parameterCount)}</td>
              <td>{formatBytes(m.fileBytes)}</td>
              <td><button className="small" onClick={() => void downloadModel(m.id)} aria-label={`download ${labels.get(m.id) ?? modelLabel(m)}`}>⤓</button></td>
            </tr>
          ))}
          {Object.entries(pending).map(([id, { name }]) => (
            <tr key={id} className="muted"><td colSpan={8}>loading {name}…</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

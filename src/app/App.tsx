// The page: header (mode, view, backend, file picker), the no-WebGPU banner, the checkpoint list and the
// current view. Starting the worker, loading the shipped models and redrawing the comparison happen here.
import { useEffect, useMemo, useRef, useState } from 'react';
import { currentSet, loadImageMetric, loadShippedSet, resolveColumns, runCompare } from './actions';
import { BackendBanner } from './components/BackendBanner';
import { CompareView } from './components/CompareView';
import { DistillView } from './components/DistillView';
import { DropOverlay, FilePicker, useWindowDrop } from './components/DropZone';
import { LoadMessages } from './components/LoadMessages';
import { ModelList } from './components/ModelList';
import type { Mode, View } from './settings';
import { useStore } from './store';
import { backendFromQuery, shareableLink, syncSettingsWithUrl } from './urlSync';
import { installTestHooks, send, startWorker, testHooksEnabled } from './workerClient';
import { count } from '../core/words';

function useAutoCompare(): void {
  const settings = useStore((s) => s.settings);
  const models = useStore((s) => s.models);
  const backend = useStore((s) => s.backend);
  const loading = useStore((s) => Object.keys(s.pendingLoads).length > 0);
  const key = useMemo(() => {
    const cols = resolveColumns(settings, models).filter((c) => c.model).map((c) => `${c.model!.id}@${c.ref.steps}`);
    return cols.length ? `${settings.mode}|${settings.seed}|${settings.eta}|${settings.batch}|${cols.join(',')}` : '';
  }, [settings, models]);
  const last = useRef('');
  useEffect(() => {
    if (!backend || loading || !key || key === last.current || settings.view !== 'compare') return;
    const timer = setTimeout(() => {
      last.current = key;
      runCompare();
    }, 250);
    return () => clearTimeout(timer);
  }, [key, backend, loading, settings.view]);
}

function BackendBadge() {
  const backend = useStore((s) => s.backend);
  if (!backend) return <span className="badge">starting…</span>;
  // One word for the adapter (its architecture, else its vendor), so the header keeps to one row at 1280 px;
  // the whole of it on hover and for screen readers.
  const full = backend.adapter ? ` · ${backend.adapter.vendor || ''} ${backend.adapter.architecture || ''}`.trimEnd() : '';
  const short = backend.adapter ? backend.adapter.architecture || backend.adapter.vendor : '';
  const threads = backend.threads ? ` · ${count(backend.threads, 'thread')}` : '';
  return <span className={`badge ${backend.name === 'webgpu' ? 'ok' : 'warn'}`} data-testid="backend-badge" role="status" title={`${backend.name}${full}${threads}${backend.adapter?.description ? ` (${backend.adapter.description})` : ''}`} aria-label={`tensor backend: ${backend.name}${full}${threads}`}>{backend.name}{short ? ` · ${short}` : ''}</span>;
}

function Tabs<T extends string>({ value, options, onChange, label, controls }: { value: T; options: [T, string][]; onChange(v: T): void; label: string; controls?: string }) {
  // The WAI-ARIA tabs pattern: one tab stop, arrow keys move between the tabs (and select, as they switch instantly).
  const move = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const at = options.findIndex(([v]) => v === value);
    const next = (at + step + options.length) % options.length;
    onChange(options[next][0]);
    (e.currentTarget.children[next] as HTMLElement | undefined)?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label} onKeyDown={move}>
      {options.map(([v, text]) => (
        <button key={v} id={`tab-${label}-${v}`} role="tab" aria-selected={value === v} aria-controls={controls} tabIndex={value === v ? 0 : -1} className={value === v ? 'active' : ''} onClick={() => onChange(v)}>{text}</button>
      ))}
    </div>
  );
}

function CopyLink() {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(null), 2500);
    return () => clearTimeout(t);
  }, [copied]);
  const copy = () => {
    const link = shareableLink(location.href);
    const done = navigator.clipboard?.writeText(link);
    if (!done) return setCopied('no');
    done.then(() => setCopied('yes'), () => setCopied('no'));
  };
  return (
    <button onClick={copy} title="Copy a link that reproduces this view" data-testid="copy-link" aria-live="polite">
      {copied === 'yes' ? 'Link copied ✓' : copied === 'no' ? 'Copy failed: use the address bar' : 'Copy link'}
    </button>
  );
}

export function App() {
  const settings = useStore((s) => s.settings);
  const patch = useStore((s) => s.patchSettings);
  const dragging = useWindowDrop();

  useEffect(() => {
    startWorker();
    const testHooks = testHooksEnabled();
    if (testHooks) installTestHooks();
    send({ type: 'init', backend: backendFromQuery(), testHooks });
    return syncSettingsWithUrl();
  }, []);
  useEffect(() => {
    void loadShippedSet(currentSet(settings));
    if (settings.mode === 'mnist') void loadImageMetric();
  }, [settings.mode, settings.toy]);
  useAutoCompare();

  return (
    <div className="app">
      <DropOverlay visible={dragging} />
      <header>
        <h1>Halfstep</h1>
        <div className="header-controls">
          <Tabs<Mode> label="mode" value={settings.mode} options={[['mnist', 'Digits (MNIST)'], ['toy', '2D toy']]} onChange={(mode) => patch({ mode, cols: [] })} />
          <Tabs<View> label="view" controls="main-view" value={settings.view} options={[['compare', 'Compare'], ['distill', 'Distill']]} onChange={(view) => patch({ view })} />
          <FilePicker />
          <CopyLink />
          <BackendBadge />
        </div>
      </header>
      <p className="tagline">Progressive distillation (Salimans &amp; Ho, 2022): a student learns to do in one step what its teacher does in two, then teaches the next student, until one step does what many did (the shipped digits: 256 → 128 → … → 1).</p>
      <BackendBanner />
      <LoadMessages />
      <main id="main-view" role="tabpanel" aria-labelledby={`tab-view-${settings.view}`}>
        {settings.view === 'compare' ? <CompareView /> : <DistillView />}
        <ModelList />
      </main>
    </div>
  );
}

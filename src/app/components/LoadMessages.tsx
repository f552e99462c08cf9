// What happened to the files just dropped, at the top of the page where the eye is: why one did not load (and
// what to do), that one was already loaded, or that one belongs to the other mode or toy set.
import { useEffect } from 'react';
import { modelLabel, setName } from '../actions';
import { isToyDataset } from '../../data/toy2d';
import { useStore } from '../store';
import { inView, type LoadNotice } from '../store/modelsSlice';
import type { ModelInfo } from '../../worker/protocol';

/** How long a notice (not an error) stays: long enough to read aloud, then it stops covering the controls. */
export const NOTICE_SECONDS = 20;

function NoticeText({ notice, model }: { notice: LoadNotice; model: ModelInfo | undefined }) {
  const patch = useStore((s) => s.patchSettings);
  const dismiss = useStore((s) => s.dismissLoadNotice);
  const mode = useStore((s) => s.settings.mode);
  const toy = useStore((s) => s.settings.toy);
  if (!model) return <span><b>{notice.name}</b> was loaded.</span>;
  const toMnist = model.dataKind === 'image';
  const modelToy = model.dataName;
  const canShow = toMnist || isToyDataset(modelToy);
  const show = () => {
    if (toMnist) patch({ mode: 'mnist', cols: [] });
    else if (isToyDataset(modelToy)) patch({ mode: 'toy', toy: modelToy, cols: [] });
    dismiss(notice.id);
  };
  const showButton = canShow && <button className="small" onClick={show} data-testid="show-set">Show {toMnist ? 'MNIST' : model.dataName}</button>;
  if (notice.kind === 'alreadyLoaded') {
    // Listed once, but maybe not in the menus on screen: say where it is.
    const elsewhere = !inView(model, mode, toy);
    return (
      <span>
        <b>{notice.name}</b> is already loaded, as <b>{modelLabel(model)}</b> ({model.source}): the same checkpoint is listed once.
        {elsewhere && <> It is a model of {setName(model)}, in that mode's menus. {showButton}</>}
      </span>
    );
  }
  return (
    <span>
      <b>{notice.name}</b> is a model of {setName(model)}: it is listed under Checkpoints, and its menus are in that mode.{' '}
      {showButton}
    </span>
  );
}

/** A notice goes by itself after NOTICE_SECONDS; an error stays until dismissed (it says what to do). */
function Notice({ notice, model }: { notice: LoadNotice; model: ModelInfo | undefined }) {
  const dismiss = useStore((s) => s.dismissLoadNotice);
  useEffect(() => {
    const timer = setTimeout(() => dismiss(notice.id), NOTICE_SECONDS * 1000);
    return () => clearTimeout(timer);
  }, [notice.id, dismiss]);
  return (
    <div className="load-notice" data-testid="load-notice" data-kind={notice.kind}>
      <NoticeText notice={notice} model={model} />
      <button className="small" onClick={() => dismiss(notice.id)} aria-label={`dismiss the message about ${notice.name}`}>✕</button>
    </div>
  );
}

export function LoadMessages() {
  const errors = useStore((s) => s.loadErrors);
  const notices = useStore((s) => s.loadNotices);
  const models = useStore((s) => s.models);
  const dismissError = useStore((s) => s.dismissLoadError);
  const dismissNotice = useStore((s) => s.dismissLoadNotice);
  const dismissAll = useStore((s) => s.dismissLoadMessages);
  const mode = useStore((s) => s.settings.mode);
  const toy = useStore((s) => s.settings.toy);
  // "It belongs to another set" has done its job once that set is on screen: it goes then (and a hidden notice
  // would never start its timer).
  const done = notices.filter((n) => {
    const m = models.find((x) => x.id === n.modelId);
    return n.kind === 'otherSet' && m !== undefined && inView(m, mode, toy);
  });
  useEffect(() => {
    for (const n of done) dismissNotice(n.id);
  }, [done, dismissNotice]);
  const shown = notices.filter((n) => !done.includes(n));
  // Always in the page, empty when there is nothing to say: a live region inserted with its text is often not read out.
  return (
    <div className="load-messages" aria-live="polite">
      {/* First, and sticky inside the box: with a pile of messages the box scrolls, and this is what clears it. */}
      {errors.length + shown.length > 1 && <button className="small dismiss-all" onClick={dismissAll} data-testid="dismiss-all">Dismiss all {errors.length + shown.length} messages</button>}
      {errors.map((e) => (
        <div key={e.id} className="load-error" data-testid="load-error">
          <span><b>{e.name}</b> {e.unlisted ? 'was taken off the list' : 'was not loaded'}: {e.message}</span>
          <button className="small" onClick={() => dismissError(e.id)} aria-label={`dismiss the message about ${e.name}`}>✕</button>
        </div>
      ))}
      {shown.map((n) => <Notice key={n.id} notice={n} model={models.find((m) => m.id === n.modelId)} />)}
    </div>
  );
}

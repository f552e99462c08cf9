// What happened to the files just dropped, at the top of the page where the eye is: why one did not load (and
// what to do), that one was already loaded, or that one belongs to the other mode or toy set.
import { modelLabel, setName } from '../actions';
import { isToyDataset } from '../../data/toy2d';
import { useStore } from '../store';
import { inView, type LoadNotice } from '../store/modelsSlice';
import type { ModelInfo } from '../../worker/protocol';

function NoticeText({ notice, model }: { notice: LoadNotice; model: ModelInfo | undefined }) {
  const patch = useStore((s) => s.patchSettings);
  const dismiss = useStore((s) => s.dismissLoadNotice);
  if (!model) return <span><b>{notice.name}</b> was loaded.</span>;
  if (notice.kind === 'alreadyLoaded') {
    return <span><b>{notice.name}</b> is already loaded, as <b>{modelLabel(model)}</b> ({model.source}): the same checkpoint is listed once.</span>;
  }
  const toMnist = model.dataKind === 'image';
  const toy = model.dataName;
  const canShow = toMnist || isToyDataset(toy);
  const show = () => {
    if (toMnist) patch({ mode: 'mnist', cols: [] });
    else if (isToyDataset(toy)) patch({ mode: 'toy', toy, cols: [] });
    dismiss(notice.id);
  };
  return (
    <span>
      <b>{notice.name}</b> is a model of {setName(model)}: it is listed under Checkpoints, and its menus are in that mode.{' '}
      {canShow && <button className="small" onClick={show} data-testid="show-set">
        Show {toMnist ? 'MNIST' : model.dataName}
      </button>}
    </span>
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
  // "It belongs to another set" has done its job once that set is on screen.
  const shown = notices.filter((n) => {
    const m = models.find((x) => x.id === n.modelId);
    return !(n.kind === 'otherSet' && m && inView(m, mode, toy));
  });
  // Always in the page, empty when there is nothing to say: a live region inserted with its text is often not read out.
  return (
    <div className="load-messages" aria-live="polite">
      {errors.map((e) => (
        <div key={e.id} className="load-error" data-testid="load-error">
          <span><b>{e.name}</b> {e.unlisted ? 'was taken off the list' : 'was not loaded'}: {e.message}</span>
          <button className="small" onClick={() => dismissError(e.id)} aria-label={`dismiss the message about ${e.name}`}>✕</button>
        </div>
      ))}
      {shown.map((n) => (
        <div key={n.id} className="load-notice" data-testid="load-notice" data-kind={n.kind}>
          <NoticeText notice={n} model={models.find((m) => m.id === n.modelId)} />
          <button className="small" onClick={() => dismissNotice(n.id)} aria-label={`dismiss the message about ${n.name}`}>✕</button>
        </div>
      ))}
      {/* They stay on screen while the page scrolls: one click clears a pile of them. */}
      {errors.length + shown.length > 1 && <button className="small dismiss-all" onClick={dismissAll} data-testid="dismiss-all">Dismiss all {errors.length + shown.length} messages</button>}
    </div>
  );
}

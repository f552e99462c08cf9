// The toy-set menu of the 2D mode, above the columns and in the teacher panel: picking a set shows its
// default columns (a link's columns name models of the set it was made for).
import { TOY_DATASETS, type ToyDatasetName } from '../../data/toy2d';
import { useStore } from '../store';

export function ToySetPicker({ testId }: { testId: string }) {
  const toy = useStore((s) => s.settings.toy);
  const patch = useStore((s) => s.patchSettings);
  return (
    <label>toy set <select value={toy} onChange={(e) => patch({ toy: e.target.value as ToyDatasetName, cols: [] })} data-testid={testId}>
      {TOY_DATASETS.map((n) => <option key={n} value={n}>{n}</option>)}
    </select></label>
  );
}

// Drop .safetensors anywhere on the page, or pick them with the button; each file goes to the worker to be checked.
import { useEffect, useRef, useState } from 'react';
import { loadFile } from '../actions';

function filesOf(dt: DataTransfer | null): File[] {
  return dt ? Array.from(dt.files) : [];
}

export function useWindowDrop(): boolean {
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const over = (e: DragEvent) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const enter = (e: DragEvent) => {
      e.preventDefault();
      depth += 1;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setDragging(false);
      for (const f of filesOf(e.dataTransfer)) void loadFile(f);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);
  return dragging;
}

export function DropOverlay({ visible }: { visible: boolean }) {
  if (!visible) return null;
  return <div className="drop-overlay">Drop .safetensors checkpoints to load them</div>;
}

export function FilePicker() {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button onClick={() => input.current?.click()}>Load checkpoint…</button>
      <input
        ref={input}
        type="file"
        accept=".safetensors"
        multiple
        hidden
        data-testid="file-input"
        onChange={(e) => {
          for (const f of Array.from(e.target.files ?? [])) void loadFile(f);
          e.target.value = '';
        }}
      />
    </>
  );
}

// React wrappers around ../draw.ts: each redraws its canvas when its data changes.
import { useEffect, useRef } from 'react';
import { drawImageGrid, drawImageStrip, drawPaths, drawPointCloud, stripColumns } from '../draw';

export function ImageGrid({ samples, shape, count, label }: { samples: Float32Array; shape: number[]; count: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawImageGrid(ref.current, samples, shape, count);
  }, [samples, shape, count]);
  return <canvas ref={ref} className="pixelated sample-grid" role="img" aria-label={label} data-testid="sample-grid" />;
}

/** The x̂ frames the worker kept (`stripFrames`: every step of a few-step sampler, 8 evenly spaced of a long one). */
export function ImageStrip({ frames, shape, steps, label }: { frames: Float32Array; shape: number[]; steps: number[]; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const count = steps.length;
  useEffect(() => {
    if (ref.current) drawImageStrip(ref.current, frames, shape, count);
  }, [frames, shape, count]);
  // Frames at 3x their pixels, shrunk to the column's width when they do not fit (pixelated), never scrolled.
  const natural = stripColumns(count) * (shape[1] + 1) - 1;
  return (
    <>
      <canvas ref={ref} className="pixelated strip-canvas" style={{ width: `min(100%, ${3 * natural}px)` }} role="img" aria-label={label} data-testid="trajectory-strip" />
      <div className="muted small" data-testid="strip-steps">{`step${count === 1 ? '' : 's'} ${steps.map((k) => k + 1).join(' · ')}`}</div>
    </>
  );
}

export function PointCloud({ points, reference, size = 360, label }: { points: Float32Array; reference?: Float32Array; size?: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawPointCloud(ref.current, size, points, reference);
  }, [points, reference, size]);
  // At most `size` px, shrunk with its column (four 2D columns on a 1024 px projector), square.
  return <canvas ref={ref} style={{ width: '100%', maxWidth: size, aspectRatio: '1', height: 'auto' }} role="img" aria-label={label} data-testid="point-cloud" />;
}

export function PathPlot({ paths, count, steps, reference, size = 300, label, extent }: { paths: Float32Array; count: number; steps: number; reference?: Float32Array; size?: number; label: string; extent?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawPaths(ref.current, size, paths, count, steps, reference, extent);
  }, [paths, count, steps, reference, size, extent]);
  return <canvas ref={ref} style={{ width: '100%', maxWidth: size, aspectRatio: '1', height: 'auto' }} role="img" aria-label={label} data-testid="path-plot" />;
}

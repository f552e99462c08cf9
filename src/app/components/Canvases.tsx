// React wrappers around ../draw.ts: each redraws its canvas when its data changes.
import { useEffect, useRef } from 'react';
import { drawImageGrid, drawImageStrip, drawPaths, drawPointCloud } from '../draw';

export function ImageGrid({ samples, shape, count, label }: { samples: Float32Array; shape: number[]; count: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawImageGrid(ref.current, samples, shape, count);
  }, [samples, shape, count]);
  return <canvas ref={ref} className="pixelated sample-grid" role="img" aria-label={label} data-testid="sample-grid" />;
}

export function ImageStrip({ frames, shape, count, label }: { frames: Float32Array; shape: number[]; count: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawImageStrip(ref.current, frames, shape, count);
  }, [frames, shape, count]);
  // Few frames are drawn large; hundreds of frames (a 256-step teacher) scroll at natural size.
  const scale = count <= 8 ? 3 : count <= 32 ? 2 : 1;
  return <canvas ref={ref} className="pixelated" style={{ height: shape[0] * scale }} role="img" aria-label={label} data-testid="trajectory-strip" />;
}

export function PointCloud({ points, reference, size = 260, label }: { points: Float32Array; reference?: Float32Array; size?: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawPointCloud(ref.current, size, points, reference);
  }, [points, reference, size]);
  return <canvas ref={ref} style={{ width: size, height: size }} role="img" aria-label={label} data-testid="point-cloud" />;
}

export function PathPlot({ paths, count, steps, reference, size = 260, label }: { paths: Float32Array; count: number; steps: number; reference?: Float32Array; size?: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawPaths(ref.current, size, paths, count, steps, reference);
  }, [paths, count, steps, reference, size]);
  return <canvas ref={ref} style={{ width: size, height: size }} role="img" aria-label={label} data-testid="path-plot" />;
}

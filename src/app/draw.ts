// Canvas drawing of what the worker sends back: image grids, image strips, 2D point clouds and ODE paths.
// Inputs are plain Float32Arrays; images are in [-1, 1] (the models' data range), points roughly in [-2.5, 2.5]².

/** Writes image k of a [N, H, W, C] batch into `img` at pixel offset (ox, oy), mapping [-1, 1] to 0..255. */
function blit(img: ImageData, src: Float32Array, k: number, h: number, w: number, c: number, ox: number, oy: number): void {
  const base = k * h * w * c;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = ((oy + y) * img.width + (ox + x)) * 4;
      const i = base + (y * w + x) * c;
      for (let ch = 0; ch < 3; ch++) {
        const v = src[i + (c === 1 ? 0 : ch)];
        img.data[o + ch] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
      }
      img.data[o + 3] = 255;
    }
  }
}

/** A near-square grid of `count` images of shape [H, W, C], 1-pixel gaps; the canvas is sized in image pixels. */
export function drawImageGrid(canvas: HTMLCanvasElement, samples: Float32Array, shape: number[], count: number): void {
  const [h, w, c] = shape;
  const cols = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  canvas.width = cols * (w + 1) - 1;
  canvas.height = rows * (h + 1) - 1;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(40);
  for (let k = 0; k < count; k++) blit(img, samples, k, h, w, c, (k % cols) * (w + 1), Math.floor(k / cols) * (h + 1));
  ctx.putImageData(img, 0, 0);
}

/** Frames of a strip per row: up to 4 in one row, more in two (8 in one row shrink below their own pixels in a column). */
export const stripColumns = (count: number): number => (count > 4 ? Math.ceil(count / 2) : count);

/** `count` images in order, left to right and then on a second row when more than 4, 1-pixel gaps. */
export function drawImageStrip(canvas: HTMLCanvasElement, frames: Float32Array, shape: number[], count: number): void {
  const [h, w, c] = shape;
  const cols = stripColumns(count);
  const rows = Math.ceil(count / cols);
  canvas.width = cols * (w + 1) - 1;
  canvas.height = rows * (h + 1) - 1;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(40);
  for (let k = 0; k < count; k++) blit(img, frames, k, h, w, c, (k % cols) * (w + 1), Math.floor(k / cols) * (h + 1));
  ctx.putImageData(img, 0, 0);
}

/** Half-width of the square of data space the 2D plots show. */
export const PLOT_EXTENT = 2.6;

/**
 * Half-width of a square that holds every point of these paths ([count, steps + 1, 2] each): PLOT_EXTENT, or
 * wider in steps of 0.5 where the noise they start from reaches past it (a standard normal does, a few points in
 * a hundred), so that no trajectory leaves the plot. One value for a row of plots keeps them comparable.
 */
export function pathsExtent(paths: readonly Float32Array[]): number {
  let far = 0;
  for (const p of paths) for (const v of p) if (Number.isFinite(v)) far = Math.max(far, Math.abs(v));
  const needed = far * 1.02;
  return needed <= PLOT_EXTENT ? PLOT_EXTENT : Math.ceil(needed / 0.5) * 0.5;
}

function toPixel(v: number, size: number, flip: boolean, extent = PLOT_EXTENT): number {
  const u = (v + extent) / (2 * extent);
  return (flip ? 1 - u : u) * size;
}

function clearPlot(canvas: HTMLCanvasElement, size: number): CanvasRenderingContext2D {
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  canvas.width = size * dpr;
  canvas.height = size * dpr;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#14161c';
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = '#2a2e38';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(size / 2, 0);
  ctx.lineTo(size / 2, size);
  ctx.moveTo(0, size / 2);
  ctx.lineTo(size, size / 2);
  ctx.stroke();
  return ctx;
}

function dots(ctx: CanvasRenderingContext2D, points: Float32Array, size: number, color: string, radius: number, extent = PLOT_EXTENT): void {
  ctx.fillStyle = color;
  for (let i = 0; i < points.length; i += 2) {
    const x = toPixel(points[i], size, false, extent);
    const y = toPixel(points[i + 1], size, true, extent);
    ctx.fillRect(x - radius, y - radius, 2 * radius, 2 * radius);
  }
}

/** Samples (yellow) and the toy set (faint grey, drawn over them), both [n, 2]. */
export function drawPointCloud(canvas: HTMLCanvasElement, size: number, points: Float32Array, reference?: Float32Array): void {
  const ctx = clearPlot(canvas, size);
  // The data on top of the samples, faint: where samples cover it, it still shows through.
  dots(ctx, points, size, 'rgba(255, 196, 61, 0.8)', 1.5);
  // Strong enough to see on a washed-out projector, small enough not to hide the samples under it.
  if (reference) dots(ctx, reference, size, 'rgba(200, 210, 230, 0.6)', 1.2);
}

/** ODE paths [count, steps + 1, 2]: one blue polyline per point, its noise end white, its data end yellow; `extent`: pathsExtent(). */
export function drawPaths(canvas: HTMLCanvasElement, size: number, paths: Float32Array, count: number, steps: number, reference?: Float32Array, extent = PLOT_EXTENT): void {
  const ctx = clearPlot(canvas, size);
  if (reference) dots(ctx, reference, size, 'rgba(150, 160, 185, 0.55)', 1.3, extent);
  const stride = (steps + 1) * 2;
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = 'rgba(110, 170, 255, 0.7)';
  ctx.beginPath();
  for (let p = 0; p < count; p++) {
    for (let k = 0; k <= steps; k++) {
      const x = toPixel(paths[p * stride + 2 * k], size, false, extent);
      const y = toPixel(paths[p * stride + 2 * k + 1], size, true, extent);
      if (k === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
  }
  ctx.stroke();
  const ends = new Float32Array(count * 2);
  const starts = new Float32Array(count * 2);
  for (let p = 0; p < count; p++) {
    starts[2 * p] = paths[p * stride];
    starts[2 * p + 1] = paths[p * stride + 1];
    ends[2 * p] = paths[p * stride + 2 * steps];
    ends[2 * p + 1] = paths[p * stride + 2 * steps + 1];
  }
  dots(ctx, starts, size, 'rgba(235, 240, 250, 0.85)', 1.3, extent);
  dots(ctx, ends, size, 'rgba(255, 196, 61, 0.95)', 1.8, extent);
}

// Builds the app once with Vite, serves the build with `vite preview` on 127.0.0.1 (WebGPU needs a secure
// context, which 127.0.0.1 is) and drives the system Chromium on SwiftShader's WebGPU through playwright-core.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ARTIFACTS = join(ROOT, 'test-results', 'e2e');

/** The flags measured to give headless Chromium a WebGPU adapter on SwiftShader (../../../shared/notes/webgpu.md). */
export const CHROME_FLAGS = [
  '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Served {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function serveApp(): Promise<Served> {
  const outDir = mkdtempSync(join(tmpdir(), 'halfstep-e2e-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  await build({ root: ROOT, logLevel: 'error', build: { outDir, emptyOutDir: true, reportCompressedSize: false } });
  const server: PreviewServer = await preview({ root: ROOT, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_FLAGS });
  return {
    url: `http://127.0.0.1:${address.port}/`,
    browser,
    close: async () => {
      await browser.close();
      await new Promise<void>((done) => server.httpServer.close(() => done()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Records the page's console errors and uncaught exceptions, so a failing test says what the page said. */
export function watchConsole(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') lines.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  return lines;
}

/** Dispatches a real `drop` event whose DataTransfer holds the given files, as a drag from the desktop would. */
export async function dropFiles(page: Page, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    document.body.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }));
    document.body.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') })));
}

/** True when the canvas has pixels of more than one colour (not blank, not a flat fill). */
export async function canvasHasContent(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (el) => {
    const c = el as HTMLCanvasElement;
    if (c.width === 0 || c.height === 0) return false;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length && seen.size < 3; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size >= 3;
  });
}

/** Waits until the element's text matches (playwright-core has no test-runner `expect`). */
export async function waitForText(locator: Locator, pattern: RegExp, timeout = 30_000): Promise<string> {
  await locator.filter({ hasText: pattern }).first().waitFor({ timeout });
  return (await locator.first().textContent()) ?? '';
}

/** Fills the Distill view's form (on screen) for a run from `teacher` (its menu label), `from` → `to` steps. */
export async function fillDistill(page: Page, run: { teacher: string; from: number; to: number; iters: number; batch?: number }): Promise<void> {
  await page.locator('[data-testid=distill-teacher]').selectOption({ label: run.teacher });
  await page.locator('[data-testid=distill-from]').selectOption(String(run.from));
  await page.locator('[data-testid=distill-to]').selectOption(String(run.to));
  await page.locator('[data-testid=distill-iters]').fill(String(run.iters));
  if (run.batch !== undefined) await page.locator('[data-testid=distill-batch]').fill(String(run.batch));
}

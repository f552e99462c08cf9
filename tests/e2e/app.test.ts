// The app in a real browser: headless Chromium with WebGPU on SwiftShader, the production build served by
// `vite preview`. One page walks through the main flows so shaders compile once (SwiftShader compiles slowly):
// open and draw, drop a checkpoint, drop a corrupt one, distill a tiny toy teacher and download the student.
// Screenshots land in test-results/e2e/ (the README's come from trained models: see docsScreenshots.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/io/checkpoint';
import { corruptCheckpoint, hashPrefix, misfitStudentOf, overflowingTeacher, tinyToyTeacher, tinyUnetTeacher } from './fixtures';
import { ARTIFACTS, canvasHasContent, CHROME_FLAGS, dropFiles, fillDistill, ROOT, serveApp, type Served, waitForText, watchConsole } from './harness';

let served: Served;
let page: Page;
let consoleLines: string[];
let teacherBytes: Uint8Array;
/** Rows in the checkpoint list once the dropped teacher is in (the shipped models are listed too). */
let rowsWithTeacher: number;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  teacherBytes = await tinyToyTeacher();
  served = await serveApp();
  page = await served.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  consoleLines = watchConsole(page);
});

afterAll(async () => {
  await served?.close();
});

describe('the app in Chromium (WebGPU on SwiftShader)', () => {
  it('opens, reports its backend and draws the columns of a dropped model from the link', async () => {
    const h = hashPrefix(teacherBytes);
    // Few steps: every DDIM step is a few hundred ms on SwiftShader.
    await page.goto(`${served.url}#mode=toy&cols=h:${h}@4,h:${h}@1`);
    await waitForText(page.locator('[data-testid=backend-badge]'), /webgpu/, 60_000);
    await dropFiles(page, [{ name: 'tiny-teacher.safetensors', bytes: teacherBytes }]);
    const dropped = page.locator('[data-testid=model-row][data-model-name^="tiny-teacher"]');
    await dropped.first().waitFor({ timeout: 30_000 });
    expect(await dropped.count()).toBe(1);
    rowsWithTeacher = await page.locator('[data-testid=model-row]').count();
    await page.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 120_000 });
    expect(await canvasHasContent(page, '[data-testid=column] canvas')).toBe(true);
    expect(await page.locator('[data-testid=nfe]').nth(1).textContent()).toBe('1');
    await waitForText(page.locator('[data-testid=quality]').first(), /^\d+\.\d+$/, 10_000);
    await shot('compare-toy');
  }, 180_000);

  it('lists a corrupt file with the loader\'s one-line reason and changes nothing else', async () => {
    await dropFiles(page, [{ name: 'corrupt.safetensors', bytes: corruptCheckpoint() }]);
    const error = await waitForText(page.locator('[data-testid=load-error]'), /corrupt\.safetensors was not loaded: \S/);
    expect(error).not.toContain('\n');
    expect(await page.locator('[data-testid=model-row]').count()).toBe(rowsWithTeacher);
    expect(await page.locator('[data-testid=column][data-ready=yes]').count()).toBe(2);
    // Still working: a new seed redraws both columns.
    const before = await page.locator('[data-testid=job-sample]').getAttribute('data-job-id');
    await page.locator('[data-testid=seed]').fill('7');
    await expect.poll(() => page.url()).toContain('seed=7');
    // Redrawn: a new sampling job (the seed-7 one starts after a short debounce, so the last one's "done" is not
    // it) done, and both columns ready with their canvas.
    await page.waitForFunction((last) => {
      const cols = [...document.querySelectorAll('[data-testid=column]')];
      const job = document.querySelector('[data-testid=job-sample]');
      return job?.getAttribute('data-job-id') !== last && job?.getAttribute('data-status') === 'done' && cols.length === 2 && cols.every((c) => c.getAttribute('data-ready') === 'yes' && c.querySelector('canvas'));
    }, before, { timeout: 60_000 });
    expect(await canvasHasContent(page, '[data-testid=column] canvas')).toBe(true);
    await shot('load-error');
  }, 90_000);

  it('samples with η > 0 when asked (stochastic DDIM), says so, and links it', async () => {
    // The columns of seed 7, drawn and done.
    await page.waitForFunction(() => {
      const cols = [...document.querySelectorAll('[data-testid=column]')];
      return cols.length === 2 && cols.every((c) => c.getAttribute('data-ready') === 'yes' && c.querySelector('canvas'));
    }, null, { timeout: 60_000 });
    await page.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 60_000 });
    const before = await page.$eval('[data-testid=column] canvas', (c) => (c as HTMLCanvasElement).toDataURL());
    await page.locator('[data-testid=eta]').fill('1');
    await expect.poll(() => page.url()).toContain('eta=1');
    await page.waitForFunction((prev) => {
      const cols = [...document.querySelectorAll('[data-testid=column]')];
      const canvas = document.querySelector('[data-testid=column] canvas') as HTMLCanvasElement | null;
      return cols.length === 2 && cols.every((c) => c.getAttribute('data-ready') === 'yes') && !!canvas && canvas.toDataURL() !== prev;
    }, before, { timeout: 60_000 });
    await waitForText(page.locator('section[aria-labelledby=compare-title] .hint').first(), /With η = 1 every step also adds fresh noise/);
    // Back to deterministic DDIM: the same picture as before.
    await page.locator('[data-testid=eta]').fill('0');
    await page.waitForFunction((prev) => (document.querySelector('[data-testid=column] canvas') as HTMLCanvasElement | null)?.toDataURL() === prev, before, { timeout: 60_000 });
    expect(page.url()).not.toContain('eta=');
  }, 150_000);

  it('distills the toy teacher one round in the browser and offers the student as a .safetensors download', async () => {
    await page.getByRole('tab', { name: 'Distill' }).click();
    // The dropped tiny teacher, not the shipped one (a much larger MLP for SwiftShader).
    await fillDistill(page, { teacher: 'tiny-teacher', from: 2, to: 1, iters: 6, batch: 16 });
    await page.locator('[data-testid=start-distill]').click();
    await page.locator('[data-testid=round-row]').first().waitFor({ timeout: 150_000 });
    const lossPoints = Number(await page.locator('[data-testid=loss-chart]').first().getAttribute('data-points'));
    expect(lossPoints).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=loss-chart] .recharts-line-curve').count()).toBeGreaterThan(0);
    await page.locator('[data-testid=job-distill][data-status=done]').waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=download-student]').first().click()]);
    // Named apart from a shipped file of the same steps: student-<steps>-trained-<8 hex of its hash>.
    expect(download.suggestedFilename()).toMatch(/^student-\d+-trained-[0-9a-f]{8}\.safetensors$/);
    const bytes = new Uint8Array(readFileSync(await download.path()));
    const student = readCheckpoint(bytes);
    expect(student.role).toBe('student');
    expect(student.steps).toBe(1);
    expect(student.lineage?.teacherHash).toBe(readCheckpoint(teacherBytes).hash);
    expect(student.lineage?.teacherSteps).toBe(2);
    await shot('distill-toy');
    // A run that fails before its first figure (a teacher whose outputs overflow) says why and leaves this
    // run's charts and rounds on screen, marked as the previous run's.
    const points = await page.locator('[data-testid=loss-chart]').first().getAttribute('data-points');
    await dropFiles(page, [{ name: 'huge-teacher.safetensors', bytes: await overflowingTeacher() }]);
    const hugeOption = page.locator('[data-testid=distill-teacher] option', { hasText: 'huge-teacher' });
    await hugeOption.waitFor({ state: 'attached', timeout: 30_000 });
    await page.locator('[data-testid=distill-teacher]').selectOption({ label: 'huge-teacher' });
    await page.locator('[data-testid=start-distill]').click();
    await waitForText(page.locator('[data-testid=job-distill][data-status=failed]'), /huge-teacher\.safetensors samples NaN or infinite values at 2 steps \(its weights overflow\): it cannot be distilled/);
    expect(await page.locator('[data-testid=round-row]').count()).toBe(1);
    expect(await page.locator('[data-testid=loss-chart]').first().getAttribute('data-points')).toBe(points);
    await waitForText(page.locator('[data-testid=previous-run]'), /the previous run's, from tiny-teacher/);
    expect(consoleLines.filter((l) => l.startsWith('pageerror'))).toEqual([]);
  }, 200_000);

  it('draws MNIST-shaped image grids and x̂ strips: every step of a short sampler, 8 of a long one', async () => {
    const unet = await tinyUnetTeacher();
    const h = hashPrefix(unet);
    await page.goto(`${served.url}#mode=mnist&cols=h:${h}@16,h:${h}@2&batch=4`);
    await waitForText(page.locator('[data-testid=backend-badge]'), /webgpu/, 60_000);
    await dropFiles(page, [{ name: 'tiny-unet.safetensors', bytes: unet }]);
    await page.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 120_000 });
    expect(await canvasHasContent(page, '[data-testid=sample-grid]')).toBe(true);
    const width = (i: number) => page.locator('[data-testid=trajectory-strip]').nth(i).evaluate((c) => (c as HTMLCanvasElement).width);
    // Column 1 ran 16 steps and shows 8 of them, steps round(i·15/7) + 1: two rows of four 28-pixel frames with
    // 1-pixel gaps; column 2 both of its 2, in one row.
    expect(await width(0)).toBe(4 * 28 + 3);
    expect(await page.locator('[data-testid=column] .strip .hint').first().textContent()).toMatch(/at 8 of its 16 steps, evenly spaced/);
    expect(await page.locator('[data-testid=strip-steps]').first().textContent()).toBe('steps 1 · 3 · 5 · 7 · 10 · 12 · 14 · 16');
    expect(await width(1)).toBe(2 * 28 + 1);
    expect(await page.locator('[data-testid=column] .strip .hint').nth(1).textContent()).toMatch(/after each of its 2 steps/);
    expect(await waitForText(page.locator('[data-testid=distance]').nth(1), /^\d+\.\d+$/)).toMatch(/^\d/);
    // KID against MNIST, from the shipped classifier (negative values happen: the estimate is unbiased).
    await waitForText(page.locator('[data-testid=quality]').nth(1), /^-?\d+\.\d+$/, 60_000);
    await shot('compare-mnist-shape');
  }, 150_000);
}, 300_000);

describe('without WebGPU', () => {
  it('in a browser that has none, says so and why, and samples on wasm', async () => {
    // A second Chromium with WebGPU switched off (no --enable-unsafe-webgpu): navigator.gpu gives no adapter.
    const browser = await chromium.launch({
      executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
      args: [...CHROME_FLAGS.filter((f) => f !== '--enable-unsafe-webgpu'), '--disable-features=WebGPU'],
    });
    try {
      const p = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await p.goto(`${served.url}#mode=toy&toy=moons&cols=teacher@1,student-1@1`);
      const banner = await waitForText(p.locator('[data-testid=backend-banner]'), /No WebGPU\. Sampling runs on wasm instead/, 60_000);
      expect(banner).not.toMatch(/address asks/);
      await p.locator('[data-testid=backend-banner] summary').click();
      // The reason the backend module gave (no adapter), then what still works.
      expect(await p.locator('[data-testid=backend-banner] details').textContent()).toMatch(/adapter.*Distilling the MNIST UNet works on wasm/s);
      expect(await p.locator('[data-testid=backend-badge]').textContent()).toBe('wasm');
      await p.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 60_000 });
    } finally {
      await browser.close();
    }
  }, 90_000);
});

describe('with WebGPU turned off by ?backend=wasm', () => {
  it('says so, and that the address asked for it, and samples on wasm', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const h = hashPrefix(teacherBytes);
    await p.goto(`${served.url}?backend=wasm#mode=toy&cols=h:${h}@2,h:${h}@1`);
    const banner = await waitForText(p.locator('[data-testid=backend-banner]'), /WebGPU off/, 60_000);
    expect(banner).toMatch(/Sampling runs on wasm because the address asks for it \(\?backend=wasm\)/);
    expect(await p.locator('[data-testid=backend-badge]').textContent()).toBe('wasm');
    await dropFiles(p, [{ name: 'tiny-teacher.safetensors', bytes: teacherBytes }]);
    await p.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 60_000 });
    expect(await canvasHasContent(p, '[data-testid=column] canvas')).toBe(true);
    await p.screenshot({ path: join(ARTIFACTS, 'no-webgpu.png'), fullPage: true });
    await p.close();
  }, 90_000);

  it('marks a sampling time measured while a distillation shared the device, and not while it is paused', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const h = hashPrefix(teacherBytes);
    await p.goto(`${served.url}?backend=wasm#mode=toy&cols=h:${h}@2,h:${h}@1`);
    // The page listens for drops once it is up (its backend named).
    await waitForText(p.locator('[data-testid=backend-badge]'), /^wasm$/, 60_000);
    await dropFiles(p, [{ name: 'tiny-teacher.safetensors', bytes: teacherBytes }]);
    const ready = () => p.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 60_000 });
    await ready();
    expect(await p.locator('[data-testid=ms][data-shared]').count()).toBe(0);
    expect(await p.locator('.legend').textContent()).not.toContain('Timed while');
    // A long round, then new noise on the Compare tab while it runs.
    await p.getByRole('tab', { name: 'Distill' }).click();
    await fillDistill(p, { teacher: 'tiny-teacher', from: 2, to: 1, iters: 100_000, batch: 16 });
    await p.locator('[data-testid=start-distill]').click();
    await p.locator('[data-testid=job-distill][data-status=running]').waitFor({ timeout: 30_000 });
    await p.getByRole('tab', { name: 'Compare' }).click();
    await p.locator('[data-testid=seed]').fill('5');
    await p.locator('[data-testid=ms][data-shared=yes]').nth(1).waitFor({ timeout: 60_000 });
    expect(await p.locator('[data-testid=ms][data-shared=yes]').count()).toBe(2);
    expect(await p.locator('[data-testid=ms]').first().textContent()).toMatch(/ \*$/);
    expect(await p.locator('.legend').textContent()).toContain('Timed while a distillation or a teacher\'s training ran on the same CPU');
    // Paused, the round holds no device time: new noise is timed on its own again.
    await p.getByRole('tab', { name: 'Distill' }).click();
    await p.locator('[data-testid=job-pause]').click();
    await p.locator('[data-testid=job-distill][data-status=paused]').waitFor({ timeout: 30_000 });
    await p.getByRole('tab', { name: 'Compare' }).click();
    await p.locator('[data-testid=seed]').fill('6');
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=column][data-ready=yes]').length === 2
      && document.querySelectorAll('[data-testid=ms]').length === 2 && document.querySelectorAll('[data-testid=ms][data-shared]').length === 0, undefined, { timeout: 60_000 });
    expect(await p.locator('.legend').textContent()).not.toContain('Timed while');
    await p.close();
  }, 120_000);

  it('samples on wasm on a cross-origin-isolated page too (a host that sends COOP and COEP)', async () => {
    // Isolation gives the page SharedArrayBuffer, and tfjs would then start its threaded build, whose threads
    // cannot run the minified module (README, "wasm on several cores"); the backend module keeps one thread.
    const p = await served.browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = watchConsole(p);
    const wasmFiles: string[] = [];
    p.on('request', (r) => { if (r.url().endsWith('.wasm')) wasmFiles.push(r.url()); });
    await p.route('**/*', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } });
    });
    await p.goto(`${served.url}?backend=wasm#mode=toy&toy=moons&cols=teacher@1,student-1@1`);
    expect(await p.evaluate(() => crossOriginIsolated)).toBe(true);
    await p.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 60_000 });
    expect(await canvasHasContent(p, '[data-testid=column] canvas')).toBe(true);
    expect(await p.locator('[data-testid=backend-badge]').getAttribute('title')).toBe('wasm · 1 thread');
    expect(wasmFiles.some((u) => /threaded/.test(u))).toBe(false);
    expect(errors).toEqual([]);
    await p.close();
  }, 90_000);

  it('distills a UNet on wasm (the forward-convolution gradients), saying it runs on the CPU', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const unet = await tinyUnetTeacher();
    await p.goto(`${served.url}?backend=wasm#mode=mnist&view=distill`);
    await waitForText(p.locator('[data-testid=backend-banner]'), /WebGPU off/, 60_000);
    await dropFiles(p, [{ name: 'tiny-unet.safetensors', bytes: unet }]);
    await fillDistill(p, { teacher: 'tiny-unet', from: 2, to: 1, iters: 4, batch: 4 });
    await waitForText(p.locator('section[aria-labelledby=distill-title]'), /distills on wasm/);
    await p.locator('[data-testid=start-distill]').click();
    await p.locator('[data-testid=job-distill][data-status=done]').waitFor({ timeout: 120_000 });
    expect(await p.locator('[data-testid=round-row]').count()).toBe(1);
    // The teacher's and the student's first images from the same noise, as grids beside the charts.
    expect(await p.locator('[data-testid=stage-scatter] [data-testid=sample-grid]').count()).toBe(2);
    expect(await canvasHasContent(p, '[data-testid=stage-scatter] [data-testid=sample-grid]')).toBe(true);
    await p.close();
  }, 180_000);
});

describe('bad and surprising files, and the number fields (wasm: no shader compiles)', () => {
  it('says at the top of the screen, however far it is scrolled, why a file did not load, what it is, and lists a file once', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1024, height: 768 } });
    // Toy mode, tiny columns: nothing to sample for long.
    await p.goto(`${served.url}?backend=wasm#mode=toy&toy=moons&cols=teacher@1,student-1@1`);
    await p.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 120_000 });
    const rows = await p.locator('[data-testid=model-row]').count();
    // Dropped while scrolled down to the checkpoint list: the messages must still be on screen.
    await p.locator('[data-testid=model-row]').last().scrollIntoViewIfNeeded();
    expect(await p.evaluate(() => window.scrollY)).toBeGreaterThan(100);
    const moonsTeacher = new Uint8Array(readFileSync(join(ROOT, 'models/toy/moons/teacher.safetensors')));
    const mnistStudent = new Uint8Array(readFileSync(join(ROOT, 'models/mnist/student-1.safetensors')));
    await dropFiles(p, [
      { name: 'notes.txt', bytes: new TextEncoder().encode('lecture notes, not a checkpoint') },
      { name: 'cut.safetensors', bytes: moonsTeacher.subarray(0, moonsTeacher.length - 1000) },
      { name: 'moons-again.safetensors', bytes: moonsTeacher },
      { name: 'digits-student.safetensors', bytes: mnistStudent },
    ]);
    const errors = p.locator('[data-testid=load-error]');
    await waitForText(errors.nth(1), /was not loaded/);
    const errorTexts = await errors.allTextContents();
    expect(errorTexts.find((t) => t.startsWith('notes.txt'))).toMatch(/a \.txt file, not a \.safetensors checkpoint/);
    expect(errorTexts.find((t) => t.startsWith('cut.safetensors'))).toMatch(/damaged or incomplete.*run past the end/);
    // The messages stay in view however far the page is scrolled (sticky at its top).
    const box = await errors.first().evaluate((e) => e.getBoundingClientRect().toJSON() as DOMRect);
    expect(box.top).toBeGreaterThanOrEqual(0);
    expect(box.bottom).toBeLessThan(768);
    expect(await p.evaluate(() => window.scrollY)).toBeGreaterThan(100); // still scrolled down
    const again = p.locator('[data-testid=load-notice][data-kind=alreadyLoaded]');
    expect(await waitForText(again, /moons-again\.safetensors is already loaded, as teacher \(shipped\)/)).toBeTruthy();
    const other = p.locator('[data-testid=load-notice][data-kind=otherSet]');
    await waitForText(other, /digits-student\.safetensors is a model of MNIST/);
    // The same bytes are listed once; the MNIST student is listed (dimmed) beside the moons models.
    expect(await p.locator('[data-testid=model-row]').count()).toBe(rows + 1);
    expect(await p.locator('[data-testid=model-row].other-set').count()).toBe(1);
    await p.locator('[data-testid=show-set]').click();
    await expect.poll(() => p.url()).toContain('mode=mnist');
    await p.locator('[data-testid=load-notice][data-kind=otherSet]').waitFor({ state: 'detached', timeout: 10_000 });
    await p.screenshot({ path: join(ARTIFACTS, 'load-messages.png') });
    await p.close();
  }, 150_000);

  it('takes a student off the list when the teacher its lineage names, dropped after it, does not fit it', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1024, height: 768 } });
    await p.goto(`${served.url}?backend=wasm#mode=toy&toy=moons&cols=teacher@1,student-1@1`);
    await p.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 120_000 });
    const rows = await p.locator('[data-testid=model-row]').count();
    const teacher = await tinyToyTeacher(21);
    await dropFiles(p, [{ name: 'wide-student.safetensors', bytes: await misfitStudentOf(teacher) }]);
    await expect.poll(() => p.locator('[data-testid=model-row]').count(), { timeout: 30_000 }).toBe(rows + 1);
    await dropFiles(p, [{ name: 'narrow-teacher.safetensors', bytes: teacher }]);
    const error = p.locator('[data-testid=load-error]');
    await waitForText(error, /wide-student\.safetensors was taken off the list: a student that does not fit narrow-teacher\.safetensors, the teacher its lineage names \(.*hidden/);
    // The teacher is listed, the student no longer.
    await expect.poll(() => p.locator('[data-testid=model-row]').count(), { timeout: 30_000 }).toBe(rows + 1);
    expect(await p.locator('[data-testid=model-row]', { hasText: 'wide-student' }).count()).toBe(0);
    await p.close();
  }, 150_000);

  it('keeps the keyboard\'s place when the buttons it is on go away, and says a toy teacher training on another set rather than cancel it; the distillation teacher is in the link', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await p.goto(`${served.url}?backend=wasm#mode=toy&toy=moons&cols=teacher@1,student-1@1,student-2@2`);
    await p.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 120_000 });
    // ✕ on column 2: focus goes to what is now column 2's model menu, not to the page's start.
    await p.locator('button[aria-label="remove column 2"]').focus();
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'model of column 2', undefined, { timeout: 10_000 });
    // + column: focus on the new column's model menu.
    await p.getByRole('button', { name: '+ column' }).focus();
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'model of column 3', undefined, { timeout: 10_000 });
    // A round cancelled from the keyboard: the bar holds the focus, and says how the round ended.
    await p.getByRole('tab', { name: 'Distill' }).click();
    await p.locator('[data-testid=distill-iters]').fill('100000');
    await p.locator('[data-testid=start-distill]').click();
    await p.locator('[data-testid=job-distill][data-status=running]').waitFor({ timeout: 30_000 });
    await p.locator('[data-testid=job-distill] button', { hasText: 'Cancel' }).focus();
    await p.keyboard.press('Enter');
    await p.locator('[data-testid=job-distill][data-status=cancelled]').waitFor({ timeout: 30_000 });
    await p.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'job-distill', undefined, { timeout: 10_000 });
    // A toy teacher training on moons is said on another set's panel, whose Train button waits for it instead
    // of cancelling it.
    await p.locator('[data-testid=toy-iters]').fill('100000');
    await p.locator('[data-testid=train-toy]').click();
    await p.locator('[data-testid=job-trainToy][data-status=running]').waitFor({ timeout: 30_000 });
    await p.locator('[data-testid=toy-dataset]').selectOption('checkerboard');
    await waitForText(p.locator('[data-testid=toy-training-elsewhere]'), /A teacher of the 2D set moons is training/);
    expect(await p.locator('[data-testid=train-toy]').isDisabled()).toBe(true);
    await p.locator('[data-testid=toy-dataset]').selectOption('moons');
    await p.locator('[data-testid=job-trainToy][data-status=running]').waitFor({ timeout: 10_000 });
    expect(await p.locator('[data-testid=train-toy]').isDisabled()).toBe(false);
    await p.locator('[data-testid=job-trainToy] button', { hasText: 'Cancel' }).click();
    // The distillation teacher picked is in the link, and a link names it.
    await p.locator('[data-testid=distill-teacher]').selectOption({ label: 'student-4 (4 steps)' });
    await p.waitForFunction(() => location.hash.includes('teacher=student-4'), undefined, { timeout: 10_000 });
    const q = await served.browser.newPage();
    await q.goto(`${served.url}?backend=wasm#mode=toy&toy=moons&view=distill&teacher=student-2`);
    await waitForText(q.locator('#distill-title + .hint'), /2 → 1 steps \(1 round\)/, 60_000);
    expect(await q.locator('[data-testid=distill-teacher] option:checked').textContent()).toMatch(/^student-2/);
    await q.close();
    await p.close();
  }, 180_000);

  it('lets a number field be cleared and retyped, and never passes on what is out of range', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await p.goto(`${served.url}?backend=wasm#mode=toy&view=distill`);
    const iters = p.locator('[data-testid=distill-iters]');
    await iters.waitFor({ timeout: 60_000 });
    // What a person does: select all, delete, type. The field used to snap back to 300 on the empty text,
    // so the typed digits were appended (30050).
    await iters.click();
    await p.keyboard.press('Control+A');
    await p.keyboard.press('Backspace');
    const problem = p.locator('.number-field', { has: iters }).locator('.field-problem');
    expect(await problem.textContent()).toMatch(/whole number from 1 to 100,000/);
    await p.keyboard.type('50');
    expect(await iters.inputValue()).toBe('50');
    await expect.poll(() => p.url()).toContain('iters=50');
    // Typing on: 500, 5,000 and 50,000 are in range and pass on as typed; 500,000 and beyond is shown as a
    // problem, the setting keeps the last good value, and leaving the field shows that value again.
    await p.keyboard.type('0000000');
    expect(await iters.getAttribute('aria-invalid')).toBe('true');
    expect(p.url()).toMatch(/iters=50000($|&)/);
    await p.keyboard.press('Tab');
    expect(await iters.inputValue()).toBe('50000');
    expect(await iters.getAttribute('aria-invalid')).toBe('false');
    expect(await problem.textContent()).toBe('');
    const lr = p.locator('[data-testid=distill-lr]');
    await lr.click();
    await p.keyboard.press('Control+A');
    await p.keyboard.type('0.0005');
    await p.keyboard.press('Enter');
    expect(await lr.inputValue()).toBe('0.0005');
    await expect.poll(() => p.url()).toContain('lr=0.0005');
    await p.close();
  }, 90_000);
});

describe('the shipped models', () => {
  it('opens on the shipped two-moons teacher and students and draws them with no file dropped', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1400, height: 900 } });
    // The default view samples the teacher at 256 steps; a link with fewer keeps SwiftShader quick.
    await p.goto(`${served.url}#mode=toy&toy=moons&cols=teacher@2,student-1@1`);
    await waitForText(p.locator('[data-testid=backend-badge]'), /webgpu/, 60_000);
    await p.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 120_000 });
    expect(await canvasHasContent(p, '[data-testid=column] canvas')).toBe(true);
    expect(await p.locator('[data-testid=model-row][data-model-name="toy/moons/student-1.safetensors"]').count()).toBe(1);
    await waitForText(p.locator('[data-testid=quality]').nth(1), /^\d+\.\d+$/, 30_000);
    await p.screenshot({ path: join(ARTIFACTS, 'shipped-moons.png'), fullPage: true });
    await p.close();
  }, 180_000);

  it('opens on the shipped MNIST teacher and students by default, and draws digits from them', async () => {
    const p = await served.browser.newPage({ viewport: { width: 1400, height: 900 } });
    // No mode in the link: the app opens on MNIST because models/mnist/ ships a teacher and students. The
    // default columns (the teacher at 256 steps, ...) take minutes on SwiftShader, so this link names 2 and 1 steps.
    await p.goto(`${served.url}#cols=teacher@2,student-1@1&batch=4`);
    await waitForText(p.locator('[data-testid=backend-badge]'), /webgpu/, 60_000);
    expect(p.url()).toContain('mode=mnist');
    await p.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 120_000 });
    for (const n of [8, 4, 2, 1]) expect(await p.locator(`[data-testid=model-row][data-model-name="mnist/student-${n}.safetensors"]`).count()).toBe(1);
    expect(await p.locator('[data-testid=model-row][data-model-name="mnist/teacher.safetensors"]').count()).toBe(1);
    expect(await canvasHasContent(p, '[data-testid=sample-grid]')).toBe(true);
    // The worker replayed the teacher's recorded forward pass at its second step (Chromium's WebGPU, not an
    // eager fallback); the 1-step student has nothing to replay.
    expect(await p.locator('[data-testid=ms]').nth(0).getAttribute('data-replayed')).toBe('1');
    expect(await p.locator('[data-testid=ms]').nth(1).getAttribute('data-replayed')).toBe('0');
    await waitForText(p.locator('[data-testid=quality]').nth(1), /^-?\d+\.\d+$/, 60_000);
    await p.screenshot({ path: join(ARTIFACTS, 'shipped-mnist.png'), fullPage: true });
    await p.close();
  }, 180_000);
});

// A lost GPU device in the browser: after the app has drawn samples, the worker's WebGPU device is destroyed
// (test hook, `?test-hooks=1`). The page must say so, the worker must re-create WebGPU and rebuild the loaded
// model from its checkpoint, and a new comparison must draw again.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHooks } from '../../src/app/workerClient';
import { hashPrefix, tinyToyTeacher } from './fixtures';
import { ARTIFACTS, canvasHasContent, dropFiles, fillDistill, serveApp, type Served, waitForText, watchConsole } from './harness';

let served: Served;
let page: Page;
let consoleLines: string[];
let teacherBytes: Uint8Array;

declare global {
  var halfstepTestHooks: TestHooks;
}

beforeAll(async () => {
  teacherBytes = await tinyToyTeacher();
  served = await serveApp();
  page = await served.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  consoleLines = watchConsole(page);
}, 120_000);

afterAll(async () => {
  await served?.close();
});

const firstCanvas = () => page.$eval('[data-testid=column] canvas', (c) => (c as HTMLCanvasElement).toDataURL());

describe('a lost WebGPU device', () => {
  it('is reported on the page, WebGPU is restarted, the model reloaded, and sampling works again', async () => {
    const h = hashPrefix(teacherBytes);
    await page.goto(`${served.url}?test-hooks=1#mode=toy&cols=h:${h}@2,h:${h}@1`);
    await waitForText(page.locator('[data-testid=backend-badge]'), /webgpu/, 60_000);
    await dropFiles(page, [{ name: 'tiny-teacher.safetensors', bytes: teacherBytes }]);
    await page.locator('[data-testid=column][data-ready=yes]').nth(1).waitFor({ timeout: 60_000 });
    const before = await firstCanvas();

    await page.evaluate(() => globalThis.halfstepTestHooks.destroyDevice());
    const banner = await waitForText(page.locator('[data-testid=backend-banner]'), /WebGPU was restarted/, 30_000);
    expect(banner).toMatch(/^The GPU was lost\. The WebGPU device was lost \(.*\); WebGPU was restarted and \d+ models? reloaded from (its|their) checkpoints?\./);
    expect(await page.locator('[data-testid=backend-badge]').textContent()).toMatch(/^webgpu/);
    await page.screenshot({ path: `${ARTIFACTS}/device-lost.png`, fullPage: true });

    // A new seed starts a new comparison on the new device, with the network rebuilt from its checkpoint.
    await page.locator('[data-testid=seed]').fill('7');
    await page.waitForFunction((prev) => {
      const cols = [...document.querySelectorAll('[data-testid=column]')];
      const canvas = document.querySelector('[data-testid=column] canvas') as HTMLCanvasElement | null;
      return cols.length === 2 && cols.every((c) => c.getAttribute('data-ready') === 'yes') && !!canvas && canvas.toDataURL() !== prev;
    }, before, { timeout: 60_000 });
    await page.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 10_000 });
    expect(await canvasHasContent(page, '[data-testid=column] canvas')).toBe(true);
    const memory = await page.evaluate(() => globalThis.halfstepTestHooks.memory());
    expect(memory.numTensors).toBeGreaterThan(0);
    expect(consoleLines.filter((l) => l.startsWith('pageerror'))).toEqual([]);
  }, 120_000);

  it('fails a distillation running across it, saying why (it was not cancelled)', async () => {
    await page.getByRole('tab', { name: 'Distill' }).click();
    await fillDistill(page, { teacher: 'tiny-teacher', from: 2, to: 1, iters: 5000, batch: 16 });
    await page.locator('[data-testid=start-distill]').click();
    // Under way: the first loss points are on the chart.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points') ?? 0) > 0, null, { timeout: 60_000 });
    // The run's settings are locked while it runs, and the page says so; it says how long the round has left.
    expect(await page.locator('[data-testid=distill-iters]').isDisabled()).toBe(true);
    expect(await page.locator('[data-testid=distill-teacher]').isDisabled()).toBe(true);
    await page.locator('[data-testid=settings-locked]').waitFor({ timeout: 5_000 });
    await waitForText(page.locator('[data-testid=job-distill]'), /Round 1 of 1: 2 → 1 steps.*\d+% · about \d+ (s|min) left/, 30_000);
    // Away to the other mode (its teacher pick resets) and back: the controls still show the run's settings.
    await page.getByRole('tab', { name: 'Digits (MNIST)' }).click();
    await waitForText(page.locator('[data-testid=other-run]'), /A distillation of the 2D set \w+ is running/, 30_000);
    await page.getByRole('tab', { name: '2D toy' }).click();
    expect(await page.locator('[data-testid=distill-teacher] option:checked').textContent()).toMatch(/^tiny-teacher/);
    expect(await page.locator('section[aria-labelledby=distill-title] .hint').first().textContent()).toMatch(/2 → 1 steps \(1 round\)/);
    expect(await page.locator('[data-testid=distill-iters]').inputValue()).toBe('5000');
    await page.evaluate(() => globalThis.halfstepTestHooks.destroyDevice());
    const bar = await waitForText(page.locator('[data-testid=job-distill][data-status=failed]'), /the WebGPU device was lost while this ran/, 60_000);
    expect(bar).not.toMatch(/cancelled/);
    // Unlocked once the run has ended.
    expect(await page.locator('[data-testid=distill-iters]').isDisabled()).toBe(false);
    expect(await page.locator('[data-testid=settings-locked]').count()).toBe(0);
    await waitForText(page.locator('[data-testid=backend-banner]'), /WebGPU was restarted/, 30_000);
    expect(consoleLines.filter((l) => l.startsWith('pageerror'))).toEqual([]);
  }, 150_000);
});

// README screenshots of the main views (docs/screenshots/*.png), on WebGPU (SwiftShader when no GPU).
// Needs trained toy checkpoints, made with the CLI:
//   node bin/halfstep.mjs train --data moons --iters 3000 --out DIR/teacher.safetensors
//   node bin/halfstep.mjs distill --teacher DIR/teacher.safetensors --from 64 --to 1 --out-dir DIR
// then: npx tsx tests/e2e/docsScreenshots.ts DIR (or a shipped set: npx tsx tests/e2e/docsScreenshots.ts models/toy/moons)
// On a machine without a GPU, HALFSTEP_BACKEND=wasm takes minutes where SwiftShader's WebGPU takes most of an hour
// (the screenshots show the panels only, not the backend badge or banner).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { hashPrefix } from './fixtures';
import { CHROME_FLAGS, dropFiles, fillDistill, ROOT, serveApp, waitForText } from './harness';

// The MNIST view is the app as it opens, on the shipped models: npx tsx tests/e2e/docsScreenshots.ts mnist
const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx tests/e2e/docsScreenshots.ts mnist | DIR-with-teacher-and-students');
if (dir === 'mnist') {
  const served = await serveApp();
  try {
    const page = await served.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${served.url}?backend=${process.env.HALFSTEP_BACKEND ?? 'auto'}`);
    await waitForText(page.locator('[data-testid=backend-badge]'), /webgpu|wasm|cpu/, 60_000);
    await page.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 900_000 });
    await page.locator('[data-testid=quality]').nth(3).filter({ hasText: /\d/ }).waitFor({ timeout: 120_000 });
    const path = join(ROOT, 'docs', 'screenshots', 'compare-mnist.png');
    await page.locator('section[aria-labelledby=compare-title]').screenshot({ path });
    console.log(`${path}: ${(statSync(path).size / 1024).toFixed(0)} kB`);
  } finally {
    await served.close();
  }
  process.exit(0);
}
const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
const teacher = files.find((f) => f.name === 'teacher.safetensors');
const student = (n: number) => files.find((f) => f.name === `student-${n}.safetensors`);
if (!teacher || !student(4) || !student(1)) throw new Error(`${dir} needs teacher.safetensors, student-4.safetensors and student-1.safetensors`);
const out = join(ROOT, 'docs', 'screenshots');
// The shipped models of a set (e.g. models/toy/moons) are loaded by the app itself; dropping them again would
// only add "already loaded" notices to the pictures.
const isShipped = resolve(dir).startsWith(join(ROOT, 'models'));

/** The views without the checkpoint list, so each PNG stays under 300 kB. */
async function shot(page: Page, name: string, selector: string): Promise<void> {
  const path = join(out, `${name}.png`);
  await page.locator(selector).screenshot({ path });
  console.log(`${path}: ${(statSync(path).size / 1024).toFixed(0)} kB`);
}

const served = await serveApp();
try {
  const page = await served.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const [t, s4, s1] = [teacher, student(4)!, student(1)!].map((f) => hashPrefix(f.bytes));
  const backend = process.env.HALFSTEP_BACKEND ?? 'auto';
  await page.goto(`${served.url}?backend=${backend}#mode=toy&cols=h:${t}@64,h:${t}@4,h:${s4}@4,h:${s1}@1`);
  await waitForText(page.locator('[data-testid=backend-badge]'), /webgpu|wasm|cpu/, 60_000);
  if (!isShipped) await dropFiles(page, files);
  await page.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 600_000 });
  await page.locator('[data-testid=quality]').nth(3).filter({ hasText: /\d/ }).waitFor({ timeout: 60_000 });
  await shot(page, 'compare-toy', 'section[aria-labelledby=compare-title]');

  await page.getByRole('tab', { name: 'Distill' }).click();
  await fillDistill(page, { teacher: 'teacher', from: 8, to: 1, iters: 150 });
  await page.locator('[data-testid=start-distill]').click();
  await page.locator('[data-testid=job-distill][data-status=done]').waitFor({ timeout: 900_000 });
  await page.locator('[data-testid=run-trajectories]').click();
  await page.locator('[data-testid=job-trajectories][data-status=done]').waitFor({ timeout: 300_000 });
  await shot(page, 'distill-toy', 'section[aria-labelledby=distill-title]');
  await shot(page, 'trajectories-toy', 'section[aria-labelledby=traj-title]');

  // The fallback as a browser without WebGPU shows it (a second Chromium with WebGPU switched off).
  const noGpu = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: [...CHROME_FLAGS.filter((f) => f !== '--enable-unsafe-webgpu'), '--disable-features=WebGPU'] });
  try {
    const fallback = await noGpu.newPage({ viewport: { width: 1280, height: 800 } });
    await fallback.goto(`${served.url}#mode=toy&cols=h:${t}@64,h:${s1}@1`);
    await waitForText(fallback.locator('[data-testid=backend-banner]'), /No WebGPU/, 60_000);
    if (!isShipped) await dropFiles(fallback, [teacher, student(1)!]);
    await fallback.locator('[data-testid=job-sample][data-status=done]').waitFor({ timeout: 300_000 });
    await shot(fallback, 'no-webgpu', '.app');
  } finally {
    await noGpu.close();
  }
} finally {
  await served.close();
}

/**
 * Renders the samples' HTML report and screenshots it in headless Chromium for the README
 * (docs/report.png). `npx tsx scripts/screenshot-report.ts` after `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { chromium } from 'playwright-core';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const html = path.join(mkdtempSync(path.join(os.tmpdir(), 'authwatch-shot-')), 'report.html');
  execFileSync(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'report', 'samples/', '--output', 'html', '-o', html], { cwd: root, stdio: ['ignore', 'inherit', 'ignore'] });
  const browser = await chromium.launch({ executablePath: process.env.AUTHWATCH_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1500 }, deviceScaleFactor: 1 });
  await page.goto(`file://${html}`);
  await page.waitForSelector('html[data-chart-points]');
  await page.screenshot({ path: path.join(root, 'docs', 'report.png') });
  await browser.close();
}

void main();

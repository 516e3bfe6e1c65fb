/**
 * The HTML report in real headless Chromium at a 360 px phone and a 1366 px laptop: it leads with
 * the verdict and a summary of the incidents linking to their cards, the cards come before the
 * chart, nothing is wider than the screen, the chart's times are 24-hour ISO in the chosen zone,
 * its bands are numbered and its one legend names every band colour, tables sort from the keyboard
 * with aria-sort kept true, user agents stay on one line with the whole value in a title, and the
 * page's own CSS and script are the linted files under src/report/assets/, inlined under CSP hashes.
 * Screenshots are saved under $AUTHWATCH_TEST_OUTPUT (default: <tmp>/authwatch-test-output/report).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLI, ROOT, tempDir } from '../support/paths';

jest.setTimeout(90_000);

const CHROMIUM = process.env.AUTHWATCH_CHROMIUM ?? '/usr/bin/chromium';
const OUTPUT = process.env.AUTHWATCH_TEST_OUTPUT ?? path.join(os.tmpdir(), 'authwatch-test-output', 'report');

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

interface Report {
  incidents: Array<{ kind: string; severity: string; summary: string; open: boolean }>;
  unauthorized: { timeline: Array<{ t: string; requests: number; unauthorized: number }>; top: Record<string, Array<{ key: string; count: number }>> };
}

/** The samples with the Apache log cut inside its /api/v2 outage, so one incident is still open. */
function inputs(): string[] {
  const lines = readFileSync(path.join(ROOT, 'samples/apache-access.log'), 'utf8').split('\n');
  const cut = lines.findIndex((l) => l.includes('[21/Nov/2026:10:40:'));
  const file = path.join(tempDir(), 'apache-access.log');
  writeFileSync(file, lines.slice(0, cut).join('\n') + '\n');
  return [file, 'samples/nginx-access.log'];
}

let browser: Browser;
let files: string[];
let report: Report;
const pages = new Map<string, string>();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/ensure-test-deps.sh, run by npm test) or set AUTHWATCH_CHROMIUM`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  files = inputs();
  report = JSON.parse(cli(['report', ...files, '--output', 'json']));
  mkdirSync(OUTPUT, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** The report as HTML in a zone, written once per zone. */
function html(tz = 'UTC'): string {
  let file = pages.get(tz);
  if (file === undefined) {
    file = path.join(tempDir(), 'report.html');
    cli(['report', ...files, '--output', 'html', '--tz', tz, '-o', file]);
    pages.set(tz, file);
  }
  return file;
}

async function open(width: number, tz = 'UTC'): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${html(tz)}`);
  await page.waitForSelector('html[data-chart-points]');
  return { page, problems, requests };
}

describe.each([360, 1366])('at %i px wide', (width) => {
  test('nothing is wider than the screen; incidents lead, summarised under the verdict with links to their cards; a screenshot is saved', async () => {
    const { page, problems, requests } = await open(width);
    // Every element inside the viewport's width, and no sideways scroll.
    const overflow = (await page.evaluate(`(() => {
      const w = document.documentElement.clientWidth;
      const out = [];
      for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        if (r.width > 0 && (r.right > w + 0.5 || r.left < -0.5)) out.push(e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
      }
      return { viewport: w, scrollWidth: document.documentElement.scrollWidth, out };
    })()`)) as { viewport: number; scrollWidth: number; out: string[] };
    expect(overflow).toEqual({ viewport: width, scrollWidth: width, out: [] });

    // The summary: one linked line per incident, in the report's order, right under the verdict.
    const items = await page.$$eval('header nav ol.summary li', (els) => els.map((li) => ({ cls: li.className, href: li.querySelector('a')?.getAttribute('href'), text: li.textContent })));
    expect(items).toHaveLength(report.incidents.length);
    report.incidents.forEach((i, n) => {
      expect(items[n]?.cls).toBe(i.kind);
      expect(items[n]?.href).toBe(`#incident-${n + 1}`);
      expect(items[n]?.text).toContain(`${n + 1}. ${i.summary}`);
      for (const word of [i.kind, i.severity, i.open ? 'open' : 'resolved']) expect(items[n]?.text?.toLowerCase()).toContain(word);
    });
    expect(items[0]?.text).toContain('still firing at end of input');
    const order = await page.evaluate(`(() => {
      const verdict = document.querySelector('.verdict'), summary = document.querySelector('ol.summary');
      const cards = document.querySelector('#incidents'), chart = document.querySelector('#chart');
      const before = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
      return { verdictThenSummary: before(verdict, summary), cardsBeforeChart: before(cards, chart), summaryTop: summary.getBoundingClientRect().top };
    })()`) as { verdictThenSummary: boolean; cardsBeforeChart: boolean; summaryTop: number };
    expect(order).toMatchObject({ verdictThenSummary: true, cardsBeforeChart: true });
    expect(order.summaryTop).toBeLessThan(300);
    // A summary link leads to its card.
    await page.click('ol.summary li:nth-child(2) a');
    expect(await page.evaluate('location.hash')).toBe('#incident-2');
    expect(await page.$eval('article:target', (a) => a.id)).toBe('incident-2');

    const shot = path.join(OUTPUT, `report-${width}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(30_000);
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${html()}`]);
    await page.close();
  });

  test('tables sort from the keyboard, aria-sort says how; user agents keep one line with the full value in a title', async () => {
    const { page } = await open(width);
    const table = page.locator('table.sortable', { has: page.locator('caption', { hasText: /^Top client IPs$/ }) });
    const th401 = table.locator('thead th', { hasText: /^401s$/ });
    const firstIp = () => table.locator('tbody tr:first-child td:first-child').textContent();
    expect(await th401.getAttribute('aria-sort')).toBe('descending');
    expect(await firstIp()).toBe(report.unauthorized.top.ip?.[0]?.key);
    // Tab reaches the header's button; Enter and Space sort by it.
    await page.locator('body').focus();
    let tabs = 0;
    const focused = () => page.evaluate(`(() => { const b = document.activeElement; return b && b.tagName === 'BUTTON' ? b.closest('table').caption.textContent + ' / ' + b.textContent : null; })()`);
    while ((await focused()) !== 'Top client IPs / 401s' && tabs++ < 200) await page.keyboard.press('Tab');
    expect(tabs).toBeLessThan(200);
    await page.keyboard.press('Enter');
    expect(await th401.getAttribute('aria-sort')).toBe('ascending');
    const ascending = await table.locator('tbody td:nth-child(2)').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-v'))));
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(await firstIp()).not.toBe(report.unauthorized.top.ip?.[0]?.key);
    await page.keyboard.press(' ');
    expect(await th401.getAttribute('aria-sort')).toBe('descending');
    expect(await firstIp()).toBe(report.unauthorized.top.ip?.[0]?.key);
    // Another column: only one header of a table carries aria-sort.
    await table.locator('thead th', { hasText: /^401 rate$/ }).locator('button').press('Enter');
    expect(await table.locator('thead th[aria-sort]').count()).toBe(1);

    const agents = page.locator('table.sortable', { has: page.locator('caption', { hasText: /^Top clients \(user agent\)$/ }) }).locator('tbody td:first-child');
    const cells = await agents.evaluateAll((tds) => tds.map((td) => ({ title: td.getAttribute('title'), text: td.textContent, height: td.getBoundingClientRect().height, clipped: td.scrollWidth > td.clientWidth })));
    const oneLine = Math.min(...cells.map((c) => c.height));
    expect(cells.map((c) => c.title)).toEqual(report.unauthorized.top.client?.map((e) => e.key));
    for (const c of cells) expect(c.height).toBeLessThan(oneLine * 1.5);
    expect(cells.some((c) => c.clipped)).toBe(true);
    await page.close();
  });
});

test('the chart: 24-hour ISO times in the chosen zone, numbered bands, one legend naming each band colour', async () => {
  const { page } = await open(1366, 'Asia/Kolkata');
  const labels = ((await page.getAttribute('#chart', 'data-axis-labels')) as string).split('|');
  expect(labels.length).toBeGreaterThan(3);
  for (const l of labels) expect(l).toMatch(/^(?:\d{4}-\d{2}-\d{2} )?(?:[01]\d|2[0-3]):[0-5]\d$/);
  expect(labels[0]).toMatch(/^\d{4}-\d{2}-\d{2} /);
  // Under the cursor, the legend reads the point's time in the zone and its figures.
  await page.locator('#chart').scrollIntoViewIfNeeded();
  const box = (await page.locator('#chart .u-over').boundingBox()) as { x: number; y: number; width: number; height: number };
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  const readout = (await page.textContent('#chart-readout')) as string;
  const m = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) \(Asia\/Kolkata\): ([\d,]+) requests, ([\d,]+) × 401$/.exec(readout);
  expect(m).not.toBeNull();
  const local = (iso: string) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Kolkata', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  const point = report.unauthorized.timeline.find((p) => local(p.t) === m?.[1]);
  expect(point).toBeDefined();
  expect([point?.requests.toLocaleString('en-US'), point?.unauthorized.toLocaleString('en-US')]).toEqual([m?.[2], m?.[3]]);

  // One legend (uPlot's own is off): both series, then each kind's band with its incidents' numbers.
  expect(await page.locator('.u-legend').count()).toBe(0);
  const legend = await page.$$eval('ul.legend li', (lis) => lis.map((li) => [li.querySelector('.swatch')?.className ?? '', li.textContent]));
  const kinds = [...new Set(report.incidents.map((i) => i.kind))];
  expect(legend.slice(0, 2)).toEqual([['swatch requests', 'requests'], ['swatch unauthorized', '401s']]);
  for (const kind of kinds) {
    const ns = report.incidents.flatMap((i, n) => (i.kind === kind ? [n + 1] : []));
    expect(legend).toContainEqual([`swatch ${kind}`, `${kind} (${ns.length === 1 ? 'incident' : 'incidents'} ${ns.join(', ')})`]);
  }
  // Each band's number is drawn at its top, in its kind's colour.
  const placed = ((await page.getAttribute('#chart', 'data-band-labels')) as string).split(' ');
  expect(placed.map((p) => Number(p.split('@')[0]))).toEqual(report.incidents.map((_, n) => n + 1));
  const inked = (await page.evaluate(`(() => {
    const c = document.querySelector('#chart canvas');
    const ctx = c.getContext('2d');
    const ink = { attack: [192, 38, 45], misconfiguration: [179, 95, 0], anomaly: [109, 63, 192] };
    const kinds = ${JSON.stringify(report.incidents.map((i) => i.kind))};
    return ${JSON.stringify(placed)}.map((p, k) => {
      const [x, y] = p.split('@')[1].split(',').map(Number);
      const d = ctx.getImageData(x, y, 9, 14).data;
      const [r, g, b] = ink[kinds[k]];
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40 && Math.abs(d[i + 2] - b) < 40 && d[i + 3] > 200) n++;
      return n;
    });
  })()`)) as number[];
  for (const n of inked) expect(n).toBeGreaterThan(3);
  await page.close();
});

test("the page's CSS and script are the files in src/report/assets, inlined under the CSP's hashes", () => {
  const page = readFileSync(html(), 'utf8');
  const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1]?.replace(/&#39;/g, "'") ?? '';
  for (const [file, tag, directive] of [['report.css', 'style', 'style-src'], ['report.js', 'script', 'script-src']] as const) {
    const text = readFileSync(path.join(ROOT, 'src/report/assets', file), 'utf8');
    expect(page).toContain(`<${tag}>${text}</${tag}>`);
    expect(new RegExp(`${directive} [^;]*${hash(text).replace(/[+/=]/g, '\\$&')}`).test(csp)).toBe(true);
  }
});

/**
 * Every report rendering from the built CLI: Markdown and text snapshots of a small fixed log; the
 * self-contained HTML opened in real headless Chromium (chart drawn with data points, incident cards,
 * sortable tables, no console error, no network request, no script from a log value runs); --tz;
 * the progress meter.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CLI, CORPUS, ROOT, tempDir } from '../support/paths';
import { ProgressMeter } from '../../src/cli/progress';

jest.setTimeout(60_000);

const CHROMIUM = process.env.AUTHWATCH_CHROMIUM ?? '/usr/bin/chromium';
const SMALL = 'test/fixtures/small-access.log';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('snapshots of a small fixed log', () => {
  test('Markdown', () => {
    const r = run(['report', SMALL, '--output', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchSnapshot();
  });

  test('text (no colour when stdout is not a terminal)', () => {
    const r = run(['report', SMALL]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout.split('\n')[0]).toBe('authwatch: 1 attack in 39 min of traffic — 26 × 401 in 77 requests (33.8%)');
    expect(r.stdout).toMatchSnapshot();
  });

  test('--tz shows times in the zone; a zone that does not exist is a usage error', () => {
    const r = run(['report', SMALL, '--tz', 'America/New_York']);
    expect(r.stdout).toContain('2026-11-20 04:06:00 EST → 2026-11-20 04:08:24 EST (2 min 24 s) · resolved · rule brute-force');
    const bad = run(['report', SMALL, '--tz', 'Mars/Olympus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^authwatch: --tz: an IANA time zone/);
  });

  test('no progress meter when stderr is not a terminal', () => {
    const r = run(['report', 'samples/', '--output', 'json']);
    expect(r.stderr).not.toContain('lines/s');
  });
});

test('the progress meter on a terminal: bytes of total, lines/s, ETA, erased at the end', () => {
  let written = '';
  const tty = { isTTY: true, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
  const meter = new ProgressMeter(10_000_000, tty, true);
  meter.add(2_500_000, 10_000);
  expect(written).toMatch(/^\r\x1b\[2Kauthwatch: 2\.5 MB of 10\.0 MB \(25%\) · [\d,]+ lines\/s · ETA \d+ s$/);
  meter.clear();
  expect(written.endsWith('\r\x1b[2K')).toBe(true);
  const quiet = { isTTY: false, write: () => { throw new Error('wrote to a pipe'); } } as unknown as NodeJS.WriteStream;
  new ProgressMeter(10, quiet).add(5, 1);
});

describe('HTML in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/ensure-test-deps.sh, run by npm test) or set AUTHWATCH_CHROMIUM`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`file://${file}`);
    return { page, problems, requests, dialogs };
  }

  test('the samples: chart with every data point drawn, incidents shaded and as cards, sortable tables; offline, no errors', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'report.html');
    const r = run(['report', 'samples/', '--output', 'html', '-o', file]);
    expect(r.code).toBe(0);
    const json = JSON.parse(run(['report', 'samples/', '--output', 'json']).stdout);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
    expect(html).not.toMatch(/<(?:script|link|img)[^>]+(?:src|href)=/i);
    const { page, problems, requests } = await open(file);
    await page.waitForSelector('html[data-chart-points]');
    expect(Number(await page.getAttribute('html', 'data-chart-points'))).toBe(json.unauthorized.timeline.length);
    // The canvas has the series and the incident shading drawn on it: red-dominant pixels exist.
    // (A string: this runs in the page, and the test code is not compiled against the DOM.)
    const painted = (await page.evaluate(`(() => {
      const c = document.querySelector('#chart canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let red = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] > 150 && d[i + 1] < 120) red++;
      return { width: c.width, red };
    })()`)) as { width: number; red: number };
    expect(painted.width).toBeGreaterThan(300);
    expect(painted.red).toBeGreaterThan(100);
    const cards = await page.$$eval('article.card', (els) => els.map((e) => [e.className, e.querySelector('h3')?.textContent]));
    expect(cards).toEqual(json.incidents.map((i: { kind: string; title: string }, n: number) => [`card ${i.kind}`, `${n + 1}. ${i.title}`]));
    expect(await page.textContent('.verdict')).toBe('3 attacks, 2 misconfigurations in 1 d 10 h of traffic');
    // The top-IP table opens sorted by its 401s column, descending; a click sorts it ascending, another back.
    const ipTable = page.locator('table.sortable', { has: page.locator('caption', { hasText: /^Top client IPs$/ }) });
    const firstIp = () => ipTable.locator('tbody tr:first-child td:first-child').textContent();
    expect(await ipTable.locator('th[aria-sort]').textContent()).toBe('401s');
    expect(await firstIp()).toBe('203.0.113.7');
    await ipTable.locator('th', { hasText: /^401s$/ }).click();
    expect(await firstIp()).not.toBe('203.0.113.7');
    await ipTable.locator('th', { hasText: /^401s$/ }).click();
    expect(await firstIp()).toBe('203.0.113.7');
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
    expect(statSync(path.join(dir, 'report.png')).size).toBeGreaterThan(50_000);
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
  });

  test('XSS payloads in path, query, user agent, referer and user stay text: no script runs', async () => {
    const dir = tempDir();
    const payloads = [
      '<script>document.title="pwned"</script>',
      '"><img src=x onerror="document.title=\'pwned\'">',
      '</script><script>alert(1)</script>',
      "'-alert(1)-'",
      '<svg onload=alert(1)>',
      '|injected|cells|',
    ];
    const log = path.join(dir, 'xss.log');
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) {
      const p = payloads[i % payloads.length] as string;
      const enc = p.replace(/"/g, '\\x22');
      const time = `20/Nov/2026:09:${String(10 + Math.floor(i / 10)).padStart(2, '0')}:${String((i * 6) % 60).padStart(2, '0')} +0000`;
      lines.push(`203.0.113.66 - ${enc.replace(/\s/g, '')} [${time}] "GET /login${enc.replace(/\s/g, '%20')}?next=${enc.replace(/\s/g, '%20')} HTTP/1.1" 401 10 "${enc}" "${enc}"`);
    }
    writeFileSync(log, lines.join('\n') + '\n');
    const file = path.join(dir, 'xss.html');
    const r = run(['report', log, '--output', 'html', '-o', file]);
    expect(r.code).toBe(0);
    // Markdown: no raw HTML, and every table row keeps its columns (a '|' from a log is escaped).
    const md = run(['report', log, '--output', 'md']).stdout;
    // (Inside a code fence a tag is literal text: only the rest must be free of raw HTML.)
    expect(md.replace(/^(`{3,})text\n[\s\S]*?^\1$/gm, '')).not.toMatch(/<(?:script|img|svg)/i);
    const cells = (row: string) => row.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length;
    let header = 0;
    for (const row of md.split('\n')) {
      if (!row.startsWith('| ')) header = 0;
      else if (header === 0) header = cells(row);
      else expect({ row, cells: cells(row) }).toEqual({ row, cells: header });
    }
    const { page, dialogs } = await open(file);
    await page.waitForSelector('html[data-chart-points]');
    expect(await page.title()).toMatch(/^authwatch: /);
    expect(dialogs).toEqual([]);
    // The payloads are on the page as text.
    const text = (await page.textContent('body')) as string;
    expect(text).toContain('<svg onload=alert(1)>');
    expect(await page.$$eval('img, svg[onload], script:not([type])', (els) => els.length)).toBe(2); // uPlot and the page script
  });

  test("the corpus's real XSS and SQLi probes, decoded and placed in every log field of 401 lines: the HTML report and the HTML email run none of them", async () => {
    const dir = tempDir();
    const probes = ['crowdsec-nginx-http-xss-probing__nginx-http-xss-probing.log', 'crowdsec-nginx-http-sqli-probing__nginx-http-sqli-probing.log']
      .flatMap((f) => readFileSync(path.join(CORPUS, 'access', f), 'utf8').split('\n'))
      .map((l) => /"GET ([^ ]*) HTTP/.exec(l)?.[1])
      .filter((t): t is string => t !== undefined)
      .map((target) => {
        const q = target.split('?')[1] ?? target;
        try {
          return decodeURIComponent(q.replace(/^[a-z]+=/, ''));
        } catch {
          return q;
        }
      });
    // The corpus has fragments ("<script", "alert("); complete payloads make a run visible if one happened.
    const payloads = [...probes, '<script>document.title="pwned"</script>', '<img src=x onerror=document.title="pwned">', '"><svg/onload=alert(1)>', '</script><script>alert(1)</script>', 'javascript:alert(1)'];
    const quoted = (p: string) => p.replace(/\\/g, '\\\\').replace(/"/g, '\\x22');
    const lines = payloads.map((p, i) => {
      const time = `20/Nov/2026:09:${String(10 + Math.floor(i / 20)).padStart(2, '0')}:${String((i * 3) % 60).padStart(2, '0')} +0000`;
      const inUrl = quoted(p).replace(/\s/g, '%20');
      return `203.0.113.80 - ${quoted(p).replace(/\s/g, '_') || '-'} [${time}] "GET /admin/${inUrl}?q=${inUrl} HTTP/1.1" 401 10 "${quoted(p)}" "${quoted(p)}"`;
    });
    const log = path.join(dir, 'probes.log');
    writeFileSync(log, lines.join('\n') + '\n');
    const r = run(['report', log, '--output', 'json']);
    const report = JSON.parse(r.stdout);
    expect(report.lines.malformed).toBe(0);
    expect(report.incidents.length).toBeGreaterThan(0);
    const html = path.join(dir, 'probes.html');
    expect(run(['report', log, '--output', 'html', '-o', html]).code).toBe(0);
    // The same incidents as the email's HTML part.
    const { renderGroup } = await import('../../src/notify/render');
    const email = renderGroup({ key: 'k', labels: {}, firing: report.incidents.map((i: object) => ({ ...i, status: 'firing' })), resolved: [], repeat: false, threadId: null }, { subjectPrefix: '[authwatch]', timeZone: 'UTC', sampleLines: 50 });
    const emailFile = path.join(dir, 'email.html');
    writeFileSync(emailFile, email.html);
    for (const file of [html, emailFile]) {
      const { page, dialogs, problems } = await open(file);
      await page.waitForLoadState('load');
      await new Promise((res) => setTimeout(res, 300));
      expect(await page.title()).not.toContain('pwned');
      expect(dialogs).toEqual([]);
      expect(problems.filter((p) => !/Content Security Policy/.test(p))).toEqual([]);
      expect(await page.$$eval('[onerror], [onload], img, iframe, a[href^="javascript"]', (els) => els.length)).toBe(0);
      // The payloads are there, as text (top lists and sample lines show some of them).
      const body = (await page.textContent('body')) as string;
      expect(payloads.filter((p) => p.length > 4 && body.includes(p)).length).toBeGreaterThanOrEqual(3);
    }
  });
});

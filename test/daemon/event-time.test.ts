/**
 * The daemon bounds event time by the wall clock: a line dated 9999 (or minutes ahead of the clock)
 * is counted and set aside, so it cannot move the watermark and make every later event late.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lines } from '../support/lines';
import { tempDir } from '../support/paths';
import { killDaemons, startDaemon, total, waitFor } from '../support/daemon';

jest.setTimeout(60_000);
afterEach(killDaemons);

test('a line dated 9999 and one 10 minutes ahead are set aside and counted; the brute force after them is alerted', async () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(cfg, 'inputs:\n  - path: ./logs/access.log\n    format: combined\nstate_dir: ./state\noutputs:\n  - type: jsonl\n    path: ./alerts.jsonl\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n');
  mkdirSync(path.join(dir, 'logs'));
  const log = path.join(dir, 'logs', 'access.log');
  writeFileSync(log, '');
  const d = await startDaemon(cfg);
  appendFileSync(log, '198.51.100.1 - - [01/Jan/9999:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"\n');
  appendFileSync(log, lines(1, {}, -600)); // 10 minutes ahead of the clock
  appendFileSync(log, lines(200, { ip: '203.0.113.66', method: 'POST', target: '/login', status: 401, userAgent: 'hydra' }, 400) + lines(5, {}, 100));
  await waitFor(async () => ((await total(d.port, 'authwatch_lines_read_total')) === 207 ? true : undefined), 15_000, () => d.stderr().slice(-2000));
  expect(await total(d.port, 'authwatch_events_future_total')).toBe(2);
  expect(await total(d.port, 'authwatch_events_late')).toBe(0);
  expect(d.stderr()).toMatch(/"eventTime":"9999-01-01T00:00:00\.000Z".*"msg":"event dated ahead of the clock: set aside \(is the server clock right\?\)"/);
  const alerts = path.join(dir, 'alerts.jsonl');
  await waitFor(() => (existsSync(alerts) && readFileSync(alerts, 'utf8').includes('brute-force|203.0.113.66') ? true : undefined), 15_000, () => d.stderr().slice(-2000));
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

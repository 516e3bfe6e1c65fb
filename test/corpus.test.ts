/**
 * Real logs from other projects' test suites (../shared/corpus, provenance in its SOURCES.md).
 * Every access-log line must parse; for the mixed fixtures the expected malformed count is stated
 * per file with the reason, so a parser change that starts dropping real lines fails here.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readInput, type MalformedLine } from '../src/ingest/read';
import { CORPUS } from './support/paths';

async function read(file: string, format = 'auto') {
  const malformed: MalformedLine[] = [];
  const stats = await readInput(file, { format }, { event: () => undefined, malformed: (m) => malformed.push(m) });
  return { stats, malformed };
}

describe('corpus/access: every line is a valid access-log line', () => {
  const dir = path.join(CORPUS, 'access');
  for (const name of readdirSync(dir)) {
    test(name, async () => {
      const { stats, malformed } = await read(path.join(dir, name));
      expect(malformed).toEqual([]);
      expect(stats.parsed).toBe(stats.lines - stats.skipped);
      expect(stats.parsed).toBeGreaterThan(0);
    });
  }
});

/**
 * [file, detected format, envelope, parsed, of which error-log lines, malformed, why the malformed lines are not records].
 * Files mixing access and error lines are read as both: their error half is parsed, not malformed.
 */
const MIXED: Array<[string, string, string | null, number, number, number, RegExp | null]> = [
  ['crowdsec-apache2-logs__apache2-logs.log', 'combined', null, 9, 2, 0, null], // 2 Apache error lines among access lines
  ['crowdsec-nginx_http-logs__nginx_http-logs.log', 'combined', null, 9, 1, 0, null], // 1 Nginx error line
  ['crowdsec-nginx-proxy-manager-malformed__nginx_http-logs.log', 'combined', null, 12, 0, 0, null],
  ['crowdsec-traefik_clf__traefik_clf.log', 'traefik', null, 6, 0, 1, /status/], // Traefik logs "-" as the status of an aborted request
  ['crowdsec-http-bf-wordpress-bf__http-bf-wordpress-bf.log', 'combined', 'syslog', 9, 0, 0, null], // `Sep 15 16:13:46 host nginx[2869]: <combined>`
  ['allinurl-goaccess/ci-access.log', 'vhost_combined', null, 4, 0, 0, null],
  ['elastic-beats/apache__access__darwin-2.4.23.log', 'common', null, 6, 0, 0, null],
  ['elastic-beats/apache__access__test.log', 'combined', null, 7, 0, 0, null],
  ['elastic-beats/nginx__access__test-with-host.log', 'combined', null, 10, 0, 0, null],
  ['elastic-beats/nginx__access__test.log', 'combined', null, 7, 0, 0, null],
  ['fail2ban/apache-badbots', 'combined', null, 4, 0, 0, null],
  ['fail2ban/nginx-bad-request', 'combined', null, 8, 0, 0, null],
  ['fail2ban/nginx-botsearch', 'combined', null, 14, 6, 0, null], // its error-log half
  ['fail2ban/traefik-auth', 'traefik', null, 6, 0, 0, null],
  ['matomo-log-analytics/common.log', 'common', null, 1, 0, 0, null],
  ['matomo-log-analytics/common_complete.log', 'vhost_combined', null, 1, 0, 0, null],
  ['matomo-log-analytics/common_encoding_big5.log', 'vhost_combined', null, 1, 0, 0, null],
  ['matomo-log-analytics/common_vhost.log', 'vhost_combined', null, 1, 0, 0, null],
  ['matomo-log-analytics/logs_to_tests.log', 'combined', null, 4, 0, 0, null],
  ['matomo-log-analytics/ncsa_extended.log', 'combined', null, 1, 0, 0, null],
  ['matomo-log-analytics/nginx_json.log', 'json', null, 2, 0, 0, null],
  ['vectordotdev-vrl/vrl_test_lines.log', 'combined', null, 18, 0, 0, null],
  ['crowdsec-nginx-http-generic-bf__nginx-http-generic-bf.log', 'nginx_error', null, 22, 16, 0, null], // 16 "user not found" error lines, then 6 access-log lines
];

describe('corpus/mixed: stated malformed counts', () => {
  for (const [name, format, envelope, parsed, errorLines, malformedCount, reason] of MIXED) {
    test(`${name}: ${parsed} parsed (${errorLines} error-log lines), ${malformedCount} malformed`, async () => {
      const { stats, malformed } = await read(path.join(CORPUS, 'mixed', name));
      expect(stats).toMatchObject({ status: 'ok', format, envelope, parsed, errorLines });
      expect(malformed).toHaveLength(malformedCount);
      for (const m of malformed) expect(m.reason).toMatch(reason as RegExp);
    });
  }

  test.each([
    ['crowdsec-bunkerweb-http-malformed__bunkerweb-http-malformed.log', /unknown log format/], // needs its own --format (tested in logformat.test)
    ['elastic-beats/apache__access__ssl-request.log', /unknown log format/], // mod_ssl request log: no status
  ])('%s is skipped with a clear reason', async (name, message) => {
    const { stats } = await read(path.join(CORPUS, 'mixed', name));
    expect(stats).toMatchObject({ status: 'skipped', parsed: 0, lines: 0 });
    expect(stats.reason).toMatch(message);
  });
});

/**
 * POSTing to a receiver over real sockets on 127.0.0.1: HTTPS with a CA file, without it (refused,
 * retried), with tls_verify off; basic auth from a password file; what each answer means for the retry
 * stage; a receiver that never answers is cut by the timeout.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { classify, httpTarget, postJson } from '../../src/notify/http';
import { tempDir } from '../support/paths';
import { TestReceiver } from '../support/receiver';

const never = new AbortController().signal;

test('HTTPS: trusted through ca_file, refused (and retried) without it, accepted with tls_verify: false; basic auth from a file', async () => {
  const dir = tempDir();
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const seen: Array<string | undefined> = [];
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    seen.push(req.headers.authorization);
    req.resume().on('end', () => res.writeHead(202).end('queued'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`;
  writeFileSync(path.join(dir, 'pass'), 's3cret\n');
  try {
    const trusted = await httpTarget('outputs.0', url, 5000, { ca_file: cert, auth: { user: 'authwatch', pass_file: path.join(dir, 'pass') } });
    expect(await postJson(trusted, trusted.url, '{}', never)).toEqual({ ok: true, response: 'answered 202: queued' });
    expect(seen).toEqual([`Basic ${Buffer.from('authwatch:s3cret').toString('base64')}`]);

    const untrusted = await httpTarget('outputs.0', url, 5000, {});
    const refused = await postJson(untrusted, untrusted.url, '{}', never);
    expect(refused).toMatchObject({ ok: false, retry: true });
    expect(refused.ok ? '' : refused.reason).toMatch(/^TLS with https:\/\/127\.0\.0\.1:\d+ failed: .*check ca_file and tls_verify$/);

    const unverified = await httpTarget('outputs.0', url, 5000, { tls_verify: false });
    expect((await postJson(unverified, unverified.url, '{}', never)).ok).toBe(true);
  } finally {
    server.close();
  }
});

test('a missing password file or token variable is a config error naming the field', async () => {
  await expect(httpTarget('outputs.1', 'http://127.0.0.1:1/', 1000, { auth: { user: 'u', pass_file: '/nonexistent/pass' } })).rejects.toThrow('outputs.1.auth.pass_file: cannot read /nonexistent/pass (ENOENT)');
  await expect(httpTarget('outputs.1', 'http://127.0.0.1:1/', 1000, { auth: { token_env: 'AW_SURELY_UNSET' } })).rejects.toThrow('outputs.1.auth.token_env: the environment variable AW_SURELY_UNSET is not set');
  await expect(httpTarget('outputs.1', 'http://127.0.0.1:1/', 1000, { ca_file: '/nonexistent/ca.pem' })).rejects.toThrow('outputs.1.ca_file: cannot read /nonexistent/ca.pem (ENOENT)');
});

test('what an answer means: 2xx accepted; 408, 429 and 5xx retried (Retry-After in seconds or as a date); other 4xx and 3xx refused for good', () => {
  expect(classify(204, '')).toEqual({ ok: true, response: 'answered 204' });
  expect(classify(408, '')).toMatchObject({ ok: false, retry: true });
  expect(classify(429, 'slow down', '7')).toEqual({ ok: false, retry: true, reason: 'answered 429: slow down', retryAfterMs: 7000 });
  const date = classify(503, '', new Date(Date.now() + 60_000).toUTCString());
  expect(date.ok ? 0 : (date.retryAfterMs ?? 0)).toBeGreaterThan(50_000);
  expect(classify(500, '\x1b[31mboom\r\n')).toMatchObject({ ok: false, retry: true, reason: 'answered 500: [31mboom' });
  expect(classify(404, 'no such hook')).toEqual({ ok: false, retry: false, reason: 'answered 404: no such hook', retryAfterMs: undefined });
  expect(classify(301, '')).toMatchObject({ ok: false, retry: false, reason: 'answered 301 (redirects are not followed: check the url)' });
});

test('a receiver that accepts the request and never answers is cut by the timeout, and can be retried', async () => {
  const r = await TestReceiver.start(() => 'hang');
  try {
    const t = await httpTarget('outputs.0', r.url(), 300, {});
    const a = await postJson(t, t.url, '{}', never);
    expect(a).toMatchObject({ ok: false, retry: true });
    expect(a.ok ? '' : a.reason).toBe(`no answer from http://127.0.0.1:${r.port} in 300 ms (a hanging receiver, or a firewall dropping packets)`);
    expect(r.received).toHaveLength(1);
  } finally {
    await r.stop();
  }
});

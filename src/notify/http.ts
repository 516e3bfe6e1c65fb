/**
 * POSTing JSON to a receiver (a webhook, an Alertmanager) and saying what the answer means for the
 * retry stage: 2xx accepted; connection errors, timeouts, 408, 429 and 5xx worth another try (after
 * Retry-After when the receiver gave one); any other answer a refusal that would only repeat, kept
 * with the receiver's words in the dead letter.
 *
 * node:http rather than fetch: Node 20's fetch takes no CA file or per-request TLS options without
 * the undici package, and a hanging receiver must be cut by one timeout covering connect, headers and
 * body, which a plain request makes explicit.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { UsageError } from '../errors';
import { CONTROL } from '../report/sanitize';
import type { Attempt } from './retry';

/** Credentials from the environment or a file, never from the config itself. */
export interface HttpAuthConfig {
  user?: string;
  pass_env?: string;
  pass_file?: string;
  token_env?: string;
  token_file?: string;
}

export interface HttpTargetConfig {
  auth?: HttpAuthConfig;
  tls_verify?: boolean;
  ca_file?: string;
}

/** What a request needs once secrets and the CA file are read (at start and on SIGHUP). */
export interface HttpTarget {
  url: URL;
  timeoutMs: number;
  /** The Authorization header value, if any: never logged. */
  authorization?: string;
  ca?: string;
  verify: boolean;
}

/** The bytes of a receiver's answer kept for a log line or a dead letter. */
const ANSWER_BYTES = 1024;

async function secret(field: string, env: string | undefined, file: string | undefined): Promise<string> {
  if (env !== undefined) {
    const v = process.env[env];
    if (v === undefined || v === '') throw new UsageError(`${field}: the environment variable ${env} is not set`);
    return v;
  }
  try {
    return (await fs.readFile(file as string, 'utf8')).replace(/\r?\n$/, '');
  } catch (e) {
    throw new UsageError(`${field}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reads the credentials and CA file a target names; a missing variable or file is a config error naming the field. */
export async function httpTarget(field: string, url: string, timeoutMs: number, c: HttpTargetConfig): Promise<HttpTarget> {
  let authorization: string | undefined;
  const a = c.auth;
  if (a?.user !== undefined) {
    const pass = await secret(`${field}.auth.${a.pass_env !== undefined ? 'pass_env' : 'pass_file'}`, a.pass_env, a.pass_file);
    authorization = `Basic ${Buffer.from(`${a.user}:${pass}`).toString('base64')}`;
  } else if (a && (a.token_env !== undefined || a.token_file !== undefined)) {
    authorization = `Bearer ${await secret(`${field}.auth.${a.token_env !== undefined ? 'token_env' : 'token_file'}`, a.token_env, a.token_file)}`;
  }
  let ca: string | undefined;
  if (c.ca_file !== undefined) {
    try {
      ca = await fs.readFile(c.ca_file, 'utf8');
    } catch (e) {
      throw new UsageError(`${field}.ca_file: cannot read ${c.ca_file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return { url: new URL(url), timeoutMs, authorization, ca, verify: c.tls_verify ?? true };
}

/** A URL as it may appear in logs and metrics: scheme, host and port (a path or query can hold a token, as Slack's do). */
export function displayUrl(url: URL): string {
  return url.origin;
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporarily)',
  EPIPE: 'connection closed while sending',
};

/** Seconds or an HTTP date, bounded to a day; anything else is ignored. */
function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 86_400_000) : undefined;
}

function answerText(status: number, body: string): string {
  const text = body.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return `answered ${status}${text ? `: ${text.slice(0, 300)}` : ''}`;
}

/** What a status means: accepted, worth another try, or refused for good. */
export function classify(status: number, body: string, retryAfter?: string): Attempt {
  if (status >= 200 && status < 300) return { ok: true, response: answerText(status, body) };
  const retry = status === 408 || status === 429 || status >= 500;
  return { ok: false, retry, reason: answerText(status, body) + (status >= 300 && status < 400 ? ' (redirects are not followed: check the url)' : ''), retryAfterMs: retry ? retryAfterMs(retryAfter) : undefined };
}

/** One POST; resolves to what the answer means, never rejects. Extra headers: an idempotency key for instance. */
export function postJson(t: HttpTarget, target: URL, body: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<Attempt> {
  const where = displayUrl(t.url);
  if (signal.aborted) return Promise.resolve({ ok: false, retry: true, reason: 'aborted: authwatch is stopping' });
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    const done = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(a);
    };
    const isHttps = target.protocol === 'https:';
    const options: https.RequestOptions = {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'authwatch',
        ...(t.authorization ? { authorization: t.authorization } : {}),
        ...headers,
      },
      ...(isHttps ? { ca: t.ca, rejectUnauthorized: t.verify } : {}),
    };
    const req = (isHttps ? https : http).request(target, options, (res) => {
      let answer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (answer.length < ANSWER_BYTES) answer += chunk.slice(0, ANSWER_BYTES - answer.length);
      });
      res.on('end', () => done(classify(res.statusCode ?? 0, answer, res.headers['retry-after'])));
      res.on('error', (e) => done({ ok: false, retry: true, reason: `${where}: the answer was cut: ${e.message}` }));
    });
    // One bound for connect, headers and body: a receiver that accepts and never answers is cut here.
    const timer = setTimeout(() => {
      done({ ok: false, retry: true, reason: `no answer from ${where} in ${t.timeoutMs} ms (a hanging receiver, or a firewall dropping packets)` });
      req.destroy();
    }, t.timeoutMs);
    const onAbort = () => {
      done({ ok: false, retry: true, reason: 'aborted: authwatch is stopping' });
      req.destroy();
    };
    signal.addEventListener('abort', onAbort);
    req.on('error', (e: NodeJS.ErrnoException) => {
      const words = e.code ? NETWORK_WORDS[e.code] : undefined;
      const tls = e.code?.startsWith('ERR_TLS') || /certificate|self.signed|SSL/i.test(e.message);
      done({ ok: false, retry: true, reason: words ? `cannot reach ${where}: ${words}` : tls ? `TLS with ${where} failed: ${e.message}; check ca_file and tls_verify` : `${where}: ${e.message}` });
    });
    req.end(body);
  });
}

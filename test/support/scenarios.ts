/** Generated logs with known incidents, written as real files for the engine to read. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Traffic, apiClients, apiTraffic, background, bruteForce, brokenDeploy, credentialStuffing, render, scanner, staleCredential, tokenExpiryWave, unexplainedSpike,
  type SynthFormat,
} from '../../src/synth/traffic';

export const T0 = Date.UTC(2026, 9, 5, 6, 0, 0);
export const H = 3_600_000;
export const M = 60_000;

export type ScenarioName = 'clean' | 'brute-force' | 'credential-stuffing' | 'scanner' | 'auth-broken-on-path' | 'stale-credential' | 'auth-401-spike';

export interface Expected {
  rule: string;
  kind: string;
  group: Record<string, string>;
  /** The incident's first and last failure must fall inside these bounds. */
  startBetween: [number, number];
  endBetween: [number, number];
}

/** Clean traffic for `hours`, with the normal 401 patterns: Basic-auth challenges and a token-expiry wave. */
function clean(t: Traffic, hours: number, apiPlan: Array<[number, number]> = [[0, hours * H]]): ReturnType<typeof apiClients> {
  const clients = apiClients(t, 40);
  background(t, T0, T0 + hours * H, 12);
  for (const [from, to] of apiPlan) apiTraffic(t, clients, T0 + from, T0 + to, 0.25);
  tokenExpiryWave(t, clients, T0 + 75 * M);
  return clients;
}

/** Adds one scenario's incident at `at` (ms after T0) to traffic and returns what must be found. */
export function addIncident(t: Traffic, name: Exclude<ScenarioName, 'clean'>, at: number, clients: ReturnType<typeof apiClients>): Expected {
  const s = T0 + at;
  switch (name) {
    case 'brute-force':
      bruteForce(t, '203.0.113.7', s, 100, 2000);
      return { rule: name, kind: 'attack', group: { ip: '203.0.113.7' }, startBetween: [s, s + 2000], endBetween: [s + 197_000, s + 201_000] };
    case 'credential-stuffing':
      credentialStuffing(t, s, 200, 8 * M);
      return { rule: name, kind: 'attack', group: { path: '/login' }, startBetween: [s, s + 2 * M], endBetween: [s + 6 * M, s + 8 * M + 15_000] };
    case 'scanner':
      scanner(t, '192.0.2.200', s, 40);
      return { rule: name, kind: 'attack', group: { ip: '192.0.2.200' }, startBetween: [s, s + 30_000], endBetween: [s + 5_000, s + 40 * 900] };
    case 'auth-broken-on-path':
      brokenDeploy(t, clients, s, s + 20 * M, 0.25);
      return { rule: name, kind: 'misconfiguration', group: { path_prefix: '/api/v2' }, startBetween: [s, s + M], endBetween: [s + 18 * M, s + 20 * M] };
    case 'stale-credential':
      staleCredential(t, s - 30 * M, s, s + 60 * M, 60_000);
      return { rule: name, kind: 'misconfiguration', group: { client: 'inventory-sync/2.3 (+https://erp.example.net)', user: 'svc-inventory' }, startBetween: [s, s + M], endBetween: [s + 58 * M, s + 60 * M] };
    case 'auth-401-spike':
      unexplainedSpike(t, s, 150, 4 * M);
      return { rule: name, kind: 'anomaly', group: {}, startBetween: [s, s + M], endBetween: [s + 3 * M, s + 4 * M] };
  }
}

export interface Scenario {
  file: string;
  expected: Expected[];
}

export function writeScenario(dir: string, name: ScenarioName, format: SynthFormat = 'combined', seed = 7): Scenario {
  const t = new Traffic(seed);
  const incidentAt = 2 * H;
  // The broken deploy replaces the API traffic during its 20 minutes.
  const apiPlan: Array<[number, number]> = name === 'auth-broken-on-path' ? [[0, incidentAt], [incidentAt + 20 * M, 3 * H]] : [[0, 3 * H]];
  const clients = clean(t, 3, apiPlan);
  const expected = name === 'clean' ? [] : [addIncident(t, name, incidentAt, clients)];
  const file = path.join(dir, `${name}.${format}.log`);
  writeFileSync(file, t.sorted().map((r) => render(r, format, 120)).join('\n') + '\n');
  return { file, expected };
}

/** All six incidents in one 9-hour log, an hour or more apart. */
export function writeMixed(dir: string, format: SynthFormat, seed = 11): Scenario {
  const t = new Traffic(seed);
  const names: Array<Exclude<ScenarioName, 'clean'>> = ['brute-force', 'credential-stuffing', 'scanner', 'auth-broken-on-path', 'stale-credential', 'auth-401-spike'];
  const starts = [2 * H, 3 * H, 4 * H, 5 * H, 6 * H + 30 * M, 8 * H];
  const deployAt = starts[3] as number;
  const clients = clean(t, 9, [[0, deployAt], [deployAt + 20 * M, 9 * H]]);
  const expected = names.map((n, i) => addIncident(t, n, starts[i] as number, clients));
  const file = path.join(dir, `mixed.${format}.log`);
  writeFileSync(file, t.sorted().map((r) => render(r, format, -240)).join('\n') + '\n');
  return { file, expected };
}

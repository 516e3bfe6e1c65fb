/**
 * Writes samples/: a few hours of realistic traffic for two sites, with known incidents.
 * Deterministic (fixed seeds), so regenerating gives byte-identical files.
 * Run: npx tsx scripts/make-samples.ts
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import {
  Traffic, background, apiClients, apiTraffic, tokenExpiryWave, bruteForce, credentialStuffing, scanner, brokenDeploy, staleCredential, render,
} from '../src/synth/traffic';

const out = path.join(__dirname, '..', 'samples');
mkdirSync(out, { recursive: true });
const H = 3600_000;
const M = 60_000;

// Nginx site (logs in +01:00): 2 h rotated (gzip) then 3 h current.
{
  const t0 = Date.UTC(2026, 10, 20, 6, 0, 0);
  const t = new Traffic(20261120);
  const clients = apiClients(t, 40);
  background(t, t0, t0 + 5 * H, 14);
  apiTraffic(t, clients, t0, t0 + 5 * H, 0.15);
  tokenExpiryWave(t, clients, t0 + 2 * H + 30 * M); // normal: must not alert
  bruteForce(t, '203.0.113.7', t0 + 3 * H + 10 * M, 240, 1200); // attack: brute force
  staleCredential(t, t0, t0 + 2 * H + 45 * M, t0 + 5 * H, 60_000); // misconfiguration: stale key
  const all = t.sorted();
  const cut = t0 + 2 * H;
  const rotated = all.filter((r) => r.time < cut).map((r) => render(r, 'combined', 60)).join('\n') + '\n';
  const current = all.filter((r) => r.time >= cut).map((r) => render(r, 'combined', 60)).join('\n') + '\n';
  writeFileSync(path.join(out, 'nginx-access.log.1.gz'), gzipSync(rotated, { level: 9 }));
  writeFileSync(path.join(out, 'nginx-access.log'), current);
}

// Apache site (logs in -05:00): 4 h.
{
  const t0 = Date.UTC(2026, 10, 21, 13, 0, 0);
  const t = new Traffic(20261121, 'portal.example.org');
  const clients = apiClients(t, 60);
  background(t, t0, t0 + 4 * H, 10);
  // misconfiguration: a deploy breaks auth on /api/v2 for every client for 20 minutes, then is rolled back
  apiTraffic(t, clients, t0, t0 + 2 * H + 30 * M, 0.2);
  brokenDeploy(t, clients, t0 + 2 * H + 30 * M, t0 + 2 * H + 50 * M, 0.2);
  apiTraffic(t, clients, t0 + 2 * H + 50 * M, t0 + 4 * H, 0.2);
  credentialStuffing(t, t0 + H + 20 * M, 320, 12 * M); // attack: credential stuffing
  scanner(t, '192.0.2.200', t0 + 3 * H + 15 * M, 80); // attack: scanner
  writeFileSync(path.join(out, 'apache-access.log'), t.sorted().map((r) => render(r, 'combined', -300)).join('\n') + '\n');
}

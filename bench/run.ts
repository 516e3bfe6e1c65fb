/**
 * npm run bench: end-to-end and per-stage throughput of `authwatch report`.
 * Datasets are generated deterministically into node_modules/.cache/authwatch-bench (not committed),
 * the built CLI runs as a child process (median of 3 runs taken round robin over the datasets, peak
 * RSS from /usr/bin/time when present),
 * and the results go to bench/results.json with a description of the machine.
 */
import { spawnSync } from 'node:child_process';
import { killDaemons, startDaemon, total, waitFor } from '../test/support/daemon';
import { tempDir } from '../test/support/paths';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  Traffic, apiClients, apiTraffic, background, bruteForce, credentialStuffing, scanner, staleCredential, tokenExpiryWave, render, CUSTOM_NGINX_FORMAT,
  type SynthFormat, type SynthRequest,
} from '../src/synth/traffic';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'authwatch-bench');
const LINES = 1_000_000;
const RUNS = 3;
const H = 3_600_000;

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(file);
  let buf = '';
  for (const l of lines) {
    buf += l + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

/** A day of a busy site: browsing, API clients, the normal 401 patterns and one of each incident. */
function realisticTraffic(): SynthRequest[] {
  const t = new Traffic(2026);
  const t0 = Date.UTC(2026, 10, 1);
  const clients = apiClients(t, 300);
  background(t, t0, t0 + 24 * H, 600);
  apiTraffic(t, clients, t0, t0 + 24 * H, 0.3);
  tokenExpiryWave(t, clients, t0 + 6 * H);
  bruteForce(t, '203.0.113.7', t0 + 9 * H, 3000, 300);
  credentialStuffing(t, t0 + 13 * H, 2000, 15 * 60_000);
  scanner(t, '192.0.2.200', t0 + 15 * H, 400);
  staleCredential(t, t0, t0 + 18 * H, t0 + 24 * H, 60_000);
  return t.sorted().slice(0, LINES);
}

/** 401s from a million distinct addresses over an hour: the key tables must stay bounded. */
function* botnetLines(): Generator<string> {
  const t0 = Date.UTC(2026, 10, 2);
  for (let i = 0; i < LINES; i++) {
    const ip = `${11 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.${1 + (i % 250)}`;
    const r: SynthRequest = { time: t0 + Math.floor((i * 3600_000) / LINES), ip, user: '-', method: 'POST', target: '/login', status: 401, bytes: 179, referer: '-', userAgent: 'Mozilla/5.0', host: 'x' };
    yield render(r, 'combined');
  }
}

async function datasets(): Promise<Record<string, { file: string; format: string }>> {
  mkdirSync(CACHE, { recursive: true });
  const files: Record<string, { file: string; format: string }> = {
    combined: { file: path.join(CACHE, 'combined.log'), format: 'auto' },
    'combined.gz': { file: path.join(CACHE, 'combined.log.gz'), format: 'auto' },
    json: { file: path.join(CACHE, 'json.log'), format: 'auto' },
    custom: { file: path.join(CACHE, 'custom.log'), format: `nginx:${CUSTOM_NGINX_FORMAT}` },
    botnet: { file: path.join(CACHE, 'botnet.log'), format: 'auto' },
  };
  if (!existsSync(files.combined!.file) || !existsSync(files.custom!.file)) {
    process.stderr.write('generating 1 M-line datasets (once)…\n');
    const reqs = realisticTraffic();
    const as = (f: SynthFormat) => reqs.map((r) => render(r, f));
    await writeLines(files.combined!.file, as('combined'));
    await writeLines(files.json!.file, as('json'));
    await writeLines(files.custom!.file, as('custom'));
    await pipeline(createReadStream(files.combined!.file), createGzip({ level: 6 }), createWriteStream(files['combined.gz']!.file));
    await writeLines(files.botnet!.file, botnetLines());
  }
  return files;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

interface EndToEnd {
  dataset: string;
  /** user + system CPU seconds of the child (median): steadier than wall time on a shared VM. */
  cpuSeconds: number;
  lines: number;
  bytes: number;
  seconds: number;
  linesPerSecond: number;
  peakRssMB: number | null;
  incidents: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function firstLine(file: string): Buffer {
  const head = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, head.subarray(0, n).indexOf(10) + 1);
  } finally {
    closeSync(fd);
  }
}

interface ReportRun {
  seconds: number;
  cpuSeconds: number;
  rssMB: number | null;
  lines: number;
  incidents: number;
}

/** One `authwatch report` child process. */
function reportRun(name: string, file: string, format: string): ReportRun {
  const out = path.join(CACHE, `${name}.report.json`);
  const args = [CLI, 'report', file, '--format', format, '--output', 'json', '-o', out];
  const r = timed(process.execPath, args);
  if (r.status !== 0) throw new Error(`${name}: authwatch exited ${r.status}: ${r.stderr}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { lines: { total: number }; incidents: unknown[] };
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, rssMB: r.rssMB, lines: report.lines.total, incidents: report.incidents.length };
}

interface Timed {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  cpuSeconds: number;
  rssMB: number | null;
}

/** A child process with its wall time, CPU time (user + system) and peak RSS (from /usr/bin/time when present). */
function timed(command: string, args: string[]): Timed {
  const haveTime = existsSync('/usr/bin/time');
  const start = process.hrtime.bigint();
  const r = haveTime
    ? spawnSync('/usr/bin/time', ['-f', 'AWBENCH %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const mark = haveTime ? /AWBENCH (\S+) (\S+) (\d+)\s*$/.exec(r.stderr) : null;
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: mark ? r.stderr.slice(0, mark.index) : r.stderr,
    seconds,
    cpuSeconds: mark ? Number(mark[1]) + Number(mark[2]) : seconds,
    rssMB: mark ? Number(mark[3]) / 1024 : null,
  };
}

/**
 * Peers on the same file in the same round: GoAccess (a C log analyzer, `--log-format=COMBINED`, JSON
 * out) and `grep -c ' 401 '` (the floor: reading the bytes and finding a pattern, nothing understood).
 * GoAccess comes from Debian's package (installed here when missing and we are root).
 */
function ensureGoAccess(): string | null {
  const bin = '/usr/bin/goaccess';
  if (existsSync(bin)) return bin;
  if (process.getuid?.() === 0) {
    process.stderr.write('installing Debian\'s goaccess for the peer comparison…\n');
    spawnSync('apt-get', ['install', '-y', '-qq', 'goaccess'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return existsSync(bin) ? bin : null;
}

interface PeerRun {
  seconds: number;
  cpuSeconds: number;
}

function goaccessRun(bin: string, file: string): PeerRun {
  const out = path.join(CACHE, 'goaccess.json');
  const r = timed(bin, [file, '--log-format=COMBINED', '--no-progress', '-o', out]);
  if (r.status !== 0) throw new Error(`goaccess exited ${r.status}: ${r.stderr.slice(-500)}`);
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds };
}

function grepRun(file: string): PeerRun & { count: number } {
  const r = timed('grep', ['-c', ' 401 ', file]);
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, count: Number(r.stdout.trim()) };
}

function endToEnd(name: string, file: string, runs: ReportRun[]): EndToEnd {
  const seconds = median(runs.map((r) => r.seconds));
  const cpuSeconds = median(runs.map((r) => r.cpuSeconds));
  const rss = runs.flatMap((r) => (r.rssMB === null ? [] : [r.rssMB]));
  const { lines, incidents } = runs[runs.length - 1] as ReportRun;
  return { dataset: name, cpuSeconds: round3(cpuSeconds), lines, bytes: statSync(file).size, seconds: round3(seconds), linesPerSecond: Math.round(lines / seconds), peakRssMB: rss.length ? Math.round(Math.max(...rss)) : null, incidents };
}

/** Per stage, in process, on the combined dataset: where a regression points. */
async function stages(file: string): Promise<Array<{ stage: string; seconds: number; linesPerSecond: number }>> {
  const { readInput } = await import(path.join(ROOT, 'dist', 'ingest', 'read.js'));
  const { ReportBuilder } = await import(path.join(ROOT, 'dist', 'report', 'model.js'));
  const { Engine } = await import(path.join(ROOT, 'dist', 'rules', 'engine.js'));
  const { loadRules } = await import(path.join(ROOT, 'dist', 'rules', 'load.js'));
  const rules = await loadRules(path.join(ROOT, 'rules'));
  type Ev = { time: number };
  const variants: Array<[string, () => (e: Ev) => void]> = [
    ['read + split + parse', () => () => undefined],
    ['+ report model', () => { const b = new ReportBuilder(); return (e) => b.add(e); }],
    ['+ rules engine (no report)', () => { const en = new Engine(rules.rules); return (e) => en.add(e); }],
  ];
  // The floor: reading the file and cutting it into latin1 lines, nothing parsed. Every other
  // figure is this plus its own stages, and it moves with the machine's speed on the day.
  const { openInput } = await import(path.join(ROOT, 'dist', 'ingest', 'open.js'));
  const { LineSplitter } = await import(path.join(ROOT, 'dist', 'ingest', 'lines.js'));
  const floor: number[] = [];
  let floorLines = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    const input = await openInput(file);
    const splitter = new LineSplitter({ line: () => undefined, overflow: () => undefined });
    for await (const chunk of input.chunks as AsyncIterable<Buffer>) splitter.push(chunk);
    splitter.end();
    floor.push(Number(process.hrtime.bigint() - start) / 1e9);
    floorLines = splitter.linesSeen;
  }
  const floorSeconds = median(floor);
  const out = [{ stage: 'read + split (no parse)', seconds: round3(floorSeconds), linesPerSecond: Math.round(floorLines / floorSeconds) }];
  for (const [stage, make] of variants) {
    const secs: number[] = [];
    let lines = 0;
    for (let run = 0; run < RUNS; run++) {
      const sink = make();
      const start = process.hrtime.bigint();
      const stats = await readInput(file, { format: 'combined' }, { event: sink, malformed: () => undefined });
      secs.push(Number(process.hrtime.bigint() - start) / 1e9);
      lines = stats.lines;
    }
    const s = median(secs);
    out.push({ stage, seconds: round3(s), linesPerSecond: Math.round(lines / s) });
  }
  return out;
}

/**
 * One run of the daemon's follow path over a file (`authwatch watch --from-start`, state in a temp
 * dir): seconds from spawn until /metrics says every line was read (each line is parsed and through
 * the engine by then), start-up included as in a report run.
 */
async function followRun(file: string, lines: number): Promise<number> {
  const dir = tempDir('authwatch-bench-');
  const config = path.join(dir, 'authwatch.yaml');
  writeFileSync(config, `inputs:\n  - path: ${JSON.stringify(file)}\nstate_dir: ${JSON.stringify(path.join(dir, 'state'))}\noutputs:\n  - type: jsonl\n    path: ${JSON.stringify(path.join(dir, 'alerts.jsonl'))}\n`);
  const start = process.hrtime.bigint();
  try {
    const d = await startDaemon(config, ['--from-start']);
    await waitFor(async () => (await total(d.port, 'authwatch_lines_read_total')) >= lines, 120_000, () => d.stderr().slice(-2000));
    return Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    killDaemons();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  const files = await datasets();
  // Per line, start-up aside: the daemon starts more (metrics server, state, logger) than a report,
  // so both paths are also timed on the combined log's first line alone and that is taken off.
  const oneLine = path.join(CACHE, 'one-line.log');
  writeFileSync(oneLine, firstLine(files.combined!.file));
  // Round robin, not all runs of one dataset in a row: this VM's speed drifts for minutes at a
  // time, and a slow spell then weighs on every dataset's median a little rather than on one wholly.
  const runs = new Map<string, ReportRun[]>();
  const follows: number[] = [];
  const batchStartups: number[] = [];
  const followStartups: number[] = [];
  let combinedLines = 0;
  const goaccess = ensureGoAccess();
  const goaccessRuns: PeerRun[] = [];
  const grepRuns: PeerRun[] = [];
  for (let round = 1; round <= RUNS; round++) {
    process.stderr.write(`round ${round}/${RUNS}: peers on the combined file…\n`);
    if (goaccess) goaccessRuns.push(goaccessRun(goaccess, files.combined!.file));
    grepRuns.push(grepRun(files.combined!.file));
    for (const [name, { file, format }] of Object.entries(files)) {
      process.stderr.write(`round ${round}/${RUNS}: ${name}…\n`);
      const r = reportRun(name, file, format);
      runs.set(name, [...(runs.get(name) ?? []), r]);
      if (name === 'combined') combinedLines = r.lines;
    }
    process.stderr.write(`round ${round}/${RUNS}: the daemon follow path, and both paths on one line…\n`);
    follows.push(await followRun(files.combined!.file, combinedLines));
    batchStartups.push(reportRun('one-line', oneLine, 'combined').seconds);
    followStartups.push(await followRun(oneLine, 1));
  }
  const e2e = Object.entries(files).map(([name, { file }]) => endToEnd(name, file, runs.get(name) ?? []));
  const combined = e2e.find((r) => r.dataset === 'combined') as EndToEnd;
  const peer = (name: string, rs: PeerRun[]) => {
    if (rs.length === 0) return null;
    const seconds = median(rs.map((r) => r.seconds));
    const cpuSeconds = median(rs.map((r) => r.cpuSeconds));
    return { peer: name, seconds: round3(seconds), cpuSeconds: round3(cpuSeconds), linesPerSecond: Math.round(combined.lines / seconds), authwatchSpeedup: round3(seconds / combined.seconds), authwatchCpuSpeedup: round3(cpuSeconds / combined.cpuSeconds) };
  };
  const peers = [peer('goaccess --log-format=COMBINED -o out.json', goaccessRuns), peer("grep -c ' 401 ' (floor)", grepRuns)].filter((p) => p !== null);
  const followSeconds = median(follows);
  const followed = { seconds: round3(followSeconds), linesPerSecond: Math.round(combined.lines / followSeconds) };
  const batchStartup = round3(median(batchStartups));
  const followStartup = round3(median(followStartups));
  const perLine = (seconds: number, startup: number) => Math.round(((seconds - startup) / combined.lines) * 1e9) / 1e3;
  const followPerLine = { followStartupSeconds: followStartup, batchStartupSeconds: batchStartup, followMicrosPerLine: perLine(followSeconds, followStartup), batchMicrosPerLine: perLine(combined.seconds, batchStartup) };
  process.stderr.write('running stages…\n');
  const perStage = await stages(files.combined!.file);
  console.log('\nEnd to end: authwatch report FILE --output json (median of 3 runs)');
  console.table(e2e.map((r) => ({ dataset: r.dataset, lines: r.lines, 'MB on disk': Math.round(r.bytes / 1e6), seconds: r.seconds, 'CPU s': r.cpuSeconds, 'lines/s': r.linesPerSecond.toLocaleString('en-US'), 'peak RSS MB': r.peakRssMB, incidents: r.incidents })));
  console.log('Peers on the combined file, same rounds (speedup: their time / authwatch\'s; > 1 means authwatch is faster)');
  console.table(peers.map((p) => ({ peer: p.peer, seconds: p.seconds, 'CPU s': p.cpuSeconds, 'lines/s': p.linesPerSecond.toLocaleString('en-US'), 'authwatch speedup (wall)': p.authwatchSpeedup, '(CPU)': p.authwatchCpuSpeedup })));
  console.log(`Daemon follow path (watch --from-start), combined: ${followed.seconds} s, ${followed.linesPerSecond.toLocaleString('en-US')} lines/s (batch: ${combined.linesPerSecond.toLocaleString('en-US')})`);
  console.log(`  per line, start-up taken off: follow ${followPerLine.followMicrosPerLine} µs (start-up ${followStartup} s), batch ${followPerLine.batchMicrosPerLine} µs (start-up ${batchStartup} s)`);
  console.log('Per stage, in process, combined dataset');
  console.table(perStage.map((s) => ({ stage: s.stage, seconds: s.seconds, 'lines/s': s.linesPerSecond.toLocaleString('en-US') })));
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
  writeFileSync(path.join(ROOT, 'bench', 'results.json'), JSON.stringify({ date: new Date().toISOString(), machine, endToEnd: e2e, peers, follow: { dataset: 'combined', ...followed, ...followPerLine }, stages: perStage }, null, 2) + '\n');
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}; written to bench/results.json`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

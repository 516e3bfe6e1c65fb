/**
 * Runs the product on a case: the built CLI, `authwatch report <files> --output json`, with the
 * bundled rules, one process per case, exactly as a user runs it. Only the report's public JSON is
 * read (its documented contract), checked with zod at this boundary.
 *
 * Why a process per case rather than the same code in process: a fresh process is what users run (no
 * state carried from one case to the next). It costs ~0.5 s of CPU a case (measured: 0.49-0.57 s user+sys
 * for a one-line log on this machine), about a quarter of a default run; the lanes in run.ts overlap it
 * with generating the next case.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { z } from 'zod';

export const ROOT = path.resolve(__dirname, '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

const TopList = z.array(z.object({ key: z.string(), count: z.number() })).optional();

const IncidentSchema = z.object({
  rule: z.string(),
  kind: z.string(),
  severity: z.string(),
  group: z.record(z.string(), z.string()),
  start: z.string(),
  end: z.string(),
  count: z.number(),
  summary: z.string(),
  top: z.object({ ip: TopList, path: TopList, client: TopList, user: TopList }).partial().optional(),
});

const ReportSchema = z.object({
  lines: z.object({ total: z.number(), parsed: z.number(), malformed: z.number(), examples: z.array(z.object({ source: z.string(), reason: z.string(), text: z.string() })).optional() }),
  requests: z.number(),
  incidents: z.array(IncidentSchema),
  inhibited: z.array(z.object({ rule: z.string(), group: z.record(z.string(), z.string()), start: z.string(), end: z.string(), by: z.unknown().optional(), reason: z.string().nullable().optional() })).optional(),
});

export type ReportedIncident = z.infer<typeof IncidentSchema>;
export type ProductReport = z.infer<typeof ReportSchema>;

export interface ProductRun {
  report: ProductReport;
  /** Wall-clock seconds of the child process. */
  seconds: number;
  stderr: string;
}

/** The command line a developer runs to see the same report (text output). */
export function reportCommand(files: string[], formatOption: string | null, output = 'text'): string {
  const quote = (s: string) => (/^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['node', path.relative(process.cwd(), CLI) || CLI, 'report', ...files.map(quote), ...(formatOption ? ['--format', quote(formatOption)] : []), ...(output === 'text' ? [] : ['--output', output])].join(' ');
}

export function runProduct(files: string[], formatOption: string | null): Promise<ProductRun> {
  const args = [CLI, 'report', ...files, '--output', 'json', ...(formatOption ? ['--format', formatOption] : [])];
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        reject(new Error(`authwatch report exited ${code}: ${stderr.trim().slice(0, 500)}`));
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(out).toString('utf8'));
      } catch (e) {
        reject(new Error(`authwatch report printed no JSON: ${(e as Error).message}`));
        return;
      }
      const parsed = ReportSchema.safeParse(json);
      if (!parsed.success) {
        reject(new Error(`authwatch report JSON does not match the contract: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`));
        return;
      }
      resolve({ report: parsed.data, seconds: Number(process.hrtime.bigint() - started) / 1e9, stderr });
    });
  });
}

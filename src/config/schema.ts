/** authwatch.yaml: what `authwatch watch` follows, where it keeps state, and where alerts go. */
import { z } from 'zod';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { FormatSpecSchema } from '../parse/formats';
import { DurationSchema } from '../rules/schema';
import { UsageError } from '../errors';

const Cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR such as 10.0.0.0/8');

export const InputSchema = z.strictObject({
  path: z.string().min(1).describe('a file or a glob (new matching files are picked up)'),
  format: FormatSpecSchema.optional().describe('default auto'),
});

export const OutputSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('stdout') }),
  z.strictObject({ type: z.literal('jsonl'), path: z.string().min(1) }),
  z.strictObject({ type: z.literal('webhook'), url: z.url(), timeout: DurationSchema.optional() }),
]);
export type OutputConfig = z.infer<typeof OutputSchema>;

export const ConfigSchema = z.strictObject({
  inputs: z.array(InputSchema).min(1),
  rules: z.string().min(1).optional().describe('rule directory (default: the bundled rules/)'),
  state_dir: z.string().min(1),
  trusted_proxies: z.array(Cidr).optional().describe('peers whose X-Forwarded-For is believed'),
  ignore: z.strictObject({ cidrs: z.array(Cidr).optional(), user_agents: z.array(z.string().min(1)).optional() }).optional(),
  outputs: z.array(OutputSchema).optional().describe('default: stdout'),
  poll_interval: DurationSchema.optional().describe('how often files are checked (default 250ms; inotify wakes it sooner)'),
  checkpoint_interval: DurationSchema.optional().describe('default 2s'),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Loads and validates the config; relative paths are relative to the config file. Errors name file:line and field. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e?.pos[0] ?? 0);
    throw new UsageError(`${file}:${pos.line}:${pos.col}: YAML: ${e?.message.split('\n')[0]}`);
  }
  const parsed = ConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let node: unknown;
    const at = issue?.path ?? [];
    for (let n = at.length; n >= 0 && !isNode(node); n--) node = doc.getIn(at.slice(0, n) as unknown[], true);
    const pos = lineCounter.linePos(isNode(node) && node.range ? node.range[0] : 0);
    throw new UsageError(`${file}:${pos.line}:${pos.col}: ${at.map(String).join('.') || 'config'}: ${issue?.message ?? 'invalid'}`);
  }
  const base = path.dirname(path.resolve(file));
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(base, p));
  const c = parsed.data;
  return {
    ...c,
    inputs: c.inputs.map((i) => ({ ...i, path: abs(i.path) })),
    rules: c.rules === undefined ? undefined : abs(c.rules),
    state_dir: abs(c.state_dir),
    outputs: c.outputs?.map((o) => (o.type === 'jsonl' ? { ...o, path: abs(o.path) } : o)),
  };
}

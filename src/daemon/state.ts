/** The daemon's state directory: checkpoints (offsets + counters together) and firing alerts, written atomically. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic';

const FileCheckpointSchema = z.object({
  dev: z.number(), ino: z.number(), offset: z.number().int().min(0), lines: z.number().int().min(0), fingerprint: z.string(), fingerprintBytes: z.number().int().min(0),
});
const CountersSchema = z.object({ read: z.number(), parsed: z.number(), malformed: z.number(), authFailures: z.number() });
export type InputCounters = z.infer<typeof CountersSchema>;

export const StateSchema = z.object({
  version: z.literal(1),
  savedAt: z.string(),
  files: z.record(z.string(), FileCheckpointSchema),
  counters: z.record(z.string(), CountersSchema),
  /** Alerts that were firing: a restart must not announce them again. */
  firing: z.record(z.string(), z.object({ firedAt: z.string(), start: z.string() })),
});
export type State = z.infer<typeof StateSchema>;

export function emptyState(): State {
  return { version: 1, savedAt: new Date(0).toISOString(), files: {}, counters: {}, firing: {} };
}

export class StateStore {
  readonly file: string;
  constructor(readonly dir: string) {
    this.file = path.join(dir, 'state.json');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Missing: a first start. Unreadable or invalid: said, and started afresh (never a crash loop). */
  async load(warn: (msg: string) => void): Promise<State> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return emptyState();
    }
    try {
      return StateSchema.parse(JSON.parse(text));
    } catch (e) {
      warn(`${this.file} is not a valid authwatch state (${(e as Error).message.split('\n')[0]}); starting without checkpoints`);
      return emptyState();
    }
  }

  /** temp file + fsync + rename: a crash leaves the old state or the new one, never half of one. */
  async save(state: State): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify({ ...state, savedAt: new Date().toISOString() }));
  }
}

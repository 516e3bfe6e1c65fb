/** Where alerts go: stdout and JSON-lines files (one alert object a line), and webhooks (POST JSON). */
import { promises as fs } from 'node:fs';
import type { OutputConfig } from '../config/schema';
import type { Incident } from '../rules/incident';
import { durationMs } from '../rules/compile';
import { printableJson } from '../report/sanitize';

/** The stable alert object: a report incident plus its lifecycle status. */
export type Alert = Incident & { status: 'firing' | 'resolved' };

export interface Output {
  send(alert: Alert): Promise<void>;
}

export function makeOutput(c: OutputConfig, onError: (msg: string) => void): Output {
  switch (c.type) {
    case 'stdout':
      return {
        send: async (a) => {
          process.stdout.write(printableJson(a) + '\n');
        },
      };
    case 'jsonl':
      return {
        send: async (a) => {
          await fs.appendFile(c.path, printableJson(a) + '\n', { mode: 0o600 });
        },
      };
    case 'webhook': {
      const timeout = durationMs(c.timeout ?? '5s');
      return {
        send: async (a) => {
          for (let attempt = 1; attempt <= 3; attempt++) {
            try {
              const r = await fetch(c.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a), signal: AbortSignal.timeout(timeout) });
              if (r.ok) return;
              onError(`webhook ${c.url} answered ${r.status} (attempt ${attempt} of 3)`);
              if (r.status < 500) return;
            } catch (e) {
              onError(`webhook ${c.url} failed: ${(e as Error).message} (attempt ${attempt} of 3)`);
            }
            await new Promise((res) => setTimeout(res, 500 * 2 ** attempt));
          }
        },
      };
    }
  }
}

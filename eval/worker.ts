/** A generation lane: builds cases in a worker thread and writes their files, so generating overlaps the product's runs. */
import { parentPort } from 'node:worker_threads';
import { generateCase, writeCase, type CaseOptions, type GeneratedCase } from './cases';

export interface GenerateRequest {
  seed: number;
  index: number;
  dir: string;
  options: CaseOptions;
}

/** The case without its text (the files are on disk), and where they are. */
export type GeneratedMeta = Omit<GeneratedCase, 'files'> & { files: Array<{ path: string; name: string; lines: number }> };

export function generateInto(req: GenerateRequest): GeneratedMeta {
  const c = generateCase(req.seed, req.index, req.options);
  const paths = writeCase(c, req.dir);
  const { files, ...meta } = c;
  return { ...meta, files: files.map((f, i) => ({ path: paths[i] as string, name: f.name, lines: f.lines })) };
}

parentPort?.on('message', (req: GenerateRequest) => {
  try {
    parentPort?.postMessage({ ok: true, meta: generateInto(req) });
  } catch (e) {
    parentPort?.postMessage({ ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
  }
});

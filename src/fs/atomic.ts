/** Writing a file so that a crash leaves the old content or the new one, never half of one. */
import { promises as fs } from 'node:fs';

let sequence = 0;

/** temp file (0600) + fsync + rename over the target. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${sequence++}.tmp`;
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}

/**
 * A package registry on 127.0.0.1 holding exactly the packages of this checkout's lockfile, for
 * installing the packed authwatch with the real `npm install -g` and no network. Packuments are made
 * from package-lock.json; each tarball is packed on request from the installed copy in node_modules.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string> | string;
  engines?: Record<string, string>;
  link?: boolean;
}

export interface LocalRegistry {
  url: string;
  /** Packages whose packument was asked for (what npm resolved). */
  requested: Set<string>;
  close(): Promise<void>;
}

export async function startLocalRegistry(root: string): Promise<LocalRegistry> {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  // name → version → the directory it is installed in.
  const installed = new Map<string, Map<string, { dir: string; entry: LockEntry }>>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === '' || entry.link || entry.version === undefined) continue;
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!installed.has(name)) installed.set(name, new Map());
    installed.get(name)?.set(entry.version, { dir: path.join(root, where), entry });
  }
  const requested = new Set<string>();
  let base = '';
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
    const tarball = /^\/(.+)\/-\/[^/]+-(\d[^/]*)\.tgz$/.exec(url);
    if (tarball) {
      const found = installed.get(tarball[1] as string)?.get(tarball[2] as string);
      if (!found) return void res.writeHead(404).end();
      // The installed copy, as npm would have packed it: under package/, without its own node_modules.
      const tgz = execFileSync('tar', ['czf', '-', '--exclude=./node_modules', '--transform', 's,^\\.,package,', '-C', found.dir, '.'], { maxBuffer: 512 * 1024 * 1024 });
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tgz);
    }
    const name = url.slice(1);
    const versions = installed.get(name);
    if (!versions) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    requested.add(name);
    const packument = {
      name,
      'dist-tags': { latest: [...versions.keys()].pop() },
      versions: Object.fromEntries(
        [...versions].map(([version, { entry }]) => [
          version,
          {
            name, version,
            dependencies: entry.dependencies, optionalDependencies: entry.optionalDependencies, peerDependencies: entry.peerDependencies,
            bin: entry.bin, engines: entry.engines,
            dist: { tarball: `${base}/${name}/-/${name.split('/').pop()}-${version}.tgz` },
          },
        ]),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base + '/', requested, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

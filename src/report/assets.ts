/**
 * The page's own CSS and script are real files in src/report/assets/ (linted as browser code); the
 * build copies them beside the compiled module (scripts/copy-assets.js), and the page inlines them
 * with uPlot's, each under its hash in the Content-Security-Policy: the page needs no network.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface PageAssets {
  css: string[];
  js: string[];
}

let cached: PageAssets | null = null;

export function pageAssets(): PageAssets {
  cached ??= {
    css: [readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'), readFileSync(path.join(__dirname, 'assets', 'report.css'), 'utf8')],
    // uPlot first: the page script draws with it.
    js: [readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'), readFileSync(path.join(__dirname, 'assets', 'report.js'), 'utf8')],
  };
  return cached;
}

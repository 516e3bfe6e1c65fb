#!/usr/bin/env node
// Part of `npm run build`: the HTML report's CSS and script go beside the compiled html module
// (dist/report/assets/), where it reads them to inline into each page.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const from = path.join(root, 'src', 'report', 'assets');
const to = path.join(root, 'dist', 'report', 'assets');
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));

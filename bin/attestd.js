#!/usr/bin/env node
'use strict';
// The attestd command. The TypeScript sources compile to dist/ (`npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('attestd is not built yet: run `npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`attestd: ${err && err.message ? err.message : err}\n`);
      process.exit(1);
    },
  );

import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

// Bundles the console (console/src/main.ts) into dist/console/ with its page, styles and icon: one script, no
// inline code, nothing fetched at run time.

const root = path.resolve(__dirname, '../..');
const out = path.join(root, 'dist', 'console');

async function main(): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [path.join(root, 'console', 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    outfile: path.join(out, 'console.js'),
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'console.css', 'favicon.svg']) fs.copyFileSync(path.join(root, 'console', f), path.join(out, f));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

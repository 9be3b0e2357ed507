import fs from 'node:fs';
import path from 'node:path';

/** attestd's version as package.json says (what adapters report in with), or "unknown". */
export function adapterVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const version = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version;
      return typeof version === 'string' ? version : 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

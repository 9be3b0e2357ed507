import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildOpenApi, loadCommentedProtoRoot, OPENAPI_FILE, projectDir, stableJson } from './openapi/openapi';

/** `npm run api:openapi`: writes api/openapi.json from the protos (sorted keys, so reruns are byte-identical). */
function main(): void {
  const file = path.join(projectDir(), OPENAPI_FILE);
  const json = stableJson(buildOpenApi(loadCommentedProtoRoot()));
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, json);
  process.stdout.write(`${OPENAPI_FILE}: ${before === json ? 'unchanged' : 'written'} (${json.length} bytes)\n`);
}

main();

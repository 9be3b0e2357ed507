import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/** Walks up from this file (src/proto or dist/src/proto) to the directory holding package.json. */
function findProjectDir(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

const PROJECT_DIR = findProjectDir(__dirname);
const PROJECT_PROTO_DIR = path.join(PROJECT_DIR, 'proto');
const GOOGLE_PROTO_DIR = path.dirname(require.resolve('google-proto-files/package.json'));

/** Include roots for @grpc/proto-loader: attestd's own protos first, then google-proto-files. */
export const PROTO_INCLUDE_DIRS: string[] = [PROJECT_PROTO_DIR, GOOGLE_PROTO_DIR];

/** The Grafeas entry file(s), relative to an include root. */
export const GRAFEAS_PROTO_FILES: readonly string[] = Object.freeze(['grafeas/v1/grafeas.proto']);

/** attestd's own .proto files (relative to proto/, sorted), for @grpc/proto-loader. */
export function attestdProtoFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.proto')) {
        found.push(path.relative(PROJECT_PROTO_DIR, full).split(path.sep).join('/'));
      }
    }
  };
  walk(PROJECT_PROTO_DIR);
  return found.sort();
}

/** Resolves an import against proto/ first, then google-proto-files. */
function resolveImport(origin: string, target: string): string {
  if (path.isAbsolute(target)) return target;
  for (const dir of PROTO_INCLUDE_DIRS) {
    const candidate = path.join(dir, target);
    if (fs.existsSync(candidate)) return candidate;
  }
  // Let protobufjs report the missing file with the import that needed it.
  return origin ? path.join(PROJECT_PROTO_DIR, target) : target;
}

/** Well-known types loaded besides Grafeas' own imports, so that an Any may carry any of them. */
const WELL_KNOWN_PROTO_FILES = ['any', 'duration', 'empty', 'field_mask', 'struct', 'timestamp', 'wrappers'].map(
  (f) => `google/protobuf/${f}.proto`,
);

let cachedRoot: protobuf.Root | undefined;

/**
 * The protobufjs Root holding Grafeas v1 and attestd's own protos, loaded once and resolved.
 * Loaded with keepCase: field and oneof names are the proto (snake_case) names; get JSON names from
 * fieldJsonName() or typePlan(type).byInputName (./type-plan), never from protobufjs.
 */
export function loadProtoRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  const files = [...GRAFEAS_PROTO_FILES, ...WELL_KNOWN_PROTO_FILES, ...attestdProtoFiles()];
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

// The dependency rule of attestd's floors (CONTRIBUTING.md, "Floors"), checked by `npm run depcheck` in CI.
// Paths are regular expressions on paths from the repository root.

/** Feature folders: domain logic over the ports in src/domain; no adapters, transports or composition. */
const FEATURES = '^src/(grafeas|kms|witnesses|policies|verification|audit|auth|signing|admission|registry|projects|resources|identity)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-kernel-stands-alone',
      comment: 'src/domain is the kernel: it imports only itself, node builtins and npm packages.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^node_modules/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'features-stay-above-the-floors',
      comment: 'Feature folders never import the store adapters, the transports, the CLI or the composition root.',
      severity: 'error',
      from: { path: FEATURES },
      to: { path: '^src/(store|transport|cli|app)/' },
    },
    {
      name: 'store-implements-domain-ports',
      comment: 'src/store implements the ports of src/domain: it imports only the domain and itself (and the logger type).',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { pathNot: ['^src/(store|domain)/', '^src/logger\\.ts$', '^node_modules/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'store-uses-only-the-logger-type',
      comment: 'The store floor is handed a logger; it never makes one.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/logger\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-the-composition-root-opens-stores',
      comment: 'Only src/app (createStores) imports src/store; everything else sees the ports in src/domain/stores.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(store|app)/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'transport-never-touches-storage',
      comment: 'Transports reach storage only through services.',
      severity: 'error',
      from: { path: '^src/transport/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'src-never-imports-tests-or-benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'No two folders depend on each other, however indirectly.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      comment: 'No module depends on itself through others (type-only imports included).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves (a typo in a path, or a dependency missing from package.json).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '^node_modules/' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default'] },
  },
};

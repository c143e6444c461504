// The import arrows of the production code (`pnpm lint` runs `depcruise`): no module or folder
// circles, the package graph one way (core ← server ← testing ← cli; etcd → core), and the server's
// rooms in the order a request crosses them (downstream → proxy → upstream), with the shared
// modules (errors, types, pem, events) below them all. Tests and test helpers may import anything.
const TEST_HELPER = '(^|/)src/test/|test-fixtures\\.ts$'
const SERVER = '^packages/server/src/'
const ROOMS_ABOVE = (rooms) => `${SERVER}(${rooms.join('|')})(/|\\.ts$)`

/** One forbidden arrow between server rooms. */
const room = (name, from, to) => ({
  name,
  severity: 'error',
  from: { path: `${SERVER}${from}` },
  to: { path: ROOMS_ABOVE(to) },
})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A module reaches itself through its imports.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-circle',
      comment: 'A folder reaches itself through the imports of its modules.',
      scope: 'folder',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-the-base',
      comment: 'core imports no other Portico package.',
      severity: 'error',
      from: { path: '^packages/core/', pathNot: TEST_HELPER },
      to: { path: '^packages/(server|testing|cli|etcd)/' },
    },
    {
      name: 'server-below-testing',
      comment: 'server builds on core only; production code never imports @portico/testing.',
      severity: 'error',
      from: { path: '^packages/server/', pathNot: TEST_HELPER },
      to: { path: '^packages/(testing|cli|etcd)/' },
    },
    {
      name: 'testing-below-cli',
      severity: 'error',
      from: { path: '^packages/testing/' },
      to: { path: '^packages/(cli|etcd)/' },
    },
    {
      name: 'etcd-on-core',
      comment: 'A config store only feeds core: it never serves.',
      severity: 'error',
      from: { path: '^packages/etcd/' },
      to: { path: '^packages/(server|testing|cli)/' },
    },
    {
      name: 'no-test-helpers-in-production',
      severity: 'error',
      from: { pathNot: TEST_HELPER },
      to: { path: TEST_HELPER },
    },
    {
      name: 'no-barrel-inside',
      comment: "A package's index.ts is for its users; its own modules import each other directly.",
      severity: 'error',
      from: { path: '^packages/([^/]+)/src/.+/', pathNot: TEST_HELPER },
      to: { path: '^packages/$1/src/index\\.ts$' },
    },
    room('shared-below-rooms', '(errors|types|pem|events)(/|\\.ts$)', [
      'gateway',
      'index',
      'downstream',
      'proxy',
      'upstream',
      'admin',
      'metrics',
      'access-log',
      'watch',
    ]),
    room('upstream-below-proxy', 'upstream/', [
      'gateway',
      'downstream',
      'proxy',
      'admin',
      'metrics',
      'access-log',
      'watch',
    ]),
    room('proxy-below-downstream', 'proxy/', [
      'gateway',
      'downstream',
      'admin',
      'metrics',
      'access-log',
      'watch',
    ]),
    room('downstream-below-gateway', 'downstream/', ['gateway', 'admin', 'metrics', 'access-log', 'watch']),
    room('observers-see-events-only', '(metrics|access-log)/', [
      'gateway',
      'downstream',
      'proxy',
      'upstream',
      'admin',
      'watch',
    ]),
    room('admin-below-watch', 'admin/', ['watch']),
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: `node_modules|${TEST_HELPER}` },
    exclude: { path: '(^|/)(dist|node_modules|bench)/|\\.test\\.ts$' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js'],
      conditionNames: ['source', 'import', 'types'],
    },
  },
}

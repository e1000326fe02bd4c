/**
 * Module boundaries: a feature module (programs, preprocessing, documents, retry) never imports
 * another's internals. Cross-module effects go through the event catalogue (src/events); what a
 * module may take from another is its Nest module (to import it), its read-only query service,
 * its pure policies and its types.
 */
const FEATURES = '(programs|preprocessing|documents|retry)';

module.exports = {
  forbidden: [
    {
      name: 'no-cross-module-internals',
      severity: 'error',
      comment: 'Use an event from src/events or the other module\'s *-query.service.ts instead.',
      from: { path: `^src/${FEATURES}/` },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: [
          '^src/$1/',
          `^src/${FEATURES}/[^/]+\\.module\\.ts$`,
          `^src/${FEATURES}/[^/]+-query\\.service\\.ts$`,
          `^src/${FEATURES}/[^/]+\\.(policy|types)\\.ts$`,
        ],
      },
    },
    {
      name: 'shared-code-stays-below-features',
      severity: 'error',
      comment: 'common/, events/, storage/, database/ and config/ must not depend on a feature module.',
      from: { path: '^src/(common|events|storage|config|infra|metrics|cli)/' },
      to: { path: `^src/${FEATURES}/` },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};

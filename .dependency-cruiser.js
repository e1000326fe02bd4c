/**
 * Module boundaries: a feature module (programs, preprocessing, documents, retry) never imports
 * another's internals. A request that needs an answer is a command or query on the bus (the class
 * lives in the owning module's commands/ or queries/, its one handler beside it); a fact is an
 * event from src/events. What a module may take from another is those message classes, its pure
 * policies and its types — never a service, repository or handler.
 */
const FEATURES = '(programs|preprocessing|documents|retry|notifications|auth)';

module.exports = {
  forbidden: [
    {
      name: 'no-cross-module-internals',
      severity: 'error',
      comment: "Send the other module's command or query on the bus (its commands/ or queries/), or publish an event.",
      from: { path: `^src/${FEATURES}/` },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: [
          '^src/$1/',
          `^src/${FEATURES}/(commands|queries)/[^/]+\\.(command|query)\\.ts$`,
          `^src/${FEATURES}/[^/]+\\.(policy|types)\\.ts$`,
        ],
      },
    },
    {
      name: 'shared-code-stays-below-features',
      severity: 'error',
      comment: 'common/, events/, storage/, database/ and config/ must not depend on a feature module.',
      // The ORM config is where the entities are listed: the one place below the features that names them.
      from: {
        path: '^src/(common|events|storage|config|infra|metrics|database)/',
        pathNot: '^src/database/orm\\.config\\.ts$',
      },
      to: { path: `^src/${FEATURES}/` },
    },
    {
      name: 'cli-is-a-client',
      severity: 'error',
      comment:
        "The CLI talks to the service over HTTP (or, for keys, to its table); of a feature module it takes only pure policies and types (an API key's format).",
      from: { path: '^src/cli/' },
      to: { path: `^src/${FEATURES}/`, pathNot: `^src/${FEATURES}/[^/]+\\.(policy|types)\\.ts$` },
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

/**
 * Checks the deployment files without a container runtime or a cluster (CI has neither):
 *  - Dockerfile: dockerfile-utils' linter (the validator of the VS Code Docker extension), then the
 *    properties the service relies on (non-root numeric user, no embedded servers in the image, ...).
 *  - Kubernetes manifests: every object against the Kubernetes API schema of its kind
 *    (kubernetes-models: types, required fields, enums) and, through TypeScript's excess-property
 *    check on the same models' types, against unknown fields — a misspelt key would otherwise be
 *    dropped silently by a lenient apply. Then the cross-references (selectors, ConfigMap and Secret
 *    keys, kustomization resources) and the shutdown and migration settings.
 *  - compose.yaml: the compose-spec schema and dclint's rules run separately (.ci/run); here the
 *    settings that tie it to the service.
 * Usage: node deploy/tools/check.js (after `npm ci --prefix deploy/tools`). Exit 1 on any finding.
 */
'use strict';
const { existsSync, readFileSync, readdirSync, statSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const YAML = require('yaml');
const ts = require('typescript');
const { DockerfileParser } = require('dockerfile-ast');
const { validate: lintDockerfile } = require('dockerfile-utils');

const repo = resolve(__dirname, '..', '..');
const k8sDir = join(repo, 'deploy', 'k8s');
const problems = new Set();
const problem = (where, message) => problems.add(`${where}: ${message}`);
const rel = (file) => relative(repo, file);

/** Every document of a YAML file; a syntax error or a duplicate key is a problem, not a crash. */
function readYaml(file) {
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true });
  const values = [];
  for (const doc of docs) {
    for (const e of [...doc.errors, ...doc.warnings]) problem(rel(file), e.message);
    if (doc.errors.length === 0 && doc.contents !== null) values.push(doc.toJS());
  }
  return values;
}

function yamlFilesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

// Dockerfile

/** The Node of the image must be the one .ci/run runs the suite on: CI tests what ships. */
function ciNodeVersion() {
  const m = /^NODE24_VERSION=(\d+\.\d+\.\d+)$/m.exec(readFileSync(join(repo, '.ci', 'run'), 'utf8'));
  if (!m) problem('.ci/run', 'NODE24_VERSION=x.y.z not found');
  return m?.[1];
}

function checkDockerfile() {
  const file = join(repo, 'Dockerfile');
  const where = rel(file);
  const text = readFileSync(file, 'utf8');
  for (const d of lintDockerfile(text)) problem(`${where}:${d.range.start.line + 1}`, d.message);

  const dockerfile = DockerfileParser.parse(text);
  const args = new Map();
  for (const arg of dockerfile.getInitialARGs()) {
    const [name, value] = (arg.getArgumentsContent() ?? '').split('=');
    if (value !== undefined) args.set(name, value);
  }
  const expand = (s) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args.get(a ?? b) ?? '');
  const froms = dockerfile.getFROMs();
  if (froms.length < 2) problem(where, 'expected a build stage and a runtime stage');
  for (const from of froms) {
    const full = expand((from.getArgumentsContent() ?? '').split(/\s+/)[0]);
    const tag = full.includes(':') ? full.slice(full.lastIndexOf(':') + 1) : '';
    if (!/^\d+\.\d+\.\d+-/.test(tag) && !full.includes('@sha256:')) {
      problem(where, `base image "${full}" is not pinned to a full version (x.y.z-variant) or a digest`);
    }
    const ciNode = ciNodeVersion();
    if (full.startsWith('node:') && ciNode && !tag.startsWith(`${ciNode}-`)) {
      problem(where, `base image "${full}" is not the Node version .ci/run tests (${ciNode})`);
    }
  }

  // What follows the last FROM is the image that runs.
  const lastFrom = froms[froms.length - 1].getRange().start.line;
  const runtime = dockerfile.getInstructions().filter((i) => i.getRange().start.line > lastFrom);
  const of = (keyword) => runtime.filter((i) => i.getKeyword() === keyword);
  const content = (i) => (i.getArgumentsContent() ?? '').replace(/\\\r?\n/g, ' ');

  const user = of('USER').pop();
  if (!user || !/^[1-9]\d*(:\d+)?$/.test(content(user).trim())) {
    problem(where, 'the runtime stage must end as a numeric non-root USER (runAsNonRoot can only verify a number)');
  }
  const installs = of('RUN').filter((i) => /\bnpm ci\b/.test(content(i)));
  if (
    installs.length === 0 ||
    !installs.every((i) => /--omit=dev\b/.test(content(i)) && /--omit=optional\b/.test(content(i)))
  ) {
    problem(where, 'the runtime stage must install with `npm ci --omit=dev --omit=optional` (no embedded servers)');
  }
  if (!of('ENV').some((i) => /\bNODE_ENV=production\b/.test(content(i)))) problem(where, 'NODE_ENV=production missing');
  if (!of('EXPOSE').some((i) => /^3000(\/tcp)?$/.test(content(i).trim()))) problem(where, 'EXPOSE 3000 missing');
  if (!of('STOPSIGNAL').some((i) => content(i).trim() === 'SIGTERM')) problem(where, 'STOPSIGNAL SIGTERM missing');
  if (!of('HEALTHCHECK').some((i) => content(i).includes('/health/live'))) {
    problem(where, 'HEALTHCHECK against /health/live missing');
  }
  const cmd = of('CMD').pop();
  const argv = cmd?.getJSONStrings().map((s) => s.getJSONValue()) ?? [];
  // Exec form: node is PID 1 and receives SIGTERM itself; a shell in between would not pass it on.
  if (argv.join(' ') !== 'node dist/main.js') problem(where, 'CMD must be the exec form ["node", "dist/main.js"]');
}

// Kubernetes

async function checkKubernetes() {
  const files = yamlFilesUnder(k8sDir);
  const objects = [];
  const kustomizations = [];
  for (const file of files) {
    for (const value of readYaml(file)) {
      if (value?.kind === 'Kustomization') kustomizations.push({ file, value });
      else objects.push({ file, value });
    }
  }

  for (const { file, value } of objects) {
    const where = `${rel(file)} (${value?.kind} ${value?.metadata?.name})`;
    if (typeof value?.apiVersion !== 'string' || typeof value?.kind !== 'string') {
      problem(rel(file), 'not a Kubernetes object (apiVersion and kind required)');
      continue;
    }
    let Model;
    try {
      Model = (await import(`kubernetes-models/${value.apiVersion}/${value.kind}`))[value.kind];
    } catch {
      problem(where, `unknown apiVersion/kind ${value.apiVersion}/${value.kind}`);
      continue;
    }
    try {
      new Model(value).validate();
    } catch (e) {
      problem(where, e.message);
    }
  }
  checkUnknownFields(objects.filter(({ value }) => value?.apiVersion && value?.kind));
  checkKustomizations(kustomizations, files);
  checkReferences(objects.map(({ value }) => value));
}

/**
 * Type-checks each object as a literal of its kubernetes-models interface: TypeScript reports any
 * property the Kubernetes API does not define (what `kubectl apply --validate=strict` would refuse).
 */
function checkUnknownFields(objects) {
  const virtual = join(__dirname, '__manifests__.ts');
  const lines = [];
  const owners = [];
  objects.forEach(({ value }, n) => {
    const type = `I${value.kind}`;
    lines.push(`import type { ${type} as T${n} } from 'kubernetes-models/${value.apiVersion}/${value.kind}';`);
    owners.push(undefined);
  });
  objects.forEach(({ file, value }, n) => {
    const body = `export const o${n}: T${n} = ${JSON.stringify(value, null, 2)};`.split('\n');
    for (const line of body) {
      lines.push(line);
      owners.push(`${rel(file)} (${value.kind} ${value.metadata?.name})`);
    }
  });
  const source = lines.join('\n');
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, ...rest) =>
    name === virtual ? ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, true) : getSourceFile(name, ...rest);
  host.fileExists = (name) => name === virtual || fileExists(name);
  host.readFile = (name) => (name === virtual ? source : readFile(name));
  const program = ts.createProgram([virtual], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file?.fileName !== virtual || d.start === undefined) {
      problem('manifests', message);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const path = propertyPath(lines, line);
    problem(owners[line] ?? 'manifests', `${path ? `${path}: ` : ''}${message}`);
  }
}

/** The chain of keys leading to a line of the pretty-printed JSON, for a readable location. */
function propertyPath(lines, target) {
  const stack = [];
  for (let i = 0; i <= target; i++) {
    const m = /^(\s*)"([^"]+)":/.exec(lines[i]);
    if (!m) continue;
    const depth = m[1].length / 2;
    stack.length = Math.max(0, depth - 1);
    stack[depth - 1] = m[2];
  }
  return stack.filter(Boolean).join('.');
}

function checkKustomizations(kustomizations, files) {
  const listed = new Set();
  for (const { file, value } of kustomizations) {
    const dir = resolve(file, '..');
    for (const r of value.resources ?? []) {
      const path = join(dir, r);
      listed.add(path);
      if (!existsSync(path)) problem(rel(file), `resource ${r} does not exist`);
    }
    const images = new Set((value.images ?? []).map((i) => i.name));
    for (const path of (value.resources ?? []).map((r) => join(dir, r)).filter(existsSync)) {
      for (const obj of readYaml(path)) {
        for (const c of podSpec(obj)?.containers ?? []) {
          if (!images.has(c.image)) problem(rel(file), `no images entry rewrites ${c.image} (${rel(path)})`);
        }
      }
    }
  }
  // A manifest nobody applies is a manifest that silently goes stale; the example Secret is the exception.
  for (const file of files) {
    const name = file.split('/').pop();
    if (name === 'kustomization.yaml' || name.endsWith('.example.yaml')) continue;
    if (!listed.has(file)) problem(rel(file), 'not listed in any kustomization.yaml');
  }
}

function podSpec(obj) {
  if (obj?.kind === 'Deployment' || obj?.kind === 'Job') return obj.spec?.template?.spec;
  return undefined;
}

const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v) && Object.keys(selector ?? {}).length > 0;

function checkReferences(objects) {
  const byKind = (kind) => objects.filter((o) => o?.kind === kind);
  const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
  const secrets = new Map(byKind('Secret').map((s) => [s.metadata.name, { ...s.stringData, ...s.data }]));
  const deployments = byKind('Deployment');

  for (const obj of [...deployments, ...byKind('Job')]) {
    const where = `${obj.kind} ${obj.metadata.name}`;
    const spec = podSpec(obj);
    if (spec?.securityContext?.runAsNonRoot !== true) problem(where, 'runAsNonRoot must be true');
    const env = {};
    for (const c of spec?.containers ?? []) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name)) {
          problem(where, `ConfigMap ${from.configMapRef.name} is not among the manifests`);
        }
        if (from.secretRef && !secrets.has(from.secretRef.name)) {
          problem(where, `Secret ${from.secretRef.name} has no example (secret.example.yaml)`);
        }
        Object.assign(env, configMaps.get(from.configMapRef?.name), secrets.get(from.secretRef?.name));
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (ref) {
          const source = e.valueFrom.secretKeyRef ? secrets.get(ref.name) : configMaps.get(ref.name);
          if (!source || !(ref.key in source)) problem(where, `${e.name} refers to missing ${ref.name}/${ref.key}`);
        }
      }
      if (c.securityContext?.readOnlyRootFilesystem !== true)
        problem(where, `${c.name}: readOnlyRootFilesystem must be true`);
      if (!(c.volumeMounts ?? []).some((m) => m.mountPath === '/tmp'))
        problem(where, `${c.name}: /tmp needs a writable volume`);
      if (!c.resources?.requests || !c.resources?.limits?.memory)
        problem(where, `${c.name}: resources requests and a memory limit`);
    }
    if (obj.kind === 'Job') {
      if (!(env.DATABASE_URL || spec.containers.some((c) => (c.env ?? []).some((e) => e.name === 'DATABASE_URL')))) {
        problem(where, 'the migration needs DATABASE_URL');
      }
      continue;
    }

    // The Deployment.
    if (env.MIGRATE_ON_BOOT !== 'false') problem(where, 'MIGRATE_ON_BOOT must be "false": the migration Job runs them');
    if (!env.DATABASE_URL) problem(where, 'DATABASE_URL must come from the Secret');
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'WEBHOOK_SECRET']) {
      if (!(key in env)) problem(where, `${key} must come from the Secret`);
    }
    const container = spec.containers[0];
    if (container.livenessProbe?.httpGet?.path !== '/health/live')
      problem(where, 'livenessProbe must GET /health/live');
    if (container.readinessProbe?.httpGet?.path !== '/health/ready')
      problem(where, 'readinessProbe must GET /health/ready');
    const graceMs = Number(env.SHUTDOWN_GRACE_MS ?? 25000);
    const preStop = container.lifecycle?.preStop;
    const pauseS = Number(
      preStop?.sleep?.seconds ?? (preStop?.exec?.command?.[0] === 'sleep' ? preStop.exec.command[1] : 0),
    );
    const terminationS = spec.terminationGracePeriodSeconds ?? 30;
    // The kubelet's deadline covers the preStop pause and the drain; a replica killed mid-drain
    // leaves its files to wait out their leases.
    if (terminationS * 1000 <= graceMs + pauseS * 1000 + 5000) {
      problem(
        where,
        `terminationGracePeriodSeconds ${terminationS} leaves no margin over SHUTDOWN_GRACE_MS ${graceMs} + preStop ${pauseS} s`,
      );
    }
    const podLabels = obj.spec.template.metadata?.labels;
    if (!matches(obj.spec.selector?.matchLabels, podLabels)) problem(where, 'selector does not match the pod labels');
    const services = byKind('Service').filter((s) => matches(s.spec?.selector, podLabels));
    if (services.length === 0) problem(where, 'no Service selects its pods');
    for (const s of services) {
      const ports = new Set(container.ports.flatMap((p) => [p.name, p.containerPort]));
      for (const p of s.spec.ports) {
        if (!ports.has(p.targetPort))
          problem(`Service ${s.metadata.name}`, `targetPort ${p.targetPort} is not a container port`);
      }
    }
    if (!byKind('PodDisruptionBudget').some((p) => matches(p.spec?.selector?.matchLabels, podLabels))) {
      problem(where, 'no PodDisruptionBudget covers its pods');
    }
  }
  if (deployments.length === 0) problem('deploy/k8s', 'no Deployment');
  if (byKind('Job').length === 0) problem('deploy/k8s', 'no migration Job');
}

// compose

function checkCompose() {
  const file = join(repo, 'deploy', 'compose.yaml');
  const [compose] = readYaml(file);
  const where = rel(file);
  const services = compose?.services ?? {};
  const migrate = Object.entries(services).find(
    ([, s]) => (s.command ?? []).join(' ') === 'node dist/database/migrate.js',
  );
  if (!migrate) {
    problem(where, 'no one-shot service running node dist/database/migrate.js');
    return;
  }
  const app = Object.entries(services).filter(([, s]) => s.environment?.MIGRATE_ON_BOOT !== undefined);
  if (app.length === 0) problem(where, 'no service sets MIGRATE_ON_BOOT');
  for (const [name, s] of app) {
    if (s.environment.MIGRATE_ON_BOOT !== 'false') problem(`${where} ${name}`, 'MIGRATE_ON_BOOT must be "false"');
    if (s.depends_on?.[migrate[0]]?.condition !== 'service_completed_successfully') {
      problem(`${where} ${name}`, `must wait for ${migrate[0]} to complete successfully`);
    }
    const graceMs = Number(s.environment.SHUTDOWN_GRACE_MS ?? 25000);
    const stopS = /^(\d+)s$/.exec(s.stop_grace_period ?? '')?.[1];
    if (!stopS || Number(stopS) * 1000 <= graceMs) {
      problem(`${where} ${name}`, `stop_grace_period must exceed SHUTDOWN_GRACE_MS (${graceMs} ms), in seconds`);
    }
    if ((s.deploy?.replicas ?? 1) < 2)
      problem(`${where} ${name}`, 'two replicas, so that locking and leases are exercised');
  }
}

async function main() {
  checkDockerfile();
  await checkKubernetes();
  checkCompose();
  if (problems.size > 0) {
    for (const p of problems) console.error(p);
    console.error(`deploy checks: ${problems.size} problem(s)`);
    process.exit(1);
  }
  console.log('deploy checks: Dockerfile, Kubernetes manifests and compose.yaml are consistent');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

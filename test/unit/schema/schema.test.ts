/**
 * The published JSON Schema is generated from the zod schema and never drifts;
 * our schema (zod and generated JSON) and the official Compose Specification
 * schema accept and reject the same files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { renderJsonSchema } from '../../../src/spec/schema/json-schema.js';
import { ComposeFileSchema } from '../../../src/spec/schema/file-schema.js';
import { validateComposeFile } from '../../../src/spec/schema/validate-file.js';
import { parseYamlDocuments } from '../../../src/spec/phases/parse.js';
import { PositionTable } from '../../../src/spec/positions.js';
import { stripTags } from '../../../src/spec/tags.js';
import { FIXTURES_DIR, OFFICIAL_SCHEMA, REPO_ROOT, SHARED_DIR, sharedAvailable } from '../../support/paths.js';

it('schema/compose-spec.json is what the zod schema generates (run `npm run schema` after changing it)', () => {
  const committed = fs.readFileSync(path.join(REPO_ROOT, 'schema', 'compose-spec.json'), 'utf8');
  assert.equal(committed, renderJsonSchema());
});

function composeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...composeFiles(full));
    else if (/\.ya?ml$/.test(e.name)) out.push(full);
  }
  return out.sort();
}

/** Small documents covering each top-level key and the short/long forms. */
const HAND_CASES: Array<[string, boolean]> = [
  ['services: {}', true],
  ['services:\n  web:\n    image: nginx\n    ports: ["80", "8080:80/udp", {target: 80, published: "8080", protocol: tcp}]', true],
  ['services:\n  web:\n    image: nginx\n    ports: [{published: 80, mode: [host]}]', false],
  ['services:\n  web:\n    image: nginx\n    volumes: ["./a:/a:ro", {type: bind, source: ., target: /b, bind: {create_host_path: true}}]', true],
  ['services:\n  web:\n    image: nginx\n    volumes: [{type: nfs, target: /x}]', false],
  ['services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres', true],
  ['services:\n  web:\n    image: nginx\n    depends_on: {db: {condition: service_healthy, restart: true}}', true],
  ['services:\n  web:\n    image: nginx\n    depends_on: {db: {restart: true}}', false],
  ['services:\n  web:\n    image: nginx\n    environment: [A=1, B]', true],
  ['services:\n  web:\n    image: nginx\n    environment: {A: 1, B: null, C: true}', true],
  ['services:\n  web:\n    image: nginx\n    environment: {A: [1]}', false],
  ['services:\n  web:\n    healthcheck: {test: "curl x", interval: 1s, retries: "${R}"}\n    image: x', true],
  ['services:\n  web:\n    image: x\n    deploy: {resources: {limits: {cpus: "0.5", memory: 512m}, reservations: {devices: [{capabilities: [gpu]}]}}}', true],
  ['services:\n  web:\n    image: x\n    develop: {watch: [{path: ./src, action: sync, target: /app}]}', true],
  ['services:\n  web:\n    image: x\n    develop: {watch: [{path: ./src}]}', false],
  ['include: [a.yaml, {path: [b.yaml], project_directory: ., env_file: x.env}]\nservices: {}', true],
  ['services:\n  web:\n    extends: base\n  base:\n    image: x', true],
  ['services:\n  web:\n    extends: {service: base, file: other.yaml}', true],
  ['services:\n  web:\n    image: x\n    secrets: [a, {source: b, target: /c, mode: 0440}]\nsecrets:\n  a: {file: ./a}\n  b: {environment: B}', true],
  ['services:\n  web:\n    image: x\n    networks: {front: null, back: {aliases: [b], ipv4_address: 10.0.0.2}}\nnetworks:\n  front: null\n  back: {ipam: {config: [{subnet: 10.0.0.0/24}]}}', true],
  ['services:\n  web:\n    build: .\n', true],
  ['services:\n  web:\n    build: {context: ., args: [A=1], no_cache_filter: [a]}\n', true],
  ['services:\n  web:\n    image: x\n    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}', true],
  ['services:\n  web:\n    image: x\n    extra_hosts: {a: 1.2.3.4, b: [5.6.7.8]}', true],
  ['services:\n  web:\n    image: x\n    pre_start: [{command: [echo]}]', true],
  ['services:\n  web:\n    image: x\n    x-custom: {anything: [1]}\nx-top: 1', true],
  ['services:\n  web:\n    image: x\n    imagee: y', false],
  ['models:\n  llm: {model: ai/smollm2}\nservices: {}', true],
  ['volumes:\n  data: {driver: local, driver_opts: {type: none}, labels: [a=b]}\nservices: {}', true],
  ['configs:\n  c: {content: "hello"}\nservices: {}', true],
  ['services:\n  "bad name!": {image: x}', false],
  ['services: [web]', false],
];

describe('schema agreement', { skip: !sharedAvailable() && 'shared material missing' }, () => {
  // ajv knows draft-07 by its http:// URI only; the validator is chosen by class, so $schema can go.
  const { $schema: _officialDraft, ...official } = JSON.parse(fs.readFileSync(OFFICIAL_SCHEMA, 'utf8')) as Record<string, unknown>;
  const { $schema: _composeGoDraft, ...composeGo } = JSON.parse(
    fs.readFileSync(path.join(SHARED_DIR, 'compose-spec', 'schema', 'compose-spec.compose-go.json'), 'utf8'),
  ) as Record<string, unknown>;
  const AjvDraft7 = Ajv;
  const AjvNew = Ajv2020;
  const officialCheck = new AjvDraft7({ strict: false, allErrors: false, validateFormats: false }).compile(official);
  const composeGoCheck = new AjvNew({ strict: false, validateFormats: false }).compile(composeGo);
  const { $schema: _ourDraft, ...ours } = JSON.parse(renderJsonSchema()) as Record<string, unknown>;
  const oursCheck = new AjvNew({ strict: false, validateFormats: false }).compile(ours);

  const documents: Array<[string, unknown, boolean?]> = [];
  for (const file of composeFiles(FIXTURES_DIR)) {
    try {
      for (const doc of parseYamlDocuments(fs.readFileSync(file, 'utf8'), file, new PositionTable())) {
        if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
          // compose-go fills empty service bodies before validating (fixEmptyNotNull).
          const services = (doc as Record<string, unknown>)['services'];
          if (services && typeof services === 'object') for (const [k, v] of Object.entries(services)) if (v === null) (services as Record<string, unknown>)[k] = {};
        }
        documents.push([path.relative(FIXTURES_DIR, file), stripTags(doc)]);
      }
    } catch {
      // YAML that does not parse is the parser's business, not the schema's.
    }
  }
  HAND_CASES.forEach(([text, valid], i) => {
    const [doc] = parseYamlDocuments(text, `case-${i}.yaml`, new PositionTable());
    documents.push([`hand case ${i}${valid ? '' : ' (invalid)'}: ${text.split('\n').join(' ').slice(0, 60)}`, doc, valid]);
  });

  for (const [name, doc, expectedValid] of documents) {
    it(name, () => {
      const reference = composeGoCheck(doc) as boolean;
      // Where the official copy and the newer compose-go copy differ, we follow compose-go.
      const officialResult = officialCheck(doc) as boolean;
      assert.equal(oursCheck(doc), reference, `generated JSON schema disagrees with compose-go's (${JSON.stringify(composeGoCheck.errors?.[0])})`);
      assert.equal(ComposeFileSchema.safeParse(doc).success, reference, 'zod schema disagrees with the reference');
      if (officialResult !== reference) assert.equal(reference, true, 'only newer keys may make the official schema disagree');
      if (expectedValid !== undefined) assert.equal(reference, expectedValid, 'hand case expectation');
    });
  }

  it('messages match the authored fixtures', () => {
    for (const dir of ['image-not-string', 'service-not-mapping', 'services-not-mapping', 'unknown-property', 'watch-missing-action']) {
      const file = path.join(FIXTURES_DIR, 'authored', dir, 'compose.yaml');
      const positions = new PositionTable();
      const [doc] = parseYamlDocuments(fs.readFileSync(file, 'utf8'), file, positions);
      const expected = fs.readFileSync(path.join(FIXTURES_DIR, 'authored', dir, 'expected-error.txt'), 'utf8').trim();
      const errors = validateComposeFile(doc, { positions });
      assert.ok(errors.some((e) => e.format().includes(expected)), `${dir}: ${errors.map((e) => e.format()).join(' | ')} should contain ${expected}`);
      assert.ok(errors.every((e) => e.location), `${dir}: every error has a position`);
    }
  });
});

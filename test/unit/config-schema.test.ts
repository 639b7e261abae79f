// The JSON Schema is the single source of truth for editors (hover docs, completion) and for
// validation: every property documented, typos caught, and the examples it offers valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { trainingConfigSchema, parseTrainingConfig } from '../../src/core/config';
import { stringify } from 'yaml';

type Json = { [k: string]: unknown };
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Walks every `properties` map outside if/then branches (those only narrow the variants). */
function walk(node: unknown, where: string, visit: (path: string, prop: Json) => void): void {
  if (!isObj(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'allOf' || k === 'defaultSnippets') continue;
    if (k === 'properties' && isObj(v)) {
      for (const [name, prop] of Object.entries(v)) {
        if (isObj(prop)) visit(`${where}.${name}`, prop);
        walk(prop, `${where}.${name}`, visit);
      }
    } else walk(v, `${where}.${k}`, visit);
  }
}

test('every property has a description, and every object forbids unknown keys', () => {
  const undocumented: string[] = [];
  walk(trainingConfigSchema, '#', (path, prop) => {
    if (!prop.$ref && typeof prop.description !== 'string') undocumented.push(path);
  });
  assert.deepEqual(undocumented, []);
  const defs = (trainingConfigSchema as unknown as { definitions: Record<string, Json> }).definitions;
  for (const name of ['model', 'data', 'optimizer', 'batch_schedule', 'tuner']) assert.equal(defs[name].additionalProperties, false, name);
  assert.equal((trainingConfigSchema as unknown as Json).additionalProperties, false);
});

test('the schema is valid draft-07 and its defaultSnippets are valid configs', () => {
  const ajv = new Ajv({ strict: false });
  assert.ok(ajv.validateSchema(trainingConfigSchema), JSON.stringify(ajv.errors));
  const defs = (trainingConfigSchema as unknown as { definitions: Record<string, { defaultSnippets?: Array<{ body: Json }> }> }).definitions;
  const base: Json = { model: { type: 'mlp' }, data: { source: 'mnist' }, optimizer: { name: 'adam', learning_rate: 0.001 }, batch_size: 32 };
  let checked = 0;
  for (const [section, def] of Object.entries(defs)) {
    for (const snippet of def.defaultSnippets ?? []) {
      const body = JSON.parse(JSON.stringify(snippet.body).replace(/\$\{\d+:([^}]*)\}/g, '$1')) as Json;
      const config: Json = { ...base, [section]: body };
      if (section === 'data' && body.source === 'csv') body.path = 'package.json'; // a file that exists
      const r = parseTrainingConfig(stringify(config), `${process.cwd()}/snippet.yaml`);
      assert.deepEqual(
        r.diagnostics.map((d) => d.message),
        [],
        `${section}: ${JSON.stringify(body)}`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 8);
});

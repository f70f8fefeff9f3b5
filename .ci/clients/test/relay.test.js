// relay-compiler over the client documents in relay/src: one @connection
// per connection type and @refetchable fragments, which need the Relay
// server specification (Node, node(id:), full PageInfo) of branch `relay`
// (issue 10 item 1). The schema comes from the running server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  buildClientSchema, getIntrospectionQuery, getNamedType, isObjectType, parse, printSchema,
  TypeInfo, visit, visitWithTypeInfo,
} from 'graphql';
import { ok } from '../lib/server.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'relay');

test('relay-compiler accepts the client documents', async (t) => {
  const schema = buildClientSchema(await ok(getIntrospectionQuery()));
  await writeFile(path.join(dir, 'schema.graphql'), printSchema(schema));
  await rm(path.join(dir, '__generated__'), { recursive: true, force: true });
  await mkdir(path.join(dir, '__generated__'));
  const bin = path.join(dir, '..', 'node_modules', '.bin', 'relay-compiler');
  const { code, out } = await new Promise((resolve) => {
    execFile(bin, [], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, out: stdout + stderr }));
  });
  t.diagnostic(out.trim().split('\n').slice(-3).join(' | '));
  assert.equal(code, 0, out);
});

test('the documents page every connection type of the schema with @connection', async () => {
  const schema = buildClientSchema(await ok(getIntrospectionQuery()));
  const want = Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && t.name.endsWith('Connection') && t.getFields().edges)
    .map((t) => t.name).sort();
  const covered = new Set();
  for (const f of await readdir(path.join(dir, 'src'))) {
    const text = await readFile(path.join(dir, 'src', f), 'utf8');
    for (const [, doc] of text.matchAll(/graphql`([^`]*)`/g)) {
      const info = new TypeInfo(schema);
      visit(parse(doc), visitWithTypeInfo(info, {
        Field(node) {
          if (node.directives?.some((d) => d.name.value === 'connection')) covered.add(getNamedType(info.getType())?.name);
        },
      }));
    }
  }
  assert.deepEqual(want.filter((n) => !covered.has(n)), [], `connection types: ${want.join(', ')}`);
});

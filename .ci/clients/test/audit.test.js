// graphql-http's audit of the GraphQL-over-HTTP specification: no MUST
// failure ("error") and no SHOULD failure ("warn"). The parse/validation
// status codes it checks come with branch `relay` (issue 10 item 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditServer } from 'graphql-http';
import { GRAPHQL } from '../lib/server.js';

test('graphql-http audit: every MUST and SHOULD holds', async (t) => {
  const results = await auditServer({ url: GRAPHQL });
  const failed = [];
  let must = 0, should = 0;
  for (const r of results) {
    if (r.name.startsWith('MUST')) must++;
    if (r.name.startsWith('SHOULD')) should++;
    if (r.status === 'warn' || r.status === 'error') {
      let body = '';
      try { body = await r.response.text(); } catch {}
      failed.push(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason} (HTTP ${r.response?.status} ${body.slice(0, 200)})`);
    }
  }
  t.diagnostic(`${results.length} audits: ${must} MUST, ${should} SHOULD; ${failed.length} failed`);
  assert.deepEqual(failed, []);
});

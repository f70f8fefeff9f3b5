// Headless Chromium (Debian's package) opens the Playground with every
// request to another origin refused: the page loads, GraphiQL fetches the
// schema and runs a query, and nothing but this server is ever asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, login } from '../lib/server.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

for (const [i, page] of ['/', '/playground'].entries()) {
  test(`GraphiQL at ${page} works offline`, async (t) => {
    const user = await login(70 + i, `Browser${i}`);
    const profile = await mkdtemp(path.join(os.tmpdir(), 'ci-chromium-'));
    // A fresh profile (--user-data-dir) per run.
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    try {
      const origin = new URL(BASE).origin;
      const foreign = [];
      const problems = [];
      await ctx.route('**/*', (route) => {
        const url = route.request().url();
        if (new URL(url).origin === origin || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        foreign.push(url);
        return route.abort('internetdisconnected');
      });
      const p = await ctx.newPage();
      p.on('websocket', (ws) => { if (new URL(ws.url()).host !== new URL(origin).host) foreign.push(ws.url()); });
      p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      p.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });

      const introspection = p.waitForResponse((r) =>
        r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('IntrospectionQuery'));
      await p.goto(origin + page, { waitUntil: 'load' });
      const schema = await (await introspection).json();
      assert.ok(schema.data?.__schema?.queryType, 'schema loaded');

      // Replace the default document and run it.
      await p.locator('.graphiql-query-editor .monaco-editor').first().click();
      await p.keyboard.press('Control+A');
      await p.keyboard.press('Delete');
      // (same operation name as the default document: GraphiQL updates
      // the selected name with a delay)
      await p.keyboard.insertText('query Me { __typename }');
      const answer = p.waitForResponse((r) =>
        r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('__typename'));
      await p.locator('.graphiql-execute-button').click();
      const res = await answer;
      assert.equal(res.status(), 200, res.request().postData());
      await p.locator('.graphiql-response').getByText('"Query"').waitFor({ timeout: 10_000 });

      // The headers editor explains how to authenticate; with a session's
      // Authorization there, the viewer is the logged-in user.
      await p.getByText('Headers', { exact: true }).first().click();
      const headers = p.locator('.graphiql-editor-tool .monaco-editor').last();
      await headers.getByText('Authorization').first().waitFor({ timeout: 10_000 });
      await headers.click();
      await p.keyboard.press('Control+A');
      await p.keyboard.press('Delete');
      await p.keyboard.insertText(`{ "Authorization": "${user.authorization}" }`);
      await p.locator('.graphiql-query-editor .monaco-editor').first().click();
      await p.keyboard.press('Control+A');
      await p.keyboard.press('Delete');
      await p.keyboard.insertText('query Me { viewer { uid } }');
      await p.locator('.graphiql-execute-button').click();
      await p.locator('.graphiql-response').getByText(user.uid).waitFor({ timeout: 10_000 });

      t.diagnostic(`foreign requests: ${foreign.length}`);
      assert.deepEqual(foreign, [], 'no request leaves for another origin');
      assert.deepEqual(problems, []);
    } finally {
      await ctx.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
}

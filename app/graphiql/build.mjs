// Builds dist/ (embedded into the binary by graphiql.go): the page, its
// script and styles, Monaco's workers and the licences of everything bundled.
// Run: npm ci && npm run build
import * as esbuild from 'esbuild';
import { mkdir, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';

const out = 'dist';
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none', // collected whole in THIRD_PARTY_LICENSES.txt
  define: { 'process.env.NODE_ENV': '"production"' },
};
const page = await esbuild.build({
  ...common,
  entryPoints: { main: 'src/main.jsx' },
  outdir: out,
  jsx: 'automatic',
  splitting: false,
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'dataurl' },
  assetNames: '[name]-[hash]',
});
const workers = await esbuild.build({
  ...common,
  entryPoints: {
    'workers/editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
    'workers/json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
    'workers/graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
  },
  outdir: out,
});
await copyFile('src/index.html', path.join(out, 'index.html'));

// Licences of every package that ended up in the bundles.
const pkgs = new Map();
for (const meta of [page.metafile, workers.metafile]) {
  for (const input of Object.keys(meta.inputs)) {
    const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (m) pkgs.set(m[1], true);
  }
}
const parts = [];
for (const dir of [...pkgs.keys()].sort()) {
  const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
  const files = (await readdir(dir)).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();
  let text = '';
  for (const f of files) text += await readFile(path.join(dir, f), 'utf8') + '\n';
  if (!text) text = `License: ${pkg.license ?? 'see package'} (no licence file shipped in the package)\n`;
  parts.push(`${'='.repeat(72)}\n${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n${'='.repeat(72)}\n${text}`);
}
await writeFile(path.join(out, 'THIRD_PARTY_LICENSES.txt'),
  `Third-party software bundled in this directory (${parts.length} packages).\n\n` + parts.join('\n'));
console.log(`built ${out}/ with ${parts.length} packages`);

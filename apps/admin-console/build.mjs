#!/usr/bin/env node
/**
 * Builds the console into dist/: index.html at the top (served at /admin/), the bundled script
 * and the styles under console/ (served at /admin/console/). No inline script or style anywhere,
 * so the page runs under `script-src 'self'; style-src 'self'`.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

rmSync('dist', { recursive: true, force: true })
mkdirSync('dist/console', { recursive: true })
await build({
  entryPoints: ['src/main.tsx'],
  outfile: 'dist/console/app.js',
  bundle: true,
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  sourcemap: 'linked',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
})
copyFileSync('src/index.html', 'dist/index.html')
copyFileSync('src/app.css', 'dist/console/app.css')

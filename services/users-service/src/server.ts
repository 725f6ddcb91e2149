#!/usr/bin/env node
// First, before any other module loads: the compile cache and the loader shortcut
// (@authpair/service-kit/boot). Then the service itself (main.ts).
import '@authpair/service-kit/boot'

await import('./main.js')

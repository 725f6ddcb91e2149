/**
 * `import '@authpair/service-kit/boot'` first, before a service's own modules are loaded (its
 * server.ts imports this, then the rest dynamically): start-up work the module loader would
 * otherwise repeat at every start. Only node: imports here, so nothing else loads before it.
 *
 * - Node's compile cache (`module.enableCompileCache`): the bytecode of every module is kept on
 *   disk (NODE_COMPILE_CACHE, default a directory under the system temp dir) and reused by the
 *   next start. A cache that cannot be written is only slower, never an error.
 * - drizzle-orm's own imports resolved and loaded directly. Node 24's loader consults the
 *   importing package's package.json for each of drizzle's ~100 files (to resolve a relative
 *   specifier and to tell the file's format), and drizzle's is 179 KB (447 `exports` entries):
 *   importing drizzle-orm/pg-core left about 150 MB of garbage and took half of the service's
 *   start-up (bench/README.md). Inside that package a relative specifier is a plain URL join
 *   (`exports` never applies to relative specifiers) and a `.js` file is an ES module (its
 *   package.json says `"type": "module"`, checked once here), which is all this shortcut does;
 *   anything else goes through Node's loader as before.
 */
import { readFileSync } from 'node:fs'
import module from 'node:module'

module.enableCompileCache?.()

const DRIZZLE = '/node_modules/drizzle-orm/'

/** How many of drizzle's imports the shortcut resolved and loaded (its test reads them). */
export const shortcut = { resolved: 0, loaded: 0 }

/** Whether drizzle-orm's package.json (at `root`) says its .js files are ES modules; cached. */
const esmPackages = new Map<string, boolean>()
function isEsmPackage(root: string): boolean {
  let esm = esmPackages.get(root)
  if (esm === undefined) {
    try {
      esm =
        (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { type?: string })
          .type === 'module'
    } catch {
      esm = false
    }
    esmPackages.set(root, esm)
  }
  return esm
}

/** The package root URL (…/node_modules/drizzle-orm/) of a URL inside drizzle-orm, if it is. */
function drizzleRoot(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('file:')) return undefined
  const at = url.indexOf(DRIZZLE)
  return at < 0 ? undefined : url.slice(0, at + DRIZZLE.length)
}

module.registerHooks?.({
  resolve(specifier, context, nextResolve) {
    const root = drizzleRoot(context.parentURL)
    if (
      root !== undefined &&
      (specifier.startsWith('./') || specifier.startsWith('../')) &&
      specifier.endsWith('.js') &&
      isEsmPackage(root)
    ) {
      const url = new URL(specifier, context.parentURL).href
      // Still inside the package: anything else is Node's to judge.
      if (url.startsWith(root)) {
        shortcut.resolved++
        return { url, format: 'module', shortCircuit: true }
      }
    }
    return nextResolve(specifier, context)
  },
  load(url, context, nextLoad) {
    const root = drizzleRoot(url)
    if (root !== undefined && url.endsWith('.js') && isEsmPackage(root)) {
      shortcut.loaded++
      return { format: 'module', source: readFileSync(new URL(url)), shortCircuit: true }
    }
    return nextLoad(url, context)
  },
})

import { fileURLToPath } from 'node:url'

/**
 * The built console (`pnpm build`): index.html, and console/ with the script and the styles.
 * The development gateway serves it at /admin/; nginx's image copies the same files.
 */
export const consoleDir = fileURLToPath(new URL('./dist/', import.meta.url))

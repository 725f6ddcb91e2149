/**
 * Headless Chromium for the browser suites (Debian's chromium with playwright-core): where it
 * is, whether a suite runs, and the DevTools protocol's virtual authenticator for passkeys.
 */
import { existsSync } from 'node:fs'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Why `suite` cannot run here (no Chromium), after saying so loudly; undefined when it can.
 * With REQUIRE_BROWSER=1 (CI) a missing Chromium is a failure instead.
 */
export function browserSkipReason(suite: string): string | undefined {
  if (existsSync(CHROMIUM)) return undefined
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium)`
  if (process.env.REQUIRE_BROWSER === '1') {
    throw new Error(`the browser suite is required: ${reason}`)
  }
  console.warn(`\n!!! SKIPPED: ${suite}: ${reason}\n`)
  return reason
}

/** Chromium that resolves localhost to 127.0.0.1 (a secure context for WebAuthn). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  })
}

/** A platform authenticator with resident keys and user verification, always consenting. */
export async function addVirtualAuthenticator(
  page: Page,
  context: BrowserContext = page.context(),
) {
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
}

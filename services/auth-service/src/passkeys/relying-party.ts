/**
 * The WebAuthn relying party (design.md, "Passkeys"): which RP ID passkeys are bound to and
 * which origins a ceremony may come from, from WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and
 * WEBAUTHN_ORIGINS, defaulting to ISSUER. Checked when the configuration is loaded, so a
 * mismatch stops the service at start-up instead of failing every passkey in a browser.
 */
export interface RelyingParty {
  id: string
  name: string
  origins: string[]
}

interface RelyingPartyConfig {
  ISSUER: string
  PRODUCT_NAME: string
  WEBAUTHN_RP_ID?: string | undefined
  WEBAUTHN_RP_NAME?: string | undefined
  WEBAUTHN_ORIGINS: string[]
}

export function relyingPartyOf(config: RelyingPartyConfig): RelyingParty {
  const issuer = new URL(config.ISSUER)
  return {
    id: (config.WEBAUTHN_RP_ID ?? issuer.hostname).toLowerCase(),
    name: config.WEBAUTHN_RP_NAME ?? config.PRODUCT_NAME,
    origins: config.WEBAUTHN_ORIGINS.length > 0 ? config.WEBAUTHN_ORIGINS : [issuer.origin],
  }
}

/**
 * WebAuthn §5.1.4.1 / HTML's "registrable domain suffix": an RP ID is valid for an origin
 * when it is the origin's host or a suffix of it at a dot. (Whether the suffix is a public
 * suffix, like `co.uk`, browsers check against the Public Suffix List; we do not carry it.)
 */
export function rpIdFitsOrigin(rpId: string, origin: string): boolean {
  const host = new URL(origin).hostname.toLowerCase()
  return host === rpId || host.endsWith(`.${rpId}`)
}

/** The configuration problems of the relying party, for the config schema's superRefine. */
export function webauthnProblems(
  config: RelyingPartyConfig,
): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = []
  for (const origin of config.WEBAUTHN_ORIGINS) {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      problems.push({ path: ['WEBAUTHN_ORIGINS'], message: `${origin} is not a URL` })
      continue
    }
    if (url.origin !== origin || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      problems.push({
        path: ['WEBAUTHN_ORIGINS'],
        message: `${origin} must be an origin: scheme://host[:port], no path or trailing slash`,
      })
    }
  }
  if (problems.length > 0) return problems
  const rp = relyingPartyOf(config)
  for (const origin of rp.origins) {
    if (!rpIdFitsOrigin(rp.id, origin)) {
      problems.push({
        path: ['WEBAUTHN_RP_ID'],
        message: `${rp.id} is not the host of ${origin} or a registrable suffix of it`,
      })
    }
  }
  return problems
}

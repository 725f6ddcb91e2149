import { randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'

/**
 * RFC 6238 TOTP as every authenticator app speaks it: HMAC-SHA-1, 6 digits, 30-second steps,
 * through the otpauth library (no hand-written HOTP). The secret is 160 bits, the size of the
 * SHA-1 output that RFC 4226 §4 recommends.
 */
const PERIOD_SECONDS = 30
const DIGITS = 6
const ALGORITHM = 'SHA1'
/** One step either way: a phone clock 30 s off, or a code typed as it rolls over. */
const WINDOW = 1

export function newTotpSecret(): Buffer {
  return randomBytes(20)
}

/** The secret as an authenticator app takes it when typed (RFC 4648 base32). */
export function base32Of(secret: Buffer): string {
  return new Secret({ buffer: new Uint8Array(secret).buffer }).base32
}

function totpFor(secret: Buffer, label = 'account', issuer = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: new Secret({ buffer: new Uint8Array(secret).buffer }),
  })
}

/**
 * The otpauth:// URI a QR code carries (the Key Uri Format of Google Authenticator, which the
 * others follow): the product as issuer, the account's address (or id) as label.
 */
export function otpauthUri(secret: Buffer, issuer: string, label: string): string {
  return totpFor(secret, label, issuer).toString()
}

/** The URI as a QR code, an SVG document (no image library, no network). */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
}

/** The time step (RFC 6238 T) of an instant. */
export function timeStepAt(now: Date): number {
  return Math.floor(now.getTime() / 1000 / PERIOD_SECONDS)
}

/**
 * The time step a code belongs to, if it is the code of the current step or of one step before
 * or after; undefined otherwise. The comparison is the library's constant-time one, and every
 * candidate step costs one HMAC, so a wrong code costs at most three: microseconds either way.
 * Whether the step was used already (a replay) is the caller's question.
 */
export function matchingTimeStep(secret: Buffer, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined
  const delta = totpFor(secret).validate({ token: code, timestamp: now.getTime(), window: WINDOW })
  return delta === null ? undefined : timeStepAt(now) + delta
}

/** The code of an instant: for the tests and for the CLI's self-check, never sent anywhere. */
export function totpCodeAt(secret: Buffer, at: Date): string {
  return totpFor(secret).generate({ timestamp: at.getTime() })
}

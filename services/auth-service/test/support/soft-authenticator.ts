/**
 * A scripted WebAuthn authenticator for tests without a browser: an ES256 key, attestation
 * `none`, and every field a negative test needs to get wrong on purpose (origin, RP ID, flags,
 * counter, challenge). Encoding only: CBOR through @simplewebauthn's own encoder, signatures
 * through node:crypto; all checking is the server's.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers'

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_BE = 0x08
const FLAG_AT = 0x40

export interface CeremonyOverrides {
  origin?: string
  rpId?: string
  userVerified?: boolean
  /** The sign count to report; default: the authenticator's own, incremented. */
  counter?: number
  challenge?: string
  type?: string
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest()
const b64 = (bytes: Uint8Array) => isoBase64URL.fromBuffer(new Uint8Array(bytes))

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16)
  private readonly key: KeyObject
  private readonly cose: Uint8Array
  counter = 0
  userHandle: string | undefined

  constructor(
    private readonly origin: string,
    private readonly rpId: string,
    private readonly options: { synced?: boolean; countsSignatures?: boolean } = {},
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.key = privateKey
    const jwk = publicKey.export({ format: 'jwk' })
    this.cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, isoBase64URL.toBuffer(jwk.x ?? '')],
        [-3, isoBase64URL.toBuffer(jwk.y ?? '')],
      ]),
    )
  }

  get id(): string {
    return b64(this.credentialId)
  }

  private authData(rpId: string, flags: number, counter: number, attested: boolean): Uint8Array {
    const parts: Uint8Array[] = [sha256(rpId), Uint8Array.of(flags)]
    const count = Buffer.alloc(4)
    count.writeUInt32BE(counter)
    parts.push(count)
    if (attested) {
      const length = Buffer.alloc(2)
      length.writeUInt16BE(this.credentialId.length)
      parts.push(Buffer.alloc(16), length, this.credentialId, this.cose)
    }
    return Buffer.concat(parts)
  }

  private flags(o: CeremonyOverrides, attested: boolean): number {
    return (
      FLAG_UP |
      (o.userVerified === false ? 0 : FLAG_UV) |
      (this.options.synced ? FLAG_BE : 0) |
      (attested ? FLAG_AT : 0)
    )
  }

  private clientData(type: string, challenge: string, o: CeremonyOverrides): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: o.type ?? type,
        challenge: o.challenge ?? challenge,
        origin: o.origin ?? this.origin,
        crossOrigin: false,
      }),
    )
  }

  /** The RegistrationResponseJSON for creation options. */
  // biome-ignore lint/suspicious/noExplicitAny: options are the server's JSON
  register(options: any, o: CeremonyOverrides = {}) {
    this.userHandle = options.user.id
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, o)
    const authData = this.authData(o.rpId ?? this.rpId, this.flags(o, true), 0, true)
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]) as never,
    )
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64(clientDataJSON),
        attestationObject: b64(attestationObject),
        transports: ['internal' as const],
      },
      clientExtensionResults: {},
    }
  }

  /** The AuthenticationResponseJSON for request options. */
  // biome-ignore lint/suspicious/noExplicitAny: options are the server's JSON
  assert(options: any, o: CeremonyOverrides = {}) {
    if (o.counter === undefined && this.options.countsSignatures !== false) this.counter += 1
    const counter = o.counter ?? (this.options.countsSignatures === false ? 0 : this.counter)
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, o)
    const authData = this.authData(o.rpId ?? this.rpId, this.flags(o, false), counter, false)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.key)
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
    }
  }
}

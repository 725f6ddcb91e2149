import { createHash, createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto'
import type { Jwks, PublicJwk, SigningKey } from '@authpair/contracts'
import type { Database, SigningKeyRecord } from '@authpair/db'
import type { FastifyBaseLogger } from 'fastify'
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption.js'
import {
  generateSigningKey,
  importPrivateKey,
  type SigningAlgorithm,
} from './signing-key-material.js'

export interface KeyStoreOptions {
  /** Algorithm of keys this process generates. */
  alg: SigningAlgorithm
  now: () => Date
  log: FastifyBaseLogger
}

export interface ActiveSigningKey {
  kid: string
  alg: SigningAlgorithm
  privateKey: KeyObject
}

/** The JWKS as served: serialized once per change of the key set, with its ETag. */
export interface JwksDocument {
  jwks: Jwks
  body: string
  etag: string
}

/** Signs at `now`: activated, and not yet retired (retirement is scheduled, so compare times). */
function isActive(key: SigningKeyRecord, now: Date): boolean {
  const t = now.getTime()
  return key.activatesAt.getTime() <= t && (key.retiredAt === null || key.retiredAt.getTime() > t)
}

export type KeyStatus = 'next' | 'active' | 'retired'

export function keyStatus(key: SigningKeyRecord, now: Date): KeyStatus {
  // Superseded by a later rotation before it ever signed: retired at its own activation.
  if (key.retiredAt !== null && key.retiredAt.getTime() <= key.activatesAt.getTime()) {
    return 'retired'
  }
  if (key.activatesAt.getTime() > now.getTime()) return 'next'
  return isActive(key, now) ? 'active' : 'retired'
}

/** A key as the admin API (/admin/auth/keys) and `pnpm manage keys list --json` show it. */
export function signingKeyView(key: SigningKeyRecord, now: Date): SigningKey {
  return {
    kid: key.kid,
    alg: key.alg,
    status: keyStatus(key, now),
    created_at: key.createdAt.toISOString(),
    activates_at: key.activatesAt.toISOString(),
    retired_at: key.retiredAt?.toISOString() ?? null,
    published_until: key.publishedUntil?.toISOString() ?? null,
  }
}

export interface RotationPlan {
  /** How long the new key is published before it signs, seconds. */
  publishLeadSeconds: number
  /** How long a retired key stays published after it stops signing, seconds. */
  retiredPublishSeconds: number
}

/**
 * The signing keys of this process, read from the database: what the JWKS publishes and which
 * key signs. The published set and its serialized body are rebuilt only when the set of kids
 * changes; private keys are decrypted once, when first used.
 */
export class KeyStore {
  private published: SigningKeyRecord[] = []
  private document: JwksDocument = KeyStore.documentFor([])
  private readonly privateKeys = new Map<string, KeyObject>()
  private readonly publicKeys = new Map<string, KeyObject>()
  private loadedOnce = false

  constructor(
    private readonly db: Database,
    private readonly kek: Buffer,
    private readonly options: KeyStoreOptions,
  ) {}

  /** True once the keys have been read and a key is able to sign. */
  get ready(): boolean {
    return this.loadedOnce && this.currentRecord() !== undefined
  }

  get jwks(): JwksDocument {
    return this.document
  }

  /**
   * First start: if no key can sign, generate one, store it (private half encrypted) and let it
   * sign at once: no verifier has cached a JWKS of this deployment yet, so nothing needs to be
   * pre-published. Two replicas racing here both insert a key; both are published, and the
   * newest signs.
   */
  async initialize(): Promise<void> {
    await this.refresh()
    if (this.currentRecord()) return
    const now = this.options.now()
    const generated = generateSigningKey(this.options.alg)
    await this.db.signingKeys.insert({
      kid: generated.kid,
      alg: generated.alg,
      publicJwk: JSON.stringify(generated.publicJwk),
      privateKeyEnc: encryptPrivateKey(this.kek, generated.kid, generated.privateKeyDer),
      createdAt: now,
      activatesAt: now,
    })
    this.options.log.info(
      { kid: generated.kid, alg: generated.alg },
      'generated the first signing key',
    )
    await this.refresh()
  }

  /**
   * Rotation without a verifier ever meeting an unknown kid: the new key is published now and
   * signs only after `publishLeadSeconds` (longer than any JWKS cache and any replica's refresh
   * interval); the current keys stop signing at that moment and stay published for
   * `retiredPublishSeconds` more (longer than any token they signed lives).
   */
  async rotate(plan: RotationPlan): Promise<SigningKeyRecord> {
    const now = this.options.now()
    const activatesAt = new Date(now.getTime() + plan.publishLeadSeconds * 1000)
    const generated = generateSigningKey(this.options.alg)
    const record = await this.db.signingKeys.insert({
      kid: generated.kid,
      alg: generated.alg,
      publicJwk: JSON.stringify(generated.publicJwk),
      privateKeyEnc: encryptPrivateKey(this.kek, generated.kid, generated.privateKeyDer),
      createdAt: now,
      activatesAt,
    })
    const retired = await this.db.signingKeys.retireOthers(generated.kid, {
      now,
      retiredAt: activatesAt,
      publishedUntil: new Date(activatesAt.getTime() + plan.retiredPublishSeconds * 1000),
    })
    this.options.log.info(
      { kid: generated.kid, activatesAt, retired: retired.map((k) => k.kid) },
      'signing key rotated',
    )
    await this.refresh()
    return record
  }

  /** Re-reads the published keys (another replica may have rotated). */
  async refresh(): Promise<void> {
    const rows = await this.db.signingKeys.listPublished(this.options.now())
    const signature = (keys: SigningKeyRecord[]) =>
      keys.map((k) => `${k.kid}:${k.retiredAt?.getTime() ?? ''}`).join(',')
    const before = signature(this.published)
    const after = signature(rows)
    this.published = rows
    this.loadedOnce = true
    if (before === after) return
    this.document = KeyStore.documentFor(rows.map((k) => JSON.parse(k.publicJwk) as PublicJwk))
    for (const cache of [this.privateKeys, this.publicKeys]) {
      for (const kid of cache.keys()) {
        if (!rows.some((k) => k.kid === kid)) cache.delete(kid)
      }
    }
    this.options.log.info({ kids: rows.map((k) => k.kid) }, 'signing keys loaded')
  }

  /** The key that signs now: the newest active one. */
  activeKey(): ActiveSigningKey {
    const record = this.currentRecord()
    if (!record) throw new Error('no signing key is active')
    let privateKey = this.privateKeys.get(record.kid)
    if (!privateKey) {
      privateKey = importPrivateKey(decryptPrivateKey(this.kek, record.kid, record.privateKeyEnc))
      this.privateKeys.set(record.kid, privateKey)
    }
    return { kid: record.kid, alg: record.alg as SigningAlgorithm, privateKey }
  }

  /**
   * A published key's public half, for verifying this service's own tokens in-process (the
   * same set the JWKS serves); undefined for a kid that is not published.
   */
  publicKey(kid: string): { key: KeyObject; alg: string } | undefined {
    const record = this.published.find((k) => k.kid === kid)
    if (!record) return undefined
    let key = this.publicKeys.get(kid)
    if (!key) {
      key = createPublicKey({ key: JSON.parse(record.publicJwk), format: 'jwk' } as JsonWebKeyInput)
      this.publicKeys.set(kid, key)
    }
    return { key, alg: record.alg }
  }

  private currentRecord(): SigningKeyRecord | undefined {
    const now = this.options.now()
    let newest: SigningKeyRecord | undefined
    for (const key of this.published) {
      if (isActive(key, now) && (!newest || key.activatesAt >= newest.activatesAt)) newest = key
    }
    return newest
  }

  private static documentFor(keys: PublicJwk[]): JwksDocument {
    const jwks: Jwks = { keys }
    const body = JSON.stringify(jwks)
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
    return { jwks, body, etag }
  }
}

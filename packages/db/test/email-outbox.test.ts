/**
 * The outbox's storage rules, once per dialect (TEST_DB): bodies are dropped when a mail is
 * sent, and the retention deletes take sent mail by sent_at and abandoned mail by created_at,
 * in bounded batches, each row to one caller. Every test owns a fresh database: the deletes
 * act on the whole table.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js'
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type Database,
  MIGRATIONS_FOLDER,
  migrateDatabase,
  type NewEmailOutbox,
  newId,
  openDatabase,
} from '../src/index.js'
import { createTestDatabase, readRawRows, type TestDatabase, testDialect } from '../src/testing.js'

let testDb: TestDatabase
let db: Database
beforeEach(async () => {
  testDb = await createTestDatabase()
  db = openDatabase(testDb.target)
})
afterEach(async () => {
  await db?.close()
  await testDb?.drop()
})

const t0 = new Date('2026-05-01T00:00:00.000Z')
const DAY = 86_400_000
const at = (ms: number) => new Date(t0.getTime() + ms)

function mail(overrides: Partial<NewEmailOutbox> = {}): NewEmailOutbox {
  return {
    id: newId(),
    kind: 'password_reset',
    toAddress: 'reader@example.com',
    subject: 'Reset your password',
    textBody: 'text with a link',
    htmlBody: '<p>html with a link</p>',
    createdAt: t0,
    nextAttemptAt: t0,
    ...overrides,
  }
}

async function ids(): Promise<string[]> {
  return (await readRawRows(testDb.target, 'email_outbox')).map((r) => String(r.id)).sort()
}

describe(`outbox bodies on ${testDialect()}`, () => {
  it('drops both bodies when a mail is sent, and keeps kind, address, subject and times', async () => {
    const sent = mail()
    const other = mail()
    await db.emailOutbox.enqueue(sent)
    await db.emailOutbox.enqueue(other)
    await db.emailOutbox.markSent(sent.id, at(5_000))
    const rows = await readRawRows(testDb.target, 'email_outbox')
    const row = rows.find((r) => r.id === sent.id)
    expect(row).toMatchObject({
      kind: 'password_reset',
      to_address: 'reader@example.com',
      subject: 'Reset your password',
      text_body: null,
      html_body: null,
      locked_until: null,
    })
    expect(new Date(row?.sent_at as string | number).getTime()).toBe(at(5_000).getTime())
    expect(new Date(row?.created_at as string | number).getTime()).toBe(t0.getTime())
    // the other mail is untouched
    expect(rows.find((r) => r.id === other.id)).toMatchObject({ text_body: 'text with a link' })
  })

  it('refuses an unsent mail without a text body (the schema’s check)', async () => {
    await expect(db.emailOutbox.enqueue(mail({ textBody: null }))).rejects.toThrow()
    expect(await ids()).toEqual([])
  })
})

describe(`outbox retention on ${testDialect()}`, () => {
  const cutoff = at(7 * DAY)
  const now = at(8 * DAY)

  it('deletes mail sent before the cutoff and keeps younger and unsent mail', async () => {
    const old = mail()
    const young = mail()
    const unsent = mail()
    for (const m of [old, young, unsent]) await db.emailOutbox.enqueue(m)
    await db.emailOutbox.markSent(old.id, at(7 * DAY - 1))
    await db.emailOutbox.markSent(young.id, at(7 * DAY))
    expect(await db.emailOutbox.deleteSent(cutoff, 100)).toBe(1)
    expect(await ids()).toEqual([young.id, unsent.id].sort())
    expect(await db.emailOutbox.deleteSent(cutoff, 100)).toBe(0)
  })

  it('deletes sent mail in batches of at most the limit', async () => {
    for (let i = 0; i < 5; i++) {
      const m = mail()
      await db.emailOutbox.enqueue(m)
      await db.emailOutbox.markSent(m.id, at(i))
    }
    const counts = []
    for (let i = 0; i < 4; i++) counts.push(await db.emailOutbox.deleteSent(cutoff, 2))
    expect(counts).toEqual([2, 2, 1, 0])
    expect(await ids()).toEqual([])
  })

  it('deletes unsent mail created before the cutoff, returns it once, and spares sent, younger and leased mail', async () => {
    const abandoned = mail({ kind: 'email_verify', createdAt: at(-1) })
    const young = mail({ createdAt: at(7 * DAY) })
    const sentOld = mail()
    const leased = mail({ lockedUntil: at(8 * DAY + 60_000) })
    for (const m of [abandoned, young, sentOld, leased]) await db.emailOutbox.enqueue(m)
    await db.emailOutbox.markFailed(abandoned.id, 'ECONNREFUSED', at(1))
    await db.emailOutbox.markSent(sentOld.id, at(7 * DAY + 1))

    const gone = await db.emailOutbox.deleteUnsent(cutoff, now, 100)
    expect(gone).toEqual([
      {
        id: abandoned.id,
        kind: 'email_verify',
        createdAt: at(-1),
        attempts: 1,
        lastError: 'ECONNREFUSED',
      },
    ])
    expect(await ids()).toEqual([young.id, sentOld.id, leased.id].sort())
    expect(await db.emailOutbox.deleteUnsent(cutoff, now, 100)).toEqual([])

    // a lease that has run out protects nothing
    const later = await db.emailOutbox.deleteUnsent(cutoff, at(8 * DAY + 60_000), 100)
    expect(later.map((m) => m.id)).toEqual([leased.id])
  })

  it('hands each abandoned mail to exactly one of several concurrent sweeps', async () => {
    const all = Array.from({ length: 30 }, () => mail())
    for (const m of all) await db.emailOutbox.enqueue(m)
    const sweep = async () => {
      const seen: string[] = []
      for (;;) {
        const batch = await db.emailOutbox.deleteUnsent(cutoff, now, 4)
        expect(batch.length).toBeLessThanOrEqual(4)
        if (batch.length === 0) return seen
        seen.push(...batch.map((m) => m.id))
      }
    }
    const results = await Promise.all([sweep(), sweep(), sweep()])
    const reported = results.flat()
    expect(reported).toHaveLength(all.length)
    expect(new Set(reported)).toEqual(new Set(all.map((m) => m.id)))
    expect(await ids()).toEqual([])
  })
})

describe(`the upgrade migration on ${testDialect()}`, () => {
  it('drops the bodies of mail sent before it, and keeps those of unsent mail', async () => {
    const fresh = await createTestDatabase(undefined, { migrate: false })
    const dir = mkdtempSync(join(tmpdir(), 'authpair-migrations-'))
    try {
      // the migrations as they were before bodies were dropped on sending
      const folder = join(dir, 'migrations')
      cpSync(MIGRATIONS_FOLDER[fresh.target.dialect], folder, { recursive: true })
      const journalPath = join(folder, 'meta', '_journal.json')
      const journal = JSON.parse(readFileSync(journalPath, 'utf8'))
      journal.entries = journal.entries.filter((e: { tag: string }) => e.tag === '0000_init')
      writeFileSync(journalPath, JSON.stringify(journal))

      const sentAt = t0.getTime() + 1000
      const rows = [
        ['sent', 'old link (sent)', '<p>old</p>', sentAt],
        ['unsent', 'old link (unsent)', '<p>pending</p>', null],
      ] as const
      if (fresh.target.dialect === 'sqlite') {
        const handle = new BetterSqlite3(fresh.target.path)
        try {
          migrateSqlite(drizzleSqlite({ client: handle }), { migrationsFolder: folder })
          const insert = handle.prepare(
            `insert into email_outbox (id, kind, to_address, subject, text_body, html_body,
               created_at, attempts, next_attempt_at, sent_at)
             values (?, 'password_reset', 'a@example.com', 'Reset', ?, ?, ?, 0, ?, ?)`,
          )
          for (const [id, text, html, sent] of rows) {
            insert.run(id, text, html, t0.getTime(), t0.getTime(), sent)
          }
        } finally {
          handle.close()
        }
      } else {
        const client = postgres(fresh.target.url, { max: 1, onnotice: () => {} })
        try {
          await migratePg(drizzlePg(client), { migrationsFolder: folder })
          for (const [id, text, html, sent] of rows) {
            await client`insert into email_outbox (id, kind, to_address, subject, text_body,
                html_body, created_at, attempts, next_attempt_at, sent_at)
              values (${id}, 'password_reset', 'a@example.com', 'Reset', ${text}, ${html},
                ${t0.toISOString()}, 0, ${t0.toISOString()},
                ${sent === null ? null : new Date(sent).toISOString()})`
          }
        } finally {
          await client.end({ timeout: 5 })
        }
      }

      const result = await migrateDatabase(fresh.target)
      expect(result.applied).toBeGreaterThan(0)
      const after = await readRawRows(fresh.target, 'email_outbox')
      expect(after.find((r) => r.id === 'sent')).toMatchObject({
        text_body: null,
        html_body: null,
        to_address: 'a@example.com',
      })
      expect(after.find((r) => r.id === 'unsent')).toMatchObject({
        text_body: 'old link (unsent)',
        html_body: '<p>pending</p>',
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await fresh.drop()
    }
  })
})

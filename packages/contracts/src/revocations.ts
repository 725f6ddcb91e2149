import { z } from 'zod'

/**
 * One revocation in the feed (GET /revocations on the auth-service's own port): a session
 * ended, or every token of a user issued until `revoked_at` (deactivated or deleted).
 */
export const RevocationEntrySchema = z
  .object({
    kind: z.enum(['session', 'user']),
    /** The session id (a user token's `sid`) or the user id (its `sub`). */
    id: z.string().meta({ examples: ['019a5f3c-7d2e-7b41-9c3a-2f6d8e1b4a57'] }),
    user_id: z.string().meta({ examples: ['019a5f3b-1c4d-7e2f-8a3b-5c6d7e8f9a0b'] }),
    revoked_at: z.iso.datetime().meta({ examples: ['2026-03-14T09:26:53.589Z'] }),
    /** After this no token the entry concerns can be valid: a verifier may forget it. */
    keep_until: z.iso.datetime().meta({ examples: ['2026-03-28T09:26:53.589Z'] }),
  })
  .meta({ id: 'RevocationEntry' })
export type RevocationEntry = z.infer<typeof RevocationEntrySchema>

export const RevocationFeedQuerySchema = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(0)
    .describe('the cursor of the last answer; 0 (default) for everything still kept'),
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .default(0)
    .describe('seconds to hold the request open until news arrives (long poll); 0: answer now'),
})

export const RevocationFeedSchema = z
  .object({
    /** Pass it back as `after`. */
    cursor: z
      .number()
      .int()
      .nonnegative()
      .meta({ examples: [4182] }),
    entries: z.array(RevocationEntrySchema),
    /** More entries are waiting past this page: ask again at once. */
    more: z.boolean(),
  })
  .meta({ id: 'RevocationFeed' })
export type RevocationFeed = z.infer<typeof RevocationFeedSchema>

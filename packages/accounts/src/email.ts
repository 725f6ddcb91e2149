/**
 * One mailbox, one account: addresses are stored and compared trimmed and lower-cased (the
 * contracts' EmailSchema does the same to every address a request carries).
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

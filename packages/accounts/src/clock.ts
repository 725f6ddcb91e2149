/**
 * The clock every rule reads the time from: the system clock in production, one a test moves
 * by hand. Injected wherever a rule needs "now", never read from `new Date()` in a rule.
 */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()

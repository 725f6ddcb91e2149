import { stderr, stdin } from 'node:process'
import { createInterface } from 'node:readline/promises'

/** Whether a person is at the keyboard (stdin is a terminal), so a question can be asked. */
export const canAsk = (): boolean => stdin.isTTY === true

/**
 * Asks on the terminal and answers whether the operator typed `expected` (exactly, after
 * trimming). The prompt goes to stderr, so stdout stays the command's own output.
 */
export async function confirm(prompt: string, expected: string): Promise<boolean> {
  const rl = createInterface({ input: stdin, output: stderr })
  try {
    return (await rl.question(prompt)).trim() === expected
  } finally {
    rl.close()
  }
}

import { useState } from 'preact/hooks'
import { api, type SignInStep } from '../api.js'
import { Notice } from '../components/notice.js'
import { getPasskey, passkeysAvailable } from '../passkey.js'

/** Password, then the second factor (an admin must have one: MFA_REQUIRED_ROLES). */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [step, setStep] = useState<SignInStep | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  /** Runs a step from a form (or a button): busy meanwhile, its failure shown. */
  const submit = (work: (data: FormData) => Promise<void>) => async (event: Event) => {
    event.preventDefault()
    const target = event.currentTarget
    const data = target instanceof HTMLFormElement ? new FormData(target) : new FormData()
    setBusy(true)
    setError(null)
    try {
      await work(data)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  if (step?.kind === 'mfa') {
    const methods = step.methods.filter((m) => m === 'totp' || m === 'recovery_code')
    return (
      <main class="narrow">
        <h1>Second factor</h1>
        <form
          onSubmit={submit(async (data) => {
            await api.verifySecondFactor(
              step.mfaToken,
              String(data.get('method') ?? 'totp'),
              String(data.get('code') ?? '').replace(/\s/g, ''),
            )
            onSignedIn()
          })}
        >
          <label for="method">Method</label>
          <select id="method" name="method">
            {(methods.length ? methods : ['totp']).map((m) => (
              <option value={m} key={m}>
                {m === 'totp' ? 'Authenticator app' : 'Recovery code'}
              </option>
            ))}
          </select>
          <label for="code">Code</label>
          <input id="code" name="code" autocomplete="one-time-code" required autofocus />
          <button type="submit" disabled={busy}>
            Verify
          </button>
        </form>
        <Notice error={error} />
      </main>
    )
  }
  return (
    <main class="narrow">
      <h1>authpair admin</h1>
      <form
        onSubmit={submit(async (data) => {
          const next = await api.signIn(String(data.get('email')), String(data.get('password')))
          if (next.kind === 'done') onSignedIn()
          else setStep(next)
        })}
      >
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required autofocus />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {passkeysAvailable() && (
        <button
          type="button"
          id="passkey-sign-in"
          disabled={busy}
          onClick={submit(async () => {
            await api.signInWithPasskey(getPasskey)
            onSignedIn()
          })}
        >
          Sign in with a passkey
        </button>
      )}
      <Notice error={error} />
    </main>
  )
}

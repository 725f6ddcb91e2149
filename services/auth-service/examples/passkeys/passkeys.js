// The browser half of authpair's passkeys, with no library: the server's options are the
// standard JSON forms (PublicKeyCredentialCreationOptionsJSON, …) whose binary members are
// base64url strings; navigator.credentials wants ArrayBuffers, and answers with them.

/** base64url string → ArrayBuffer */
export function fromBase64url(value) {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer
}

/** ArrayBuffer → base64url string (no padding) */
export function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const descriptor = (d) => ({ ...d, id: fromBase64url(d.id) })

/** Creation options JSON → navigator.credentials.create() → RegistrationResponseJSON */
export async function createPasskey(options) {
  const credential = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: fromBase64url(options.challenge),
      user: { ...options.user, id: fromBase64url(options.user.id) },
      excludeCredentials: (options.excludeCredentials ?? []).map(descriptor),
    },
  })
  const r = credential.response
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64url(r.clientDataJSON),
      attestationObject: toBase64url(r.attestationObject),
      transports: r.getTransports?.() ?? [],
    },
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  }
}

/** Request options JSON → navigator.credentials.get() → AuthenticationResponseJSON */
export async function getPasskey(options) {
  const credential = await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: fromBase64url(options.challenge),
      allowCredentials: (options.allowCredentials ?? []).map(descriptor),
    },
  })
  const r = credential.response
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64url(r.clientDataJSON),
      authenticatorData: toBase64url(r.authenticatorData),
      signature: toBase64url(r.signature),
      ...(r.userHandle ? { userHandle: toBase64url(r.userHandle) } : {}),
    },
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  }
}

// The example page: the access token lives in memory only.
let accessToken = null

async function api(path, body, method = 'POST') {
  const headers = { 'content-type': 'application/json' }
  if (accessToken) headers.authorization = `Bearer ${accessToken}`
  const res = await fetch(path, { method, headers, body: JSON.stringify(body ?? {}) })
  const json = res.status === 204 ? null : await res.json()
  if (!res.ok) throw Object.assign(new Error(json?.detail ?? res.statusText), { problem: json })
  return json
}

function claimsOf(token) {
  return JSON.parse(new TextDecoder().decode(fromBase64url(token.split('.')[1])))
}

function show(status, detail) {
  document.getElementById('status').textContent = status
  document.getElementById('result').textContent = JSON.stringify(detail, null, 2)
}

function signedIn(pair, how) {
  accessToken = pair.access_token
  const claims = claimsOf(pair.access_token)
  show(`signed in (${how})`, { sub: claims.sub, amr: claims.amr, access_token: pair.access_token })
}

async function run(task) {
  try {
    await task()
  } catch (error) {
    show(`error: ${error.problem?.code ?? error.name}`, error.problem ?? String(error))
  }
}

const email = () => document.getElementById('email').value

document.getElementById('password-form').addEventListener('submit', (event) => {
  event.preventDefault()
  run(async () => {
    const password = document.getElementById('password').value
    signedIn(await api('/auth/login', { email: email(), password }), 'password')
  })
})

document.getElementById('register').addEventListener('click', () =>
  run(async () => {
    const options = await api('/auth/passkeys/register/options')
    const response = await createPasskey(options)
    const name = document.getElementById('passkey-name').value
    const { passkey } = await api('/auth/passkeys/register/verify', { response, name })
    show('passkey added', passkey)
  }),
)

document.getElementById('sign-out').addEventListener('click', () => {
  accessToken = null
  show('signed out', {})
})

async function passkeySignIn(body, how) {
  accessToken = null
  const options = await api('/auth/passkeys/login/options', body)
  const response = await getPasskey(options)
  signedIn(await api('/auth/passkeys/login/verify', { response }), how)
}

document
  .getElementById('passkey-sign-in')
  .addEventListener('click', () => run(() => passkeySignIn({}, 'passkey')))
document
  .getElementById('passkey-sign-in-email')
  .addEventListener('click', () =>
    run(() => passkeySignIn({ email: email() }, 'passkey for an email')),
  )

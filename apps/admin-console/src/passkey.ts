/**
 * The browser half of a passkey sign-in (WebAuthn), with no library: the server's request
 * options are the standard JSON form, whose binary members are base64url strings;
 * navigator.credentials wants ArrayBuffers and answers with them.
 */

function fromBase64url(value: string): ArrayBuffer {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer
}

function toBase64url(buffer: ArrayBuffer): string {
  let binary = ''
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export interface RequestOptionsJson {
  challenge: string
  allowCredentials?: { id: string; type: 'public-key'; transports?: string[] }[]
  [member: string]: unknown
}

export function passkeysAvailable(): boolean {
  return typeof PublicKeyCredential !== 'undefined' && !!navigator.credentials
}

/** Request options JSON → navigator.credentials.get() → AuthenticationResponseJSON */
export async function getPasskey(options: RequestOptionsJson): Promise<unknown> {
  const credential = (await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: fromBase64url(options.challenge),
      allowCredentials: (options.allowCredentials ?? []).map((d) => ({
        type: d.type,
        id: fromBase64url(d.id),
        ...(d.transports ? { transports: d.transports as AuthenticatorTransport[] } : {}),
      })),
    },
  })) as PublicKeyCredential | null
  if (!credential) throw new Error('No passkey was chosen.')
  const r = credential.response as AuthenticatorAssertionResponse
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

/**
 * A client of the auth pair typed only from the services' OpenAPI documents (openapi-typescript
 * turns them into `paths` and `operations` types under ../generated/). It compiles only while
 * the documents say what a client needs: the login body, the token pair, the problem+json
 * errors with their closed list of codes, the profile of GET /users/me, and the operationIds
 * derived from method and URL. scripts/openapi.mjs generates the types and runs tsc on this.
 */
import type { operations as AuthOperations, paths as AuthPaths } from '../generated/auth-service.js'
import type { paths as UsersPaths } from '../generated/users-service.js'

type Login = AuthPaths['/auth/login']['post']
export type LoginBody = Login['requestBody']['content']['application/json']
export type TokenPair = Login['responses'][200]['content']['application/json']
/** Errors are RFC 9457 problem details, under the media type the server sends. */
export type Problem = Login['responses'][401]['content']['application/problem+json']
export type Profile =
  UsersPaths['/users/me']['get']['responses'][200]['content']['application/json']

/** The operationId of POST /auth/login, as the generator derives it (method + URL). */
export type LoginOperation = AuthOperations['postAuthLogin']

export async function signIn(gateway: string, body: LoginBody): Promise<TokenPair | Problem> {
  const response = await fetch(new URL('/auth/login', gateway), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return (await response.json()) as TokenPair | Problem
}

export async function me(gateway: string, tokens: TokenPair): Promise<Profile | Problem> {
  const response = await fetch(new URL('/users/me', gateway), {
    headers: { authorization: `${tokens.token_type} ${tokens.access_token}` },
  })
  return (await response.json()) as Profile | Problem
}

/** Branches as the README tells clients to: on `code`, never on the message. */
export function needsSecondFactor(answer: TokenPair | Problem): boolean {
  return 'code' in answer && answer.code === 'mfa_required'
}

// What the documents must keep saying; each line fails to compile if they stop.
export const body: LoginBody = {
  email: 'ada@example.com',
  password: 'correct horse battery staple',
}
// @ts-expect-error the password is required
export const withoutPassword: LoginBody = { email: 'ada@example.com' }
export const code: Problem['code'] = 'invalid_credentials'
// @ts-expect-error the codes are a closed list
export const unknownCode: Problem['code'] = 'no_such_code'
export const expiresIn: TokenPair['expires_in'] = 900
export const unverified: Profile['email'] = null
export const sameBody: LoginOperation['requestBody'] = { content: { 'application/json': body } }

import { STATUS_CODES } from 'node:http'
import {
  ERROR_CODES,
  type ErrorCode,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  type Problem,
  type ProblemFieldError,
} from '@authpair/contracts'
import { DatabaseUnavailableError, UnstorableTextError } from '@authpair/db'
import { AuthHttpError } from '@authpair/jwt-verify/fastify'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod'

/**
 * A failure the client should see: HTTP status, stable code, a human detail. Thrown (or
 * returned) by routes and services; the error handler turns it into problem+json.
 */
export class HttpProblem extends Error {
  readonly status: number
  readonly code: ErrorCode
  readonly errors: ProblemFieldError[] | undefined
  readonly headers: Record<string, string> | undefined
  /**
   * RFC 9457 §3.2 extension members, added to the body beside the standard ones (e.g.
   * `mfa_token` and `methods` of `mfa_required`). The route's response schema must declare
   * them, or the serializer drops them.
   */
  readonly members: Record<string, unknown> | undefined

  constructor(
    status: number,
    code: ErrorCode,
    detail: string,
    extra: {
      errors?: ProblemFieldError[]
      headers?: Record<string, string>
      members?: Record<string, unknown>
      cause?: unknown
    } = {},
  ) {
    super(detail, { cause: extra.cause })
    this.name = 'HttpProblem'
    this.status = status
    this.code = code
    this.errors = extra.errors
    this.headers = extra.headers
    this.members = extra.members
  }
}

/** The code a bare status maps to when nothing more specific is known. */
const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
}

/** Fastify's own error codes that deserve a more precise problem code than their status. */
const CODE_FOR_FASTIFY_ERROR: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
}

export function problemBody(
  request: FastifyRequest,
  status: number,
  code: ErrorCode,
  detail: string,
  errors?: ProblemFieldError[],
  members?: Record<string, unknown>,
): Problem {
  const body: Problem = {
    // Extension members first, so none can overwrite a standard member.
    ...members,
    type: `${PROBLEM_TYPE_PREFIX}${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    request_id: String(request.id),
  }
  if (errors && errors.length > 0) body.errors = errors
  return body
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  detail: string,
  errors?: ProblemFieldError[],
  members?: Record<string, unknown>,
): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(reply.request, status, code, detail, errors, members))
}

const CONTEXT_NAMES: Record<string, string> = { querystring: 'query' }

function validationErrors(error: {
  validation: { instancePath: string; message?: string | undefined }[]
  validationContext?: string
}): ProblemFieldError[] {
  const context = error.validationContext ?? 'body'
  const prefix = CONTEXT_NAMES[context] ?? context
  return error.validation.map((issue) => {
    const path = issue.instancePath
      .split('/')
      .filter(Boolean)
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    return { path: [prefix, ...path].join('.'), message: issue.message ?? 'is invalid' }
  })
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES)
function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN_CODES.has(value)
}

function plainHeaders(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object') return undefined
  const out: Record<string, string> = {}
  for (const [name, v] of Object.entries(value)) if (typeof v === 'string') out[name] = v
  return Object.keys(out).length > 0 ? out : undefined
}

type ClassifiedError = {
  status: number
  code: ErrorCode
  detail: string
  errors?: ProblemFieldError[]
  headers?: Record<string, string>
  members?: Record<string, unknown>
}

/** Maps anything thrown in a request to the problem it becomes. Exported for tests. */
export function classifyError(error: FastifyError | Error): ClassifiedError {
  if (error instanceof HttpProblem) {
    return {
      status: error.status,
      code: error.code,
      detail: error.message,
      ...(error.errors ? { errors: error.errors } : {}),
      ...(error.headers ? { headers: error.headers } : {}),
      ...(error.members ? { members: error.members } : {}),
    }
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return {
      status: 400,
      code: 'validation_failed',
      detail: 'The request is not valid.',
      errors: validationErrors(error),
    }
  }
  if (isResponseSerializationError(error)) {
    return { status: 500, code: 'internal_error', detail: 'Something went wrong on our side.' }
  }
  // A database that cannot be reached (or did not answer in time) is a 503 the client may
  // retry, never a 500.
  if (error instanceof DatabaseUnavailableError) {
    return {
      status: 503,
      code: 'service_unavailable',
      detail: 'A dependency is unavailable; retry shortly.',
      headers: { 'retry-after': '5' },
    }
  }
  // A NUL byte (or a character outside the encoding) in any text the request carried: the
  // input's fault wherever it reached the database, so one answer here for every route.
  if (error instanceof UnstorableTextError) {
    return {
      status: 400,
      code: 'validation_failed',
      detail: 'The request holds a character that cannot be stored (such as a NUL byte).',
    }
  }
  if (error instanceof AuthHttpError) {
    return {
      status: error.statusCode,
      code: error.code,
      detail: error.message,
      ...(Object.keys(error.headers).length > 0 ? { headers: error.headers } : {}),
    }
  }
  const code = (error as { code?: unknown }).code
  const status = (error as FastifyError).statusCode
  const headers = plainHeaders((error as { headers?: unknown }).headers)
  if (typeof status === 'number' && ((status >= 400 && status < 500) || status === 503)) {
    // Fastify's own errors (FST_*, with statusCode), and any plugin's that name one of our codes.
    const mapped =
      (isErrorCode(code) ? code : undefined) ??
      (typeof code === 'string' ? CODE_FOR_FASTIFY_ERROR[code] : undefined) ??
      (error instanceof SyntaxError ? 'invalid_json' : undefined) ??
      CODE_FOR_STATUS[status] ??
      'validation_failed'
    return { status, code: mapped, detail: error.message, ...(headers ? { headers } : {}) }
  }
  return { status: 500, code: 'internal_error', detail: 'Something went wrong on our side.' }
}

/**
 * Every error of the service, including 404 and validation, becomes RFC 9457 problem+json with
 * a stable `code`. The message of anything unexpected (5xx) is logged, never sent.
 */
export const problemErrors = fp(
  async (fastify) => {
    fastify.setErrorHandler((error, request, reply) => {
      const problem = classifyError(error as FastifyError)
      if (problem.status >= 500) {
        request.log.error({ err: error }, 'request failed')
      } else {
        request.log.info({ code: problem.code, status: problem.status }, problem.detail)
      }
      if (problem.headers) reply.headers(problem.headers)
      return sendProblem(
        reply,
        problem.status,
        problem.code,
        problem.detail,
        problem.errors,
        problem.members,
      )
    })

    fastify.setNotFoundHandler((request, reply) => {
      const path = (request.url.split('?')[0] ?? '').slice(0, 200)
      return sendProblem(reply, 404, 'not_found', `No route for ${request.method} ${path}.`)
    })
  },
  { name: 'problem-errors', fastify: '5.x' },
)

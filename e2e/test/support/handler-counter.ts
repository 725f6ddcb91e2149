/**
 * Knows, instead of guessing from status codes, whether a request reached its route's handler:
 * an `onRoute` hook (given to the app factory, so it sees every route as it is registered)
 * wraps each handler to count its calls. A call happens only after the body, query and params
 * passed validation and every preHandler (authentication, role, rate limits) let it through.
 * The same hook adds a route-level `onError` that keeps the errors behind 5xx answers, so a
 * finding can show its stack although the service hides the message from the client.
 */
import type { onErrorHookHandler, onRouteHookHandler, RouteHandlerMethod } from 'fastify'

export class HandlerCounter {
  private readonly calls = new Map<string, number>()
  /** Errors the routes' error handling saw since the last `takeErrors()`. */
  private errors: Error[] = []

  readonly hook: onRouteHookHandler = (route) => {
    const handler = route.handler as RouteHandlerMethod
    for (const method of [route.method].flat()) this.calls.set(`${method} ${route.url}`, 0)
    const calls = this.calls
    route.handler = function (this: unknown, request, reply) {
      const key = `${request.method} ${route.url}`
      calls.set(key, (calls.get(key) ?? 0) + 1)
      return handler.call(this as never, request, reply)
    } as RouteHandlerMethod
    const keep: onErrorHookHandler = (_request, _reply, error, done) => {
      this.errors.push(error)
      done()
    }
    route.onError = [...[route.onError ?? []].flat(), keep] as typeof route.onError
  }

  /** Handler calls so far of `METHOD /fastify/:path`; undefined for a route never registered. */
  count(method: string, fastifyPath: string): number | undefined {
    return this.calls.get(`${method} ${fastifyPath}`)
  }

  takeErrors(): Error[] {
    const taken = this.errors
    this.errors = []
    return taken
  }
}

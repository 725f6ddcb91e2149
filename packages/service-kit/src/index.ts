export {
  type BaseConfig,
  baseConfigShape,
  booleanSchema,
  ConfigError,
  DEFAULT_GATEWAY_PORT,
  httpUrlSchema,
  listSchema,
  loadConfig,
  optionalBooleanSchema,
  portSchema,
  rateLimitConfigShape,
  withDerivedDefaults,
} from './config-loader.js'
export { type CorsPolicyOptions, corsPolicy } from './cors.js'
export {
  type BuildServiceOptions,
  buildService,
  type CreateServerOptions,
  createServer,
} from './create-server.js'
export { decodeCursor, encodeCursor } from './cursor.js'
export { type DocsOptions, docs } from './docs.js'
export { type EnvFileOutcome, loadEnvFileInDevelopment } from './env-file.js'
export { type HealthOptions, health, type ReadinessCheck } from './health.js'
export { type MetricsOptions, metrics } from './metrics.js'
export { prettyLogStream, wantsPrettyLogs } from './pretty-logs.js'
export { classifyError, HttpProblem, problemBody, problemErrors, sendProblem } from './problem.js'
export {
  connectRedis,
  MemoryRateLimitStore,
  openRateLimitStore,
  RateLimit,
  type RateLimitOptions,
  type RateLimitStore,
  type RateLimitStoreOptions,
  RedisRateLimitStore,
  rateLimitStore,
  type WindowCount,
} from './rate-limit.js'
export { genReqId, requestIdHeader } from './request-id.js'
export { type RunServiceOptions, runService } from './run-service.js'
export { type ServiceBasicsOptions, serviceBasics } from './service-basics.js'

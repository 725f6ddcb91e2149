import postgres from 'postgres'

export type EnsureDatabaseResult = 'exists' | 'created'

/** PostgreSQL's SQLSTATE for "database does not exist" (invalid_catalog_name). */
const NO_SUCH_DATABASE = '3D000'

/**
 * Creates the PostgreSQL database `url` names when the server says it does not exist, by
 * connecting to the server's `postgres` maintenance database with the same credentials. For
 * development only (the launcher, `pnpm start`): in production the database is provisioned,
 * and a missing one is an error to report, not to paper over. Any other failure (server down,
 * wrong password, no CREATEDB right) is thrown as it is.
 */
export async function ensurePostgresDatabase(url: string): Promise<EnsureDatabaseResult> {
  const probe = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    await probe`select 1`
    return 'exists'
  } catch (error) {
    if ((error as { code?: string }).code !== NO_SUCH_DATABASE) throw error
  } finally {
    await probe.end({ timeout: 5 })
  }
  const target = new URL(url)
  // As postgres.js reads it (the path as written, not percent-decoded): the database created
  // is the one the services will connect to.
  const name = target.pathname.slice(1)
  if (name === '') throw new Error('the postgres:// URL names no database')
  const maintenance = new URL(url)
  maintenance.pathname = '/postgres'
  const admin = postgres(maintenance.toString(), {
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  })
  try {
    // An identifier cannot be a bind parameter: quote it (doubling any quote inside).
    await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`)
  } catch (error) {
    // Another launcher created it in between: that is what we wanted.
    if ((error as { code?: string }).code !== '42P04') throw error
  } finally {
    await admin.end({ timeout: 5 })
  }
  return 'created'
}

import { useEffect, useState } from 'preact/hooks'

/**
 * Pages live in the fragment (#/users/…): /admin/users is the admin API's path, so the
 * console's own pages must not claim paths under /admin/ that a reload would send to the API.
 */
export type Route =
  | { page: 'users' }
  | { page: 'user'; id: string }
  | { page: 'audit' }
  | { page: 'keys' }
  | { page: 'clients' }

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent)
  if (parts[0] === 'users' && parts[1]) return { page: 'user', id: parts[1] }
  if (parts[0] === 'audit') return { page: 'audit' }
  if (parts[0] === 'keys') return { page: 'keys' }
  if (parts[0] === 'clients') return { page: 'clients' }
  return { page: 'users' }
}

export const hrefOf = {
  users: '#/users',
  user: (id: string) => `#/users/${encodeURIComponent(id)}`,
  audit: '#/audit',
  keys: '#/keys',
  clients: '#/clients',
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return route
}

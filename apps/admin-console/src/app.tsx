import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import { ConfirmHost } from './components/confirm.js'
import { AuditPage } from './pages/audit.js'
import { ClientsPage } from './pages/clients.js'
import { KeysPage } from './pages/keys.js'
import { SignIn } from './pages/sign-in.js'
import { UserPage } from './pages/user.js'
import { UsersPage } from './pages/users.js'
import { hrefOf, type Route, useRoute } from './router.js'

type Phase = 'starting' | 'signed-out' | 'signed-in'

export function App() {
  const [phase, setPhase] = useState<Phase>('starting')
  const route = useRoute()

  useEffect(() => {
    api.onSignedOut = () => setPhase('signed-out')
    // A session from before the reload, if the refresh cookie still holds one.
    api.resume().then((ok) => setPhase(ok ? 'signed-in' : 'signed-out'))
  }, [])

  if (phase === 'starting') return <p class="loading">Loading…</p>
  if (phase === 'signed-out') return <SignIn onSignedIn={() => setPhase('signed-in')} />

  const claims = api.claims()
  const signOut = async () => {
    await api.signOut()
    setPhase('signed-out')
  }
  if (claims?.role !== 'admin') {
    // The API would refuse every call anyway (403): say so instead of showing empty pages.
    return (
      <main class="narrow">
        <h1>Not an admin</h1>
        <p id="not-admin">This account is not an admin: the console has nothing to show it.</p>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </main>
    )
  }
  return (
    <>
      <header>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <strong class="brand">authpair admin</strong>
        <nav aria-label="Sections">
          <NavLink route={route} page="users" href={hrefOf.users} label="Users" />
          <NavLink route={route} page="audit" href={hrefOf.audit} label="Audit log" />
          <NavLink route={route} page="keys" href={hrefOf.keys} label="Signing keys" />
          <NavLink route={route} page="clients" href={hrefOf.clients} label="Clients" />
        </nav>
        <button type="button" id="sign-out" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
      <ConfirmHost />
    </>
  )
}

function NavLink(props: { route: Route; page: Route['page']; href: string; label: string }) {
  const current =
    props.route.page === props.page || (props.page === 'users' && props.route.page === 'user')
  return (
    <a href={props.href} aria-current={current ? 'page' : undefined}>
      {props.label}
    </a>
  )
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'user':
      return <UserPage id={route.id} />
    case 'audit':
      return <AuditPage />
    case 'keys':
      return <KeysPage />
    case 'clients':
      return <ClientsPage />
    default:
      return <UsersPage />
  }
}

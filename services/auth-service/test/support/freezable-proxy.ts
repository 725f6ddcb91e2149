/**
 * A TCP proxy in front of a real server (Redis, PostgreSQL, SMTP) that plays a silent network
 * partition: the server looks alive (connections are accepted and stay open) but nothing it is
 * sent is ever answered. That is the failure a connect timeout does not catch and a refused
 * connection does not look like.
 *
 * freeze(): new connections are still accepted and every socket stays open, but no byte is
 * forwarded either way; bytes are held, as the network holds (retransmits) them.
 * unfreeze(): the partition heals. Held bytes are delivered in order and forwarding resumes;
 * a connection accepted while frozen is connected to the server only now, and only if its client
 * is still waiting (a client that gave up during the partition never reached the server, like a
 * SYN that was never answered).
 * unfreeze({ forgetExisting: true }): the partition heals for new connections only. Those open
 * before it stay silent for good, neither answered nor reset, as when a firewall or NAT on the
 * path forgot them while it lasted; only a client that replaces them recovers.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'

export interface FreezableProxy {
  /** The loopback port clients connect to instead of the server's. */
  readonly port: number
  readonly frozen: boolean
  /** Connections accepted so far (including while frozen). */
  readonly accepted: number
  freeze(): void
  unfreeze(options?: { forgetExisting?: boolean }): void
  close(): Promise<void>
}

interface Link {
  client: Socket
  upstream: Socket | undefined
  /** Bytes read from one side and not yet written to the other. */
  toUpstream: Buffer[]
  toClient: Buffer[]
  clientEnded: boolean
  upstreamEnded: boolean
  closed: boolean
  /** Never forwarded again (see unfreeze's forgetExisting). */
  forgotten: boolean
}

export async function startFreezableProxy(target: {
  host: string
  port: number
}): Promise<FreezableProxy> {
  const links = new Set<Link>()
  let frozen = false
  let accepted = 0

  const destroy = (link: Link) => {
    if (link.closed) return
    link.closed = true
    links.delete(link)
    link.client.destroy()
    link.upstream?.destroy()
  }

  /** Delivers what each side is owed, unless the partition holds it. */
  const flush = (link: Link) => {
    if (frozen || link.closed || link.forgotten) return
    const { upstream, client } = link
    if (upstream && !upstream.connecting) {
      // Reset by the server (no FIN): the client sees the reset once the partition lets it.
      if (upstream.destroyed && !link.upstreamEnded) return destroy(link)
      for (const chunk of link.toUpstream.splice(0)) upstream.write(chunk)
      if (link.clientEnded && !upstream.writableEnded) upstream.end()
    }
    if (!client.destroyed) {
      for (const chunk of link.toClient.splice(0)) client.write(chunk)
      if (link.upstreamEnded && !client.writableEnded) client.end()
    }
    if (link.clientEnded && link.upstreamEnded) destroy(link)
  }

  const connectUpstream = (link: Link) => {
    const upstream = tcpConnect(target.port, target.host)
    link.upstream = upstream
    upstream.on('connect', () => flush(link))
    upstream.on('data', (chunk: Buffer) => {
      link.toClient.push(chunk)
      flush(link)
    })
    upstream.on('end', () => {
      link.upstreamEnded = true
      flush(link)
    })
    // An error is followed by 'close'.
    upstream.on('error', () => {})
    upstream.on('close', () => flush(link))
  }

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    accepted++
    const link: Link = {
      client,
      upstream: undefined,
      toUpstream: [],
      toClient: [],
      clientEnded: false,
      upstreamEnded: false,
      closed: false,
      forgotten: false,
    }
    links.add(link)
    client.on('data', (chunk: Buffer) => {
      link.toUpstream.push(chunk)
      flush(link)
    })
    client.on('end', () => {
      link.clientEnded = true
      flush(link)
    })
    client.on('error', () => {
      link.clientEnded = true
      if (!frozen || link.forgotten) destroy(link)
    })
    client.on('close', () => {
      link.clientEnded = true
      // Not frozen: the server sees the client go at once. Frozen: it sees it after the partition.
      if (!frozen || link.forgotten) destroy(link)
    })
    if (!frozen) connectUpstream(link)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }

  return {
    port,
    get frozen() {
      return frozen
    },
    get accepted() {
      return accepted
    },
    freeze() {
      frozen = true
    },
    unfreeze({ forgetExisting = false } = {}) {
      frozen = false
      for (const link of [...links]) {
        if (forgetExisting) {
          // The server's side goes (it would time out in the end); the client is never told.
          link.forgotten = true
          link.upstream?.destroy()
        } else if (link.upstream) flush(link)
        // Accepted during the partition: reaches the server only if its client still waits.
        else if (link.clientEnded || link.client.destroyed) destroy(link)
        else connectUpstream(link)
      }
    },
    async close() {
      for (const link of [...links]) destroy(link)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

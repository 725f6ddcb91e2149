import { useCallback, useEffect, useState } from 'preact/hooks'

export interface Loaded<T> {
  data: T | null
  error: unknown
  loading: boolean
  reload: () => void
}

/** Loads `load()` when `key` changes, and again on `reload()`. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(true)
  const [round, setRound] = useState(0)
  // `key` names what `load` reads: a new key is a new load.
  useEffect(() => {
    let live = true
    setLoading(true)
    load().then(
      (value) => {
        if (!live) return
        setData(value)
        setError(null)
        setLoading(false)
      },
      (failure: unknown) => {
        if (!live) return
        setError(failure)
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [key, round])
  const reload = useCallback(() => setRound((n) => n + 1), [])
  return { data, error, loading, reload }
}

/** Runs an action, reporting its outcome: `[run, error, done]`. */
export function useAction(): [
  (what: () => Promise<string>) => Promise<void>,
  unknown,
  string | null,
] {
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  const run = useCallback(async (what: () => Promise<string>) => {
    setError(null)
    setDone(null)
    try {
      setDone(await what())
    } catch (failure) {
      setError(failure)
    }
  }, [])
  return [run, error, done]
}

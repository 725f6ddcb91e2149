import { useEffect, useRef, useState } from 'preact/hooks'

/**
 * Every action that changes something asks first, in a modal <dialog> (the browser traps focus
 * in it and Escape cancels). `confirmAction` resolves true only on the confirming button.
 */
interface Request {
  message: string
  action: string
  resolve: (ok: boolean) => void
}

let show: ((request: Request) => void) | null = null

export function confirmAction(message: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!show) resolve(false)
    else show({ message, action, resolve })
  })
}

export function ConfirmHost() {
  const [request, setRequest] = useState<Request | null>(null)
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    show = setRequest
    return () => {
      show = null
    }
  }, [])
  useEffect(() => {
    if (request && dialog.current && !dialog.current.open) dialog.current.showModal()
  }, [request])

  const finish = (ok: boolean) => {
    request?.resolve(ok)
    setRequest(null)
    if (dialog.current?.open) dialog.current.close()
  }
  return (
    <dialog ref={dialog} aria-labelledby="confirm-message" onClose={() => request && finish(false)}>
      <p id="confirm-message">{request?.message}</p>
      <div class="actions">
        <button type="button" class="danger" id="confirm-yes" onClick={() => finish(true)}>
          {request?.action}
        </button>
        <button type="button" autofocus onClick={() => finish(false)}>
          Cancel
        </button>
      </div>
    </dialog>
  )
}

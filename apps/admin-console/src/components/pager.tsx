import { useState } from 'preact/hooks'

/** Cursor paging over a list route (`{items, next_cursor}`): the cursor of the page shown. */
export interface Pages {
  cursor: string | undefined
  /** On the first page. */
  atStart: boolean
  /** Back to the first page (a new search starts there). */
  restart: () => void
  /** On to the page after this one. */
  advance: (nextCursor: string | null | undefined) => void
}

export function usePages(): Pages {
  const [cursors, setCursors] = useState<string[]>([])
  return {
    cursor: cursors[cursors.length - 1],
    atStart: cursors.length === 0,
    restart: () => setCursors([]),
    advance: (next) => {
      if (next) setCursors([...cursors, next])
    },
  }
}

/** The two buttons under a list: back to the start, and the next page when there is one. */
export function Pager(props: {
  pages: Pages
  nextCursor: string | null | undefined
  startLabel: string
  nextLabel: string
}) {
  return (
    <div class="pager">
      <button type="button" disabled={props.pages.atStart} onClick={props.pages.restart}>
        {props.startLabel}
      </button>
      <button
        type="button"
        disabled={!props.nextCursor}
        onClick={() => props.pages.advance(props.nextCursor)}
      >
        {props.nextLabel}
      </button>
    </div>
  )
}

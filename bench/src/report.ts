export interface Row {
  scenario: string
  requestsPerSecond: number
  p50Ms: number | undefined
  p99Ms: number | undefined
  errors: number
  baseline: number
  baselineName: string
  ratio: number
  /** The ratio the target asks for. */
  target: number
  note: string
  /** A condition besides the ratio failed (p99, event loop). */
  forcedMiss?: boolean
}

export interface ReportInput {
  date: string
  dialect: string
  seconds: number
  smoke: boolean
  machine: string
  rows: Row[]
  rssMb: { auth: number | undefined; users: number | undefined }
  coldStartMs: { auth: number; users: number }
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits)

export function met(row: Row): boolean {
  return row.ratio >= row.target && !row.forcedMiss && row.errors === 0
}

/** The table, the JSON, and a bar chart of each ratio against its target. */
export function renderReport(input: ReportInput) {
  const lines = [
    `## ${input.date.slice(0, 10)} — ${input.dialect}${input.smoke ? ' (smoke: not a measurement)' : ''}`,
    '',
    `Machine: ${input.machine}. ${input.seconds} s per scenario, load generator pinned to the other core.`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | errors | baseline | ratio | target | met | notes |',
    '|---|---:|---:|---:|---:|---|---:|---:|---|---|',
    ...input.rows.map(
      (r) =>
        `| ${r.scenario} | ${fmt(r.requestsPerSecond)} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)} | ${r.errors} | ${r.baselineName}: ${r.scenario === 'revocation delay' ? `${fmt(r.baseline)} ms` : `${fmt(r.baseline)}/s`} | ${fmt(r.ratio * 100)}% | ${fmt(r.target * 100)}% | ${met(r) ? 'yes' : '**no**'} | ${r.note} |`,
    ),
    '',
    `Peak RSS under load: auth-service ${fmt(input.rssMb.auth)} MB, users-service ${fmt(input.rssMb.users)} MB (target < 130 MB: ${
      (input.rssMb.auth ?? 999) < 130 && (input.rssMb.users ?? 999) < 130 ? 'met' : '**missed**'
    }).`,
    `Cold start to ready: auth-service ${fmt(input.coldStartMs.auth)} ms, users-service ${fmt(input.coldStartMs.users)} ms (target < 1500 ms: ${
      input.coldStartMs.auth < 1500 && input.coldStartMs.users < 1500 ? 'met' : '**missed**'
    }).`,
    '',
  ]
  const width = 640
  const barHeight = 22
  const height = input.rows.length * (barHeight + 10) + 40
  const scale = (ratio: number) => Math.min(1.5, ratio) * (width - 220)
  const bars = input.rows
    .map((r, i) => {
      const y = 30 + i * (barHeight + 10)
      return `<text x="8" y="${y + 15}" font-size="13">${r.scenario}</text>
<rect x="90" y="${y}" width="${scale(r.ratio).toFixed(1)}" height="${barHeight}" fill="${met(r) ? '#3a7' : '#c44'}"/>
<line x1="${(90 + scale(r.target)).toFixed(1)}" y1="${y - 3}" x2="${(90 + scale(r.target)).toFixed(1)}" y2="${y + barHeight + 3}" stroke="#000" stroke-width="2"/>
<text x="${(96 + scale(r.ratio)).toFixed(1)}" y="${y + 15}" font-size="12">${fmt(r.ratio * 100)}%</text>`
    })
    .join('\n')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" role="img">
<title>authpair bench: ratio to baseline per scenario against its target, ${input.dialect}, ${input.date.slice(0, 10)}</title>
<text x="8" y="18" font-size="14">Ratio to baseline (bar) against target (line), ${input.dialect}, ${input.date.slice(0, 10)}</text>
${bars}
</svg>
`
  return { markdown: lines.join('\n'), json: input, svg }
}

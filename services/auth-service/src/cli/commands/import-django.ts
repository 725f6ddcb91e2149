import { importDjangoUsers } from '../../django/django-import.js'
import { openDjangoSource } from '../../django/django-source.js'
import { CLI_ACTOR, type Command } from '../cli-context.js'

/** `import-django --from … [--dry-run]`: see django/django-import.ts and the README. */
export const importDjangoCommand: Command = {
  words: ['import-django'],
  positionals: { min: 0, max: 0 },
  options: {
    from: {
      type: 'string',
      value: 'postgres://… | sqlite file | dumpdata .json',
      required: true,
      description: 'the Django project’s database, or its dumpdata JSON',
    },
    'dry-run': { type: 'boolean', description: 'report what would change; write nothing' },
  },
  summary: 'bring a Django project’s users over; a re-run updates them',
  details: [
    'Prints `created N, updated N, skipped N, unchanged N`, then one line per skipped user',
    'with the reason and one per note (README: "Moving from Django").',
  ],
  async run(ctx) {
    const from = String(ctx.args.values.from)
    const dryRun = ctx.args.values['dry-run'] === true
    const source = openDjangoSource(from)
    const started = performance.now()
    let shown = started
    try {
      const report = await importDjangoUsers(source, {
        db: ctx.app.db,
        rules: ctx.app.accountRules,
        now: () => new Date(),
        dryRun,
        // A line every few seconds on a long import (stderr: stdout stays the summary).
        onProgress(seen, total) {
          const now = performance.now()
          if (now - shown < 2000 && seen < total) return
          if (now - started < 2000) return
          shown = now
          const rate = Math.round(seen / ((now - started) / 1000))
          console.error(`import-django: ${seen}/${total} users read (${rate}/s)`)
        },
      })
      const seconds = (performance.now() - started) / 1000
      if (dryRun) console.log('dry run: nothing was written; a real run would give')
      console.log(
        `created ${report.created}, updated ${report.updated}, skipped ${report.skipped.length}, unchanged ${report.unchanged}`,
      )
      for (const s of report.skipped) {
        console.log(`skipped Django user ${s.djangoId} (${s.username}): ${s.reason}`)
      }
      for (const n of report.notes) {
        console.log(`note: Django user ${n.djangoId} (${n.username}): ${n.note}`)
      }
      console.log(
        `${report.total} Django users from ${source.description} in ${seconds.toFixed(1)} s (${Math.round(report.total / Math.max(seconds, 0.001))}/s)`,
      )
      if (!dryRun) {
        await ctx.app.auditTrail.record('users_imported', {
          userId: null,
          actorId: CLI_ACTOR,
          client: ctx.client,
          data: {
            source: 'django',
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            skipped: report.skipped.length,
          },
        })
      }
    } finally {
      await source.close()
    }
  },
}

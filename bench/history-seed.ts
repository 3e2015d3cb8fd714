/**
 * Seeds a history of N jobs into a PostgreSQL schema of its own, generated inside the database
 * (INSERT ... SELECT over generate_series: no rows cross the wire), then the tags, events and
 * the hourly rollups derived from the jobs, and VACUUM ANALYZE.
 *
 * Shape, over the last 30 days: 20 functions; jobs older than an hour are terminal (90%
 * complete, 7% failed, 3% cancelled), the last hour also has queued, active and scheduled ones;
 * one job in ten sits in a tree of ten, and one tree has 10,000 jobs; a third carry a tenant tag;
 * a tenth have two events; one job has 2,000 log lines.
 */
import { type Kysely, sql } from "kysely";
import type { HistorySchema } from "../packages/server/src/store/schema.js";

export const HISTORY_DAYS = 30;
export const FUNCTION_COUNT = 20;
/** Jobs created within this window may still be queued, active or scheduled. */
export const RECENT_MS = 3_600_000;
export const BIG_TREE_SIZE = 10_000;
export const SAMPLE_LOG_LINES = 2_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface SeededHistory {
  readonly jobs: number;
  readonly start: number;
  readonly now: number;
  /** The root of the 10,000-job tree. */
  readonly bigTreeRoot: string;
  /** A job with SAMPLE_LOG_LINES log events. */
  readonly loggedJob: string;
  readonly seconds: Record<string, number>;
}

export function jobIdOf(index: number): string {
  return `j${String(index).padStart(10, "0")}`;
}

export function functionNameOf(index: number): string {
  return `fn.${String(index % FUNCTION_COUNT).padStart(2, "0")}`;
}

async function timed(
  seconds: Record<string, number>,
  step: string,
  run: () => Promise<unknown>,
): Promise<void> {
  const started = performance.now();
  await run();
  seconds[step] = Math.round((performance.now() - started) / 100) / 10;
}

export async function seedHistory(
  db: Kysely<HistorySchema>,
  jobs: number,
  now: number,
): Promise<SeededHistory> {
  const seconds: Record<string, number> = {};
  const start = now - HISTORY_DAYS * DAY_MS;
  const step = (HISTORY_DAYS * DAY_MS) / jobs;
  const recent = now - RECENT_MS;
  const bigFirst = Math.floor(jobs / 2) + 1;
  const bigLast = bigFirst + BIG_TREE_SIZE - 1;
  const id = (expression: ReturnType<typeof sql>) => sql`'j' || lpad((${expression})::text, 10, '0')`;

  await timed(seconds, "jobs", () =>
    sql`
      insert into jobs (id, function, kind, status, failure_reason, attempt, max_attempts, deliveries,
        priority, parent_id, reported_parent_id, root_id, input, result, error, error_message, tags,
        metadata, progress, worker_id, created_at, started_at, finished_at, queue_wait_ms, duration_ms,
        updated_at, state_phase, state_at)
      select ${id(sql`g.i`)}, 'fn.' || lpad((g.i % ${FUNCTION_COUNT})::text, 2, '0'),
        case when g.i % 50 = 0 then 'cron' else 'task' end,
        s.status,
        case s.status when 'failed' then 'exception' when 'cancelled' then 'cancelled' end,
        case when s.status in ('queued', 'scheduled') then 0 else 1 end, 3,
        case when s.status in ('queued', 'scheduled', 'cancelled') then 0 else 1 end,
        0, tree.parent, tree.parent, coalesce(tree.root, ${id(sql`g.i`)}),
        '{"n":' || g.i || '}',
        case when s.status = 'complete' then '{"ok":true}' end,
        case when s.status = 'failed' then json_build_object('name', 'Error',
          'message', 'upstream timed out after ' || (g.i % 97) || ' s',
          'stack', 'Error: upstream timed out' || chr(10) || '    at handler (task.ts:12:7)')::text end,
        case when s.status = 'failed' then 'upstream timed out after ' || (g.i % 97) || ' s' end,
        case when g.i % 3 = 0 then '{"tenant":"t' || (g.i % 100) || '"}' end,
        '{"source":"bench"}',
        case when s.status = 'complete' then 1 else 0 end,
        case when s.started then 'bench-w' || (g.i % 8) || '-0000000' || (g.i % 8) end,
        b.t,
        case when s.started then b.t + b.wait end,
        case when s.status in ('complete', 'failed') then b.t + b.wait + b.run
             when s.status = 'cancelled' then b.t + b.wait end,
        case when s.started then b.wait end,
        case when s.status in ('complete', 'failed') then b.run end,
        b.t + b.wait + b.run, 0, b.t + b.wait + b.run
      from generate_series(1, ${jobs}::int) as g(i)
      cross join lateral (
        select ${start}::bigint + floor(g.i * ${step}::float8)::bigint as t,
          (g.i::bigint * 7919) % 1000 as r, 20 + g.i % 200 as wait, 50 + (g.i * 31) % 2000 as run
      ) b
      cross join lateral (
        select case
          when b.t < ${recent}::bigint then
            case when b.r < 900 then 'complete' when b.r < 970 then 'failed' else 'cancelled' end
          else case when b.r < 400 then 'queued' when b.r < 500 then 'active' when b.r < 600 then 'scheduled'
            when b.r < 950 then 'complete' else 'failed' end
        end as status
      ) s0
      cross join lateral (select s0.status, s0.status in ('active', 'complete', 'failed') as started) s
      cross join lateral (
        select
          case when g.i between ${bigFirst}::int and ${bigLast}::int then ${id(sql`${bigFirst}::int`)}
               when ((g.i - 1) / 10) % 10 = 0 then ${id(sql`((g.i - 1) / 10) * 10 + 1`)} end as root,
          case when g.i > ${bigFirst}::int and g.i <= ${bigLast}::int then ${id(sql`${bigFirst}::int`)}
               when ((g.i - 1) / 10) % 10 = 0 and (g.i - 1) % 10 <> 0 then ${id(sql`((g.i - 1) / 10) * 10 + 1`)}
          end as parent
      ) tree
    `.execute(db),
  );

  await timed(seconds, "tags", () =>
    sql`
      insert into job_tags (job_id, key, value)
      select ${id(sql`g.i`)}, 'tenant', 't' || (g.i % 100)
      from generate_series(3, ${jobs}::int, 3) as g(i)
    `.execute(db),
  );

  const loggedIndex = Math.max(1, jobs - 100);
  await timed(seconds, "events", async () => {
    await sql`
      insert into job_events (id, job_id, type, attempt, at, data)
      select j.started_at || '-' || j.id, j.id, 'started', 1, j.started_at,
        '{"startedAt":' || j.started_at || ',"queueWaitMs":' || j.queue_wait_ms || ',"deliveries":1}'
      from jobs j where j.started_at is not null and j.created_at % 10 = 0
      union all
      select j.finished_at || '-' || j.id, j.id, 'completed', 1, j.finished_at,
        '{"result":{"ok":true},"durationMs":' || j.duration_ms || '}'
      from jobs j where j.status = 'complete' and j.created_at % 10 = 0
    `.execute(db);
    await sql`
      insert into job_events (id, job_id, type, attempt, at, data)
      select 'log-' || g.i, ${jobIdOf(loggedIndex)}, 'log', 1, ${now}::bigint - 100000 + g.i,
        '{"level":"info","message":"line ' || g.i || '"}'
      from generate_series(1, ${SAMPLE_LOG_LINES}::int) as g(i)
    `.execute(db);
  });

  await timed(seconds, "rollups", () =>
    sql`
      insert into job_rollups (bucket, function, outcome, count, duration_ms_total, queue_wait_ms_total)
      select created_at / ${HOUR_MS} * ${HOUR_MS}, function, 'submitted', count(*), 0, 0
        from jobs group by 1, 2
      union all
      select started_at / ${HOUR_MS} * ${HOUR_MS}, function, 'started', count(*), 0, sum(queue_wait_ms)
        from jobs where started_at is not null group by 1, 2
      union all
      select finished_at / ${HOUR_MS} * ${HOUR_MS}, function, status, count(*), coalesce(sum(duration_ms), 0), 0
        from jobs where status in ('complete', 'failed', 'cancelled') group by 1, 2, 3
    `.execute(db),
  );

  await timed(seconds, "vacuum analyze", () => sql`vacuum analyze`.execute(db));
  return { jobs, start, now, bigTreeRoot: jobIdOf(bigFirst), loggedJob: jobIdOf(loggedIndex), seconds };
}

/**
 * Dead letters: filter by function and reason, inspect an entry (error, stack, input), replay it
 * as a new job, and purge a function's entries (or all) after confirming the count the server
 * reports. Entries can be selected, and the selected or all matching replayed or purged at once.
 */
import { Link, getRouteApi } from "@tanstack/react-router";
import type { DeadLetter, FailureReason } from "@upnext/core";
import { type SyntheticEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { countPurge, usePurgeDeadLetters, useReplayDeadLetter } from "../../api/mutations.js";
import { useDeadLetters } from "../../api/queries.js";
import { Button } from "../../components/button.js";
import { BulkActionControl } from "../../components/bulk/bulk-action-control.js";
import { type Selection, useSelection } from "../../components/bulk/use-selection.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { ErrorView } from "../../components/error-boundary.js";
import { JsonView } from "../../components/json-view.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { TimeText } from "../../components/time-text.js";
import { type DeadLetterSearch, FAILURE_REASON_VALUES } from "./dead-letters-search.js";

const route = getRouteApi("/dead-letters");
const INPUT = "rounded-md border border-line bg-panel px-2 py-1.5 text-sm text-fg";

function Entry({ entry, selection }: { readonly entry: DeadLetter; readonly selection: Selection }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const replay = useReplayDeadLetter();
  return (
    <li className="px-4 py-3">
      <div className="flex flex-wrap items-center gap-3">
        <input
          type="checkbox"
          checked={selection.has(entry.jobId)}
          aria-label={t("bulk.selectRow", { id: entry.jobId })}
          onChange={() => {
            selection.toggle(entry.jobId);
          }}
        />
        <Link
          to="/jobs/$jobId"
          params={{ jobId: entry.jobId }}
          className="font-mono text-xs text-accent-text hover:underline"
        >
          {entry.jobId}
        </Link>
        <Link
          to="/functions/$name"
          params={{ name: entry.function }}
          className="font-medium text-fg hover:underline"
        >
          {entry.function}
        </Link>
        <span className="rounded bg-danger-soft px-1.5 py-0.5 text-xs text-danger">{entry.reason}</span>
        <span className="text-xs text-muted">
          {t("deadLetters.attempts")}: {entry.attempts}/{entry.maxAttempts} ·{" "}
          <TimeText iso={entry.failedAt} />
        </span>
        {entry.replayedAs === null ? null : (
          <Link
            to="/jobs/$jobId"
            params={{ jobId: entry.replayedAs }}
            className="text-xs text-accent-text hover:underline"
          >
            → {entry.replayedAs}
          </Link>
        )}
        <span className="ml-auto flex gap-2">
          <Button
            aria-expanded={open}
            onClick={() => {
              setOpen(!open);
            }}
          >
            {t("deadLetters.inspect")}
          </Button>
          <Button
            tone="primary"
            disabled={replay.isPending}
            onClick={() => {
              replay.mutate({ jobId: entry.jobId, force: entry.replays > 0 });
            }}
          >
            {t("deadLetters.replay")}
          </Button>
        </span>
      </div>
      {entry.error === null ? null : (
        <p className="mt-1 truncate font-mono text-xs text-danger">
          {entry.error.name}: {entry.error.message}
        </p>
      )}
      {open ? (
        <div className="mt-2 grid grid-cols-1 gap-3 lg:grid-cols-2">
          <div>
            <h3 className="mb-1 text-xs text-muted">{t("job.stack")}</h3>
            <JsonView value={entry.error?.stack ?? entry.error?.message ?? null} />
          </div>
          <div>
            <h3 className="mb-1 text-xs text-muted">{t("job.input")}</h3>
            <JsonView value={entry.input} />
          </div>
        </div>
      ) : null}
    </li>
  );
}

function DeadLetterList({
  search,
  selection,
}: {
  readonly search: DeadLetterSearch;
  readonly selection: Selection;
}) {
  const { t } = useTranslation();
  const query = useDeadLetters(search.function, search.reason);
  const entries = query.data.pages.flatMap((page) => page.items);
  if (entries.length === 0) return <p className="p-4 text-sm text-muted">{t("deadLetters.empty")}</p>;
  return (
    <div>
      <ul className="divide-y divide-line" aria-label={t("deadLetters.table")}>
        {entries.map((entry) => (
          <Entry key={entry.jobId} entry={entry} selection={selection} />
        ))}
      </ul>
      {query.hasNextPage ? (
        <div className="p-3">
          <Button onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage ? t("common.loadingMore") : t("common.loadMore")}
          </Button>
        </div>
      ) : null}
    </div>
  );
}

function PurgeButton({ fn }: { readonly fn: string | undefined }) {
  const { t } = useTranslation();
  const purge = usePurgeDeadLetters();
  const [count, setCount] = useState<number | undefined>();
  const [error, setError] = useState<unknown>();
  const scope = fn === undefined ? { all: true as const } : { function: fn };
  return (
    <>
      <Button
        tone="danger"
        onClick={() => {
          setError(undefined);
          countPurge(scope).then(setCount, setError);
        }}
      >
        {t("deadLetters.purge")}
      </Button>
      {error === undefined ? null : <ErrorView compact error={error} />}
      <ConfirmDialog
        open={count !== undefined}
        title={t("deadLetters.purgeTitle")}
        confirmLabel={t("deadLetters.purge")}
        busy={purge.isPending}
        onCancel={() => {
          setCount(undefined);
        }}
        onConfirm={() => {
          if (count !== undefined) purge.mutate({ scope, confirm: count });
          setCount(undefined);
        }}
      >
        <p>{t("deadLetters.purgeConfirm", { scope: fn ?? t("deadLetters.purgeAll") })}</p>
        <p className="mt-2 font-semibold">
          {t("deadLetters.purged", { count: count ?? 0 }).replace(/\.$/, "?")}
        </p>
      </ConfirmDialog>
    </>
  );
}

export function DeadLettersPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [fn, setFn] = useState(search.function ?? "");
  const [reason, setReason] = useState<string>(search.reason ?? "");
  const selection = useSelection(JSON.stringify(search));
  const filter = {
    ...(search.function === undefined ? {} : { function: search.function }),
    ...(search.reason === undefined ? {} : { reason: search.reason }),
  };
  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    void navigate({
      search: {
        ...(fn.trim() === "" ? {} : { function: fn.trim() }),
        ...(reason === "" ? {} : { reason: reason as FailureReason }),
      },
    });
  };
  return (
    <>
      <PageHeader title={t("deadLetters.title")} actions={<PurgeButton fn={search.function} />} />
      <form onSubmit={apply} aria-label={t("jobs.filters")} className="mb-3 flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1 text-xs text-muted">
          {t("deadLetters.function")}
          <input
            value={fn}
            onChange={(event) => {
              setFn(event.target.value);
            }}
            className={INPUT}
          />
        </label>
        <label className="flex flex-col gap-1 text-xs text-muted">
          {t("deadLetters.reason")}
          <select
            value={reason}
            onChange={(event) => {
              setReason(event.target.value);
            }}
            className={INPUT}
          >
            <option value="">{t("common.all")}</option>
            {FAILURE_REASON_VALUES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <Button type="submit" tone="primary">
          {t("common.apply")}
        </Button>
      </form>
      <section aria-label={t("bulk.title")} className="mb-3 flex flex-wrap items-start gap-4">
        <BulkActionControl
          path="/dead-letters/bulk/replay"
          label={t("bulk.replay")}
          idsField="jobIds"
          selectedIds={selection.ids}
          filter={filter}
          onFinished={selection.clear}
        />
        <BulkActionControl
          path="/dead-letters/bulk/purge"
          label={t("bulk.purge")}
          idsField="jobIds"
          selectedIds={selection.ids}
          filter={filter}
          danger
          onFinished={selection.clear}
        />
      </section>
      <Panel title={t("deadLetters.title")} bodyClassName="" resetKeys={[search.function, search.reason]}>
        <DeadLetterList search={search} selection={selection} />
      </Panel>
    </>
  );
}

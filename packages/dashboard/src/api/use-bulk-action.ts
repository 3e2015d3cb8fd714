/**
 * One bulk action from the dashboard (docs/dashboard.md, "Bulk actions"): for "all matching" the
 * server is asked for the count first (a call without `confirm` answers 400 with
 * `details.matching`), the user confirms that number, then the one request runs while its
 * progress is polled under an operation id; the result is kept to be summarised.
 */
import { useQueryClient } from "@tanstack/react-query";
import type { BulkActionResult } from "@upnext/core";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiRequestError } from "./api-error.js";
import { type BulkPath, api } from "./endpoints.js";
import { queryKeys } from "./query-keys.js";

const PROGRESS_POLL_MS = 500;

export type BulkState =
  | { readonly phase: "idle" }
  | { readonly phase: "counting" }
  | { readonly phase: "confirming"; readonly matching: number }
  | { readonly phase: "running"; readonly done: number; readonly total: number }
  | { readonly phase: "done"; readonly result: BulkActionResult }
  | { readonly phase: "failed"; readonly error: unknown };

function matchingOf(error: unknown): number | undefined {
  if (!(error instanceof ApiRequestError) || error.status !== 400) return undefined;
  const details = error.details as { field?: unknown; matching?: unknown } | undefined;
  return details?.field === "confirm" && typeof details.matching === "number" ? details.matching : undefined;
}

function newOperationId(): string {
  return `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function useBulkAction(path: BulkPath) {
  const client = useQueryClient();
  const [state, setState] = useState<BulkState>({ phase: "idle" });
  const pending = useRef<Record<string, unknown> | undefined>(undefined);
  const poll = useRef<ReturnType<typeof setInterval> | undefined>(undefined);
  useEffect(
    () => () => {
      clearInterval(poll.current);
    },
    [],
  );

  const run = useCallback(
    async (body: Record<string, unknown>, total: number) => {
      const operationId = newOperationId();
      setState({ phase: "running", done: 0, total });
      poll.current = setInterval(() => {
        api.bulkProgress(operationId).then(
          (progress) => {
            setState((current) =>
              current.phase === "running"
                ? { phase: "running", done: progress.done, total: progress.total }
                : current,
            );
          },
          () => undefined,
        );
      }, PROGRESS_POLL_MS);
      try {
        const result = await api.bulk(path, { ...body, operationId });
        setState({ phase: "done", result });
      } catch (error) {
        setState({ phase: "failed", error });
      } finally {
        clearInterval(poll.current);
        void client.invalidateQueries({ queryKey: queryKeys.jobs.all });
        void client.invalidateQueries({ queryKey: queryKeys.deadLetters.all });
      }
    },
    [client, path],
  );

  /** Acts on the named ids at once (they were picked one by one: no count to confirm). */
  const runIds = useCallback(
    (field: "ids" | "jobIds", ids: readonly string[], extra: Record<string, unknown> = {}) =>
      run({ [field]: ids, ...extra }, ids.length),
    [run],
  );

  /** Asks for the count of everything matching; the user then confirms or cancels. */
  const countMatching = useCallback(
    async (filter: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      setState({ phase: "counting" });
      pending.current = { filter, ...extra };
      try {
        // Without `confirm` the server only counts.
        await api.bulk(path, { filter, ...extra });
        setState({ phase: "failed", error: new Error("The server acted without a confirmed count.") });
      } catch (error) {
        const matching = matchingOf(error);
        setState(matching === undefined ? { phase: "failed", error } : { phase: "confirming", matching });
      }
    },
    [path],
  );

  const confirm = useCallback(() => {
    if (state.phase !== "confirming" || pending.current === undefined) return;
    void run({ ...pending.current, confirm: state.matching }, state.matching);
  }, [run, state]);

  const reset = useCallback(() => {
    pending.current = undefined;
    setState({ phase: "idle" });
  }, []);

  return { state, runIds, countMatching, confirm, reset };
}

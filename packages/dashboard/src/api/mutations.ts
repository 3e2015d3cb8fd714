/**
 * The operator actions. Each reports its outcome once (a toast in the UI's language, with the
 * server's own message on failure) and refreshes what it changed; the live stream then carries
 * the job's new state to every open view.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { showToast } from "../components/toast-store.js";
import { ApiRequestError, NetworkError } from "./api-error.js";
import { api } from "./endpoints.js";
import { queryKeys } from "./query-keys.js";

function useFailureToast(): (error: unknown) => void {
  const { t } = useTranslation();
  return (error) => {
    const message =
      error instanceof ApiRequestError
        ? error.message
        : error instanceof NetworkError
          ? t("errors.network")
          : t("errors.unknown");
    showToast("error", message);
  };
}

export function useCancelJob() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const onError = useFailureToast();
  return useMutation({
    mutationFn: (jobId: string) => api.cancelJob(jobId),
    onSuccess: (_result, jobId) => {
      showToast("success", t("job.cancelled", { id: jobId }));
      void client.invalidateQueries({ queryKey: queryKeys.jobs.detail(jobId) });
    },
    onError,
  });
}

export function useRetryJob() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const onError = useFailureToast();
  return useMutation({
    mutationFn: (jobId: string) => api.retryJob(jobId),
    onSuccess: (result) => {
      showToast("success", t("job.retried", { id: result.replayOf }), {
        label: t("job.openRetry"),
        href: `/jobs/${encodeURIComponent(result.job.id)}`,
      });
      void client.invalidateQueries({ queryKey: queryKeys.jobs.lists });
    },
    onError,
  });
}

export function useSetFunctionPaused() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const onError = useFailureToast();
  return useMutation({
    mutationFn: ({ name, paused }: { name: string; paused: boolean }) => api.setFunctionPaused(name, paused),
    onSuccess: (state) => {
      showToast(
        "success",
        state.paused
          ? t("functions.pausedToast", { name: state.name })
          : t("functions.resumedToast", { name: state.name }),
      );
      void client.invalidateQueries({ queryKey: queryKeys.functions.all });
      void client.invalidateQueries({ queryKey: queryKeys.queues.all });
    },
    onError,
  });
}

export function useScheduleAction() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const onError = useFailureToast();
  return useMutation({
    mutationFn: async ({
      name,
      action,
    }: {
      name: string;
      action: "pause" | "resume" | "trigger" | "remove";
    }) => {
      if (action === "trigger") return { name, action, jobId: (await api.triggerSchedule(name)).job.id };
      if (action === "remove") await api.removeSchedule(name);
      else await api.setSchedulePaused(name, action === "pause");
      return { name, action, jobId: undefined };
    },
    onSuccess: ({ name, action, jobId }) => {
      if (action === "trigger") {
        showToast("success", t("schedules.triggered", { name }), {
          label: t("job.openRetry"),
          href: `/jobs/${encodeURIComponent(jobId)}`,
        });
      } else if (action === "remove") {
        showToast("success", t("schedules.removed", { name }));
      }
      void client.invalidateQueries({ queryKey: queryKeys.schedules.all });
    },
    onError,
  });
}

export function useReplayDeadLetter() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const onError = useFailureToast();
  return useMutation({
    mutationFn: ({ jobId, force }: { jobId: string; force: boolean }) => api.replayDeadLetter(jobId, force),
    onSuccess: (result) => {
      showToast("success", t("deadLetters.replayed", { id: result.job.id }), {
        label: t("job.openRetry"),
        href: `/jobs/${encodeURIComponent(result.job.id)}`,
      });
      void client.invalidateQueries({ queryKey: queryKeys.deadLetters.all });
    },
    onError,
  });
}

/** How many entries a purge would delete: the server answers 400 with details.matching. */
export async function countPurge(scope: { function?: string; all?: true }): Promise<number> {
  try {
    await api.purgeDeadLetters(scope);
    return 0;
  } catch (error) {
    const details: unknown = error instanceof ApiRequestError ? error.details : undefined;
    const matching =
      typeof details === "object" && details !== null
        ? (details as { matching?: unknown }).matching
        : undefined;
    if (typeof matching === "number") return matching;
    throw error;
  }
}

export function usePurgeDeadLetters() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const onError = useFailureToast();
  return useMutation({
    mutationFn: ({ scope, confirm }: { scope: { function?: string; all?: true }; confirm: number }) =>
      api.purgeDeadLetters(scope, confirm),
    onSuccess: (result) => {
      showToast("success", t("deadLetters.purged", { count: result.purged }));
      void client.invalidateQueries({ queryKey: queryKeys.deadLetters.all });
    },
    onError,
  });
}

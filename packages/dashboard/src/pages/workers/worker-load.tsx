/**
 * A worker's busy slots as "active/concurrency": the one way the workers list and a worker's page
 * show it, so the two never disagree (a percentage on one and a count on the other did).
 */
import type { WorkerSummary } from "@upnext/core";
import { useFormatters } from "../../i18n/use-formatters.js";

export function WorkerLoad({ worker }: { readonly worker: Pick<WorkerSummary, "active" | "concurrency"> }) {
  const format = useFormatters();
  return (
    <span className="font-mono tabular-nums">
      {format.number(worker.active)}/{format.number(worker.concurrency)}
    </span>
  );
}

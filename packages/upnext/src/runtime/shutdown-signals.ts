/**
 * SIGINT/SIGTERM handling shared by every worker of a process: the first signal starts a
 * graceful stop (nothing is lost: prefetched jobs are handed back at once, in-flight jobs get
 * the shutdown timeout); a second signal exits at once (leases then expire and the queue
 * re-delivers what was running).
 */
type Stopper = () => Promise<void>;

const stoppers = new Set<Stopper>();
let installed = false;
let stopping = false;

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    process.stderr.write(`upnext: second ${signal}, exiting now; unfinished jobs will be re-delivered\n`);
    process.exit(1);
  }
  stopping = true;
  process.stderr.write(`upnext: ${signal} received, stopping gracefully (send again to force)\n`);
  void Promise.allSettled([...stoppers].map((stop) => stop())).then((results) => {
    const failed = results.some((result) => result.status === "rejected");
    process.exit(failed ? 1 : 0);
  });
}

/** Registers a graceful stop to run on SIGINT/SIGTERM; returns an unregister function. */
export function stopOnSignals(stop: Stopper): () => void {
  if (!installed) {
    installed = true;
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

/**
 * Never an orphan: while a process pool is alive, SIGINT, SIGTERM and SIGHUP to the parent kill
 * its workers, and wait for them, before the parent goes. A parent whose event loop runs dry
 * without `shutdown()` closes its pools on `beforeExit`. `exit` (`process.exit()`, where nothing
 * can be awaited) kills any worker left and removes the pools' files. Workers ignore SIGINT (the
 * parent owns it) and exit when their IPC channel closes, which covers a parent killed by SIGKILL.
 *
 * With no other listener for the signal, the pool raises it again after the clean-up, so the
 * process ends as it would have without a pool; with one (a CLI that exits with 130, say), that
 * listener decides.
 * @module
 */
import type { InterruptSignal } from "../errors.js";

/** What the registry needs from a live process pool. */
export interface PoolResources {
  /**
   * Kills every worker now (a call in progress rejects naming `signal`); resolves when all have
   * exited. The kills are sent synchronously, which is all `process.on("exit")` can wait for.
   */
  killNow(reason: string, signal?: InterruptSignal): Promise<void>;
  /** Removes the pool's files, synchronously. */
  removeFilesSync(): void;
  /** Shuts the pool down: idle workers exit, and it resolves once every one has. */
  close(): Promise<void>;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const pools = new Set<PoolResources>();
/** How long a signal waits for workers to exit before the parent goes anyway. */
const SIGNAL_GRACE_MS = 3000;

function onExit(): void {
  for (const pool of pools) {
    void pool.killNow("the parent exited");
    pool.removeFilesSync();
  }
}

/**
 * The loop ran dry: nothing can call the pools again, so close them and let the workers' exits
 * keep the parent alive until they are reaped. A SIGKILL sent from `exit` would only be
 * delivered once the parent is gone, leaving live orphans for a moment.
 */
function onBeforeExit(): void {
  for (const pool of pools) void pool.close();
}

function onSignal(signal: InterruptSignal): void {
  const live = [...pools];
  // Decided now: the clean-up below unregisters the pools, which removes this listener.
  const alone = process.listenerCount(signal) === 1;
  let timer: NodeJS.Timeout | undefined;
  // Ref'd on purpose: it keeps the parent alive until its workers are reaped and the signal is
  // raised again, even once nothing else is left to do.
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SIGNAL_GRACE_MS)));
  const exits = Promise.all(
    live.map((p) => p.killNow(`${signal} received: workers were stopped`, signal)),
  );
  void Promise.race([exits, grace]).then(() => {
    clearTimeout(timer);
    for (const pool of live) pool.removeFilesSync();
    if (alone) {
      listen(false);
      process.kill(process.pid, signal);
    }
  });
}

let listening = false;

function listen(on: boolean): void {
  if (listening === on) return;
  listening = on;
  const method = on ? "on" : "off";
  for (const signal of SIGNALS) process[method](signal, onSignal);
  process[method]("beforeExit", onBeforeExit);
  process[method]("exit", onExit);
}

/** Registers a live pool; the handlers are installed with the first one. */
export function registerProcessPool(pool: PoolResources): void {
  pools.add(pool);
  listen(true);
}

/** Unregisters a pool; the handlers are removed with the last one. */
export function unregisterProcessPool(pool: PoolResources): void {
  pools.delete(pool);
  if (pools.size === 0) listen(false);
}

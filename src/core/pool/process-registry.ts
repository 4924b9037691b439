/**
 * Never an orphan: while a process pool is alive, SIGINT, SIGTERM and SIGHUP to the parent kill its
 * workers (and wait for them) before the parent goes. A parent whose event loop runs dry without
 * `shutdown()` shuts its pools down on `beforeExit`, waiting for the workers' exits, so that they
 * are gone (and reaped) before it is. The parent's `exit` (reached by `process.exit()`, where
 * nothing can be awaited) kills any worker left and removes the pool's shared-memory files.
 * Workers ignore SIGINT (the parent owns it) and exit when their IPC channel closes, which covers
 * a parent killed by SIGKILL.
 *
 * When the parent has no other listener for the signal, the signal is raised again after the
 * clean-up, so the process ends the way it would have without a pool. When it has its own
 * listener (a CLI that exits with 130, say), that listener decides; the pool only cleans up.
 *
 * @module
 */
import type { InterruptSignal } from "../errors.js";

/** What the registry needs from a live process pool. */
export interface ProcessPoolResources {
  /** Kills every worker now (a call in progress rejects naming `signal`); resolves when all exited. */
  killNow(reason: string, signal: InterruptSignal): Promise<void>;
  /** Sends SIGKILL to every live worker, synchronously (for `process.on("exit")`). */
  killSync(): void;
  /** Removes the pool's files, synchronously. */
  removeFilesSync(): void;
  /** Shuts the pool down: idle workers exit, and it resolves once every one has. */
  close(): Promise<void>;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const pools = new Set<ProcessPoolResources>();
let installed = false;

/** How long a signal waits for workers to exit before the parent goes anyway. */
const SIGNAL_GRACE_MS = 3000;

function onExit(): void {
  for (const pool of pools) {
    pool.killSync();
    pool.removeFilesSync();
  }
}

/**
 * The loop ran dry: nothing can call the pools again, so close them now. A SIGKILL sent from
 * `exit` would only be delivered once the parent is gone, leaving live orphans for a moment.
 */
function onBeforeExit(): void {
  for (const pool of pools) void pool.close();
}

function onSignal(signal: InterruptSignal): void {
  const live = [...pools];
  // Decided now: the clean-up below unregisters the pools, which removes this listener.
  const alone = process.listenerCount(signal) === 1;
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    // Ref'd on purpose: it keeps the parent alive until its workers are reaped and the signal
    // is raised again, even once nothing else is left to do.
    timer = setTimeout(resolve, SIGNAL_GRACE_MS);
  });
  const exits = Promise.all(
    live.map((pool) => pool.killNow(`${signal} received: workers were stopped`, signal)),
  );
  void Promise.race([exits, grace]).then(() => {
    clearTimeout(timer);
    for (const pool of live) pool.removeFilesSync();
    if (alone) {
      uninstall();
      process.kill(process.pid, signal);
    }
  });
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on("beforeExit", onBeforeExit);
  process.on("exit", onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const signal of SIGNALS) process.off(signal, onSignal);
  process.off("beforeExit", onBeforeExit);
  process.off("exit", onExit);
}

/** Registers a live pool; the handlers are installed with the first one. */
export function registerProcessPool(pool: ProcessPoolResources): void {
  pools.add(pool);
  install();
}

/** Unregisters a pool; the handlers are removed with the last one. */
export function unregisterProcessPool(pool: ProcessPoolResources): void {
  pools.delete(pool);
  if (pools.size === 0) uninstall();
}

/**
 * The line a run prints when a pool reports a stalled job: a hung worker (SIGSTOP, a deadlock)
 * would otherwise block its round with no sign at all.
 * @module
 */
import type { StallInfo } from "../core/pool/trainer-options.js";

/** Two significant digits, as a plain number: 2.1, 0.013, 120. */
function short(seconds: number): string {
  return seconds >= 10 ? String(Math.round(seconds)) : String(Number(seconds.toPrecision(2)));
}

/**
 * The stderr line for one stalled job, naming where it runs and what to do about it, e.g.
 * `blazefl: round 3: client 17 has been training for 63 s (median 2.1 s) on worker pid 4242; it
 * may be hung (--client-timeout SECONDS treats it as dead)`.
 * @param info - What the pool reported.
 * @param at - The round in progress (0: the warm-up before round 1), and whether the job is an
 *   evaluation shard rather than a client.
 * @param clientTimeout - The run's `--client-timeout`, if set.
 */
export function stallNotice(
  info: StallInfo,
  at: { readonly round: number; readonly evaluating: boolean },
  clientTimeout: number | undefined,
): string {
  const what =
    at.round === 0
      ? `warm-up: job ${info.cid} has been running`
      : at.evaluating
        ? `round ${at.round}: evaluation shard ${info.cid} has been running`
        : `round ${at.round}: client ${info.cid} has been training`;
  const worker = info.threadId !== 0 ? `thread ${info.threadId}` : `pid ${info.pid}`;
  const advice =
    clientTimeout === undefined
      ? "--client-timeout SECONDS treats it as dead"
      : `--client-timeout ${clientTimeout} treats it as dead after ${clientTimeout} s`;
  return `blazefl: ${what} for ${short(info.runningSeconds)} s (median ${short(info.medianSeconds)} s) on worker ${worker}; it may be hung (${advice})`;
}

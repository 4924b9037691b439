/**
 * Progress bars on stderr for long work: one bar for rounds and one for the clients of the
 * current round. They stay quiet when stderr is not a TTY (CI logs, pipes) or when asked to.
 * @module
 */
import cliProgress from "cli-progress";

/** The two bars of a run. */
export interface RunProgress {
  /** Starts a round with `clients` clients. */
  startRound(round: number, clients: number): void;
  /** Marks `n` more clients of the current round done. */
  clientsDone(n: number): void;
  /** Marks the current round done. */
  roundDone(summary: string): void;
  /** Prints a line above the bars (or plainly when there are none). */
  log(line: string): void;
  /** Removes the bars. Idempotent. */
  stop(): void;
}

/**
 * Creates the bars for `totalRounds` rounds, starting after `startRound` rounds.
 * @param enabled - Draw bars (only if stderr is a TTY too).
 */
export function createRunProgress(
  totalRounds: number,
  startRound: number,
  enabled: boolean,
): RunProgress {
  const tty = enabled && process.stderr.isTTY === true;
  if (!tty) {
    return {
      startRound() {},
      clientsDone() {},
      roundDone() {},
      log(line) {
        if (enabled) process.stderr.write(`${line}\n`);
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      clearOnComplete: true,
      hideCursor: true,
      format: " {label} [{bar}] {value}/{total} {info}",
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const rounds = multi.create(totalRounds, startRound, { label: "rounds ", info: "" });
  let clients: cliProgress.SingleBar | undefined;
  let stopped = false;
  return {
    startRound(round, n) {
      clients?.stop();
      if (clients) multi.remove(clients);
      clients = multi.create(n, 0, { label: "clients", info: `round ${round}` });
    },
    clientsDone(n) {
      clients?.increment(n);
    },
    roundDone(summary) {
      rounds.increment(1, { info: summary });
    },
    log(line) {
      multi.log(`${line}\n`);
      // Render now: a line logged just before stop() would otherwise never be drawn.
      multi.update();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multi.stop();
    },
  };
}

/**
 * {@link RunExtension}: the seam through which a run adds behaviour around any algorithm without
 * the loop knowing what it is: it may wrap the algorithm's server part (its checkpoint state
 * with it), send per-client job settings to the workers, stop the run before a round, and add
 * entries to `config.json` and the summary. `runExperiment` calls each hook at one place.
 * @module
 */
import type { ServerPart } from "./algorithm.js";
import type { ClientExtensionSettings } from "./client-update-filter.js";
import type { JsonValue } from "./server-optimizer.js";

/** What an extension adds to a run's summary. */
export interface ExtensionSummary {
  /** Why the run stopped before `--rounds` (e.g. its privacy budget), when it did. */
  readonly stoppedEarly?: string;
  /** ε spent at `delta` (DP runs). */
  readonly epsilon?: number;
  /** The δ of `epsilon`. */
  readonly delta?: number;
  /** Set when the results cannot be reproduced from the seed, and why (cryptographic noise). */
  readonly notReproducible?: string;
}

/** The hooks; see the module's documentation. */
export interface RunExtension {
  /** The server part the run drives: `server` wrapped, or `server` itself. */
  wrapServer(server: ServerPart): ServerPart;
  /** Client `cid`'s settings for `round` (sent with its job), or `undefined`. */
  clientSettings(cid: number, round: number): ClientExtensionSettings | undefined;
  /** Why the run must stop before training `round` (0-based), or `undefined` to go on. */
  stopBefore(round: number): string | undefined;
  /** Entries for `config.json` (e.g. the malicious clients). */
  readonly config: Readonly<Record<string, JsonValue>>;
  /** Entries for the summary, at the end of the run. */
  summary(): ExtensionSummary;
}

/** The extension of a run that asks for nothing. */
export const NO_EXTENSION: RunExtension = Object.freeze({
  wrapServer: (server: ServerPart) => server,
  clientSettings: () => undefined,
  stopBefore: () => undefined,
  config: {},
  summary: () => ({}),
});

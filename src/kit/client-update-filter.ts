/**
 * The worker side of attacks and DP: what a client does besides its algorithm's client part,
 * set per client and round by the run ({@link ClientExtensionSettings}, sent with the job).
 * A label-flip attacker trains on flipped labels; with client-side clipping or local DP the
 * client clips its update Δ = x_k − x_t to C, and with local DP adds N(0, std²) to it, before
 * the model leaves the worker. The noise comes from the client's own seeded stream (a pure
 * function of seed, cid and round, so any worker gives the same bits) or from `node:crypto`.
 * @module
 */
import { flipLabels } from "../contrib/attacks/label-flip.js";
import { addGaussianNoise, cryptoNormalSource } from "../contrib/privacy/gaussian-noise.js";
import { clipToNorm } from "../contrib/privacy/l2-clipping.js";
import type { Batch } from "../core/partitioned-dataset.js";
import { clientStream } from "../reproducibility/client-stream.js";

/** The client stream local-DP noise is drawn from (apart from the batch-order streams). */
export const CLIENT_DP_STREAM = 0x4450; // "DP"

/** Per-client job settings of a run's robustness and privacy extension (JSON data). */
export interface ClientExtensionSettings {
  /** This client is a label-flip attacker: it trains on y → C − 1 − y. */
  readonly labelFlip?: boolean;
  /** Clip the update x_k − x_t to this L2 norm before sending x_t + clipped update. */
  readonly clip?: number;
  /** Add N(0, noiseStd²) per coordinate to the clipped update (local DP). */
  readonly noiseStd?: number;
  /** Where the noise comes from. @default "seeded" */
  readonly noise?: "seeded" | "crypto";
}

/** `batches` with flipped labels when the settings say so, as they are otherwise. */
export function attackedBatches(
  settings: ClientExtensionSettings | undefined,
  batches: Iterable<Batch>,
  numClasses: number,
): Iterable<Batch> {
  if (settings?.labelFlip !== true) return batches;
  return (function* () {
    for (const batch of batches) yield { ...batch, y: flipLabels(batch.y, numClasses) };
  })();
}

/** What {@link filterClientModel} did, for the client's metrics. */
export interface ClientFilterResult {
  /** Whether the update was already within the clip (1) or was scaled down (0); absent without clipping. */
  readonly withinClip?: number;
}

/**
 * Clips (and noises) the client's model in place: `model` ← `global` + noise(clip(model − global)).
 * Does nothing without a clip.
 * @param seed - The run's seed, for the seeded noise stream.
 */
export function filterClientModel(
  settings: ClientExtensionSettings | undefined,
  model: Float32Array,
  global: Float32Array,
  at: { readonly seed: number; readonly cid: number; readonly round: number },
): ClientFilterResult {
  if (settings?.clip === undefined) return {};
  const delta = new Float32Array(model.length);
  for (let i = 0; i < delta.length; i++) delta[i] = (model[i] as number) - (global[i] as number);
  const clipped = clipToNorm(delta, settings.clip);
  const std = settings.noiseStd ?? 0;
  const sent =
    std > 0
      ? addGaussianNoise(
          clipped.update,
          std,
          settings.noise === "crypto"
            ? cryptoNormalSource()
            : clientStream(at.seed, at.cid, at.round, CLIENT_DP_STREAM),
        )
      : clipped.update;
  for (let i = 0; i < model.length; i++) model[i] = (global[i] as number) + (sent[i] as number);
  return { withinClip: clipped.withinClip ? 1 : 0 };
}

/**
 * Reading a server optimizer's checkpointed state back, checked: a checkpoint from another
 * algorithm or another model must fail loudly at resume, not train on with wrong moments.
 * @module
 */
import { CheckpointError } from "../../kit/errors.js";
import type { OptimizerState } from "../../kit/server-optimizer.js";

/**
 * The number of steps recorded in `state.json` (`{ steps }`), and each named vector, copied.
 * Vectors are all present (a run that has stepped) or all absent (a fresh optimizer, steps 0),
 * and of one length.
 * @throws CheckpointError when the state does not have that shape.
 */
export function readOptimizerState<const N extends string>(
  state: OptimizerState,
  names: readonly N[],
): { readonly steps: number; readonly vectors: Record<N, Float32Array> | undefined } {
  const json = state.json;
  const steps =
    json !== null && typeof json === "object" && !Array.isArray(json)
      ? (json as { readonly steps?: unknown }).steps
      : undefined;
  if (typeof steps !== "number" || !Number.isSafeInteger(steps) || steps < 0)
    throw new CheckpointError(
      `server optimizer state: expected json.steps to be a non-negative integer, got ${JSON.stringify(json)}`,
    );
  const present = names.filter((name) => state.vectors[name] !== undefined);
  if (present.length === 0 && steps === 0) return { steps, vectors: undefined };
  if (present.length !== names.length || steps === 0)
    throw new CheckpointError(
      `server optimizer state: expected vectors ${names.join(", ")} after ${steps} steps, got ${Object.keys(state.vectors).join(", ") || "none"}`,
    );
  const vectors = {} as Record<N, Float32Array>;
  let length: number | undefined;
  for (const name of names) {
    const vector = state.vectors[name];
    if (!(vector instanceof Float32Array) || (length !== undefined && vector.length !== length))
      throw new CheckpointError(
        `server optimizer state: vector ${name} is not a Float32Array of the others' length`,
      );
    length = vector.length;
    vectors[name] = vector.slice();
  }
  return { steps, vectors };
}

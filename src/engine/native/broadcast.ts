/**
 * Broadcast geometry for the native binary kernels: numpy-style broadcasting of two shapes,
 * reduced to at most four dimensions by merging neighbours that broadcast the same way.
 *
 * @module
 */

/** Rank of the broadcast the addon loops over. */
export const BROADCAST_RANK = 4;

/**
 * Fills `target` (12 entries: shape[4], aStrides[4], bStrides[4], leading dimensions padded with
 * 1) for `out = a (op) b`, and returns the output shape; null when the shapes do not broadcast or
 * need more than four merged dimensions.
 */
export function fillBroadcastGeometry(
  aShape: readonly number[],
  bShape: readonly number[],
  target: Int32Array,
): number[] | null {
  const rank = Math.max(aShape.length, bShape.length);
  const outShape: number[] = new Array(rank);
  // Merged dimensions, innermost last: size, and whether a / b are broadcast along them.
  const sizes: number[] = [];
  const aBroadcast: boolean[] = [];
  const bBroadcast: boolean[] = [];
  for (let i = 0; i < rank; i++) {
    const da = aShape[i - (rank - aShape.length)] ?? 1;
    const db = bShape[i - (rank - bShape.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    const d = da === 1 ? db : da;
    outShape[i] = d;
    if (d === 1) continue; // size-1 dimensions change no offsets
    const ab = da === 1;
    const bb = db === 1;
    const last = sizes.length - 1;
    if (last >= 0 && aBroadcast[last] === ab && bBroadcast[last] === bb) {
      sizes[last] = sizes[last]! * d;
    } else {
      sizes.push(d);
      aBroadcast.push(ab);
      bBroadcast.push(bb);
    }
  }
  if (sizes.length > BROADCAST_RANK) return null;
  if (sizes.some((s) => s > 0x7fffffff)) return null;
  const pad = BROADCAST_RANK - sizes.length;
  let aStride = 1;
  let bStride = 1;
  for (let d = BROADCAST_RANK - 1; d >= 0; d--) {
    const j = d - pad;
    const size = j >= 0 ? sizes[j]! : 1;
    target[d] = size;
    const ab = j >= 0 ? aBroadcast[j]! : true;
    const bb = j >= 0 ? bBroadcast[j]! : true;
    target[4 + d] = ab ? 0 : aStride;
    target[8 + d] = bb ? 0 : bStride;
    if (!ab) aStride *= size;
    if (!bb) bStride *= size;
  }
  if (aStride > 0x7fffffff || bStride > 0x7fffffff) return null;
  return outShape;
}

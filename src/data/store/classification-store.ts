/**
 * {@link ClassificationStore}: the samples of one split, held once and read by index.
 *
 * @module
 */

/**
 * The samples of a classification split, held once per worker. Partitions, clients and batches
 * refer to samples by index; nothing is copied per client. Features are read as float32 into a
 * caller's buffer (a batch), so a compact raw store (uint8 pixels) is converted per batch.
 */
export interface ClassificationStore {
  /** The number of samples. */
  readonly length: number;
  /** The shape of one sample's features, e.g. `[28, 28, 1]` or `[60]`. */
  readonly sampleShape: readonly number[];
  /** The number of features of one sample: the product of `sampleShape`. */
  readonly sampleSize: number;
  /** The number of classes; every label is in [0, numClasses). */
  readonly numClasses: number;
  /** The label of sample `index`. */
  label(index: number): number;
  /** Writes sample `index`'s features, as float32, into `out[offset .. offset + sampleSize)`. */
  readFeatures(index: number, out: Float32Array, offset: number): void;
}

/** The product of a shape's dimensions. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/**
 * {@link FeatureStore}: float32 features and int32 labels.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { DataError } from "../errors.js";
import { type ClassificationStore, shapeSize } from "./classification-store.js";

/** Options of {@link FeatureStore}. */
export interface FeatureStoreOptions {
  /** The features, `length * product(sampleShape)` float32 values, sample after sample. */
  readonly x: Float32Array;
  /** One label per sample. */
  readonly y: Int32Array;
  /** The shape of one sample, e.g. `[60]`. */
  readonly sampleShape: readonly number[];
  /** The number of classes; every label must be in [0, numClasses). */
  readonly numClasses: number;
}

/** Samples held as float32 features (read as they are) and int32 labels. */
export class FeatureStore implements ClassificationStore {
  /** The features, row-major. */
  readonly x: Float32Array;
  /** The labels. */
  readonly y: Int32Array;
  /** @inheritdoc */
  readonly sampleShape: readonly number[];
  /** @inheritdoc */
  readonly sampleSize: number;
  /** @inheritdoc */
  readonly numClasses: number;

  /** @param options - The features, labels, shape and number of classes. */
  constructor(options: FeatureStoreOptions) {
    const { x, y, sampleShape, numClasses } = options;
    if (!(x instanceof Float32Array)) throw new OptionsError("x", x, "a Float32Array");
    if (!(y instanceof Int32Array)) throw new OptionsError("y", y, "an Int32Array");
    if (
      !Array.isArray(sampleShape) ||
      sampleShape.length === 0 ||
      !sampleShape.every((d) => Number.isInteger(d) && d >= 1)
    )
      throw new OptionsError("sampleShape", sampleShape, "a non-empty array of positive integers");
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new OptionsError("numClasses", numClasses, "a positive integer");
    const sampleSize = shapeSize(sampleShape);
    if (x.length !== y.length * sampleSize)
      throw new DataError(
        `${x.length} feature values do not make ${y.length} samples of shape [${sampleShape.join(", ")}]`,
      );
    for (let i = 0; i < y.length; i++) {
      const label = y[i] as number;
      if (label < 0 || label >= numClasses)
        throw new DataError(
          `label ${label} of sample ${i} is out of range (expected 0..${numClasses - 1})`,
        );
    }
    this.x = x;
    this.y = y;
    this.sampleShape = Object.freeze([...sampleShape]);
    this.sampleSize = sampleSize;
    this.numClasses = numClasses;
  }

  /** @inheritdoc */
  get length(): number {
    return this.y.length;
  }

  /** @inheritdoc */
  label(index: number): number {
    return this.y[index] as number;
  }

  /** @inheritdoc */
  readFeatures(index: number, out: Float32Array, offset: number): void {
    const size = this.sampleSize;
    out.set(this.x.subarray(index * size, (index + 1) * size), offset);
  }
}

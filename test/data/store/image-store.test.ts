/**
 * ImageStore's reads: every pixel value at every position of a four-pixel word converts to the
 * table's float32, and the word-at-a-time path (aligned one-channel samples of whole words) gives
 * what the byte-at-a-time path gives on the same pixels.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ImageStore, type Normalization } from "../../../src/data/store/index.js";

/** 256 samples of `shape`; sample i's pixel k is (i + k) mod 256: each value at each position. */
function pixels(sampleSize: number, offset = 0): Uint8Array {
  const bytes = new Uint8Array(offset + 256 * sampleSize).subarray(offset);
  for (let i = 0; i < 256; i++)
    for (let k = 0; k < sampleSize; k++) bytes[i * sampleSize + k] = (i + k) % 256;
  return bytes;
}

function readAll(store: ImageStore): Float32Array {
  const out = new Float32Array(store.length * store.sampleSize);
  for (let i = 0; i < store.length; i++) store.readFeatures(i, out, i * store.sampleSize);
  return out;
}

function make(
  shape: readonly number[],
  bytes: Uint8Array,
  normalization?: Normalization,
): ImageStore {
  return new ImageStore({
    pixels: bytes,
    labels: new Uint8Array(256),
    sampleShape: shape,
    numClasses: 1,
    normalization,
  });
}

describe("ImageStore.readFeatures", () => {
  for (const normalization of [undefined, { mean: [0.286], std: [0.353] }]) {
    const label = normalization === undefined ? "pixel / 255" : "normalised";
    it(`reads every value at every position of a word as the table's float32 (${label})`, () => {
      const bytes = pixels(8);
      const values = readAll(make([2, 4, 1], bytes, normalization));
      const mean = normalization?.mean[0] ?? 0;
      const std = normalization?.std[0] ?? 1;
      const expected = Float32Array.from(bytes, (p) => (p / 255 - mean) / std);
      assert.deepEqual(values, expected);
    });

    it(`reads words as it reads bytes: unaligned pixels and odd sample sizes agree (${label})`, () => {
      const aligned = readAll(make([2, 4, 1], pixels(8), normalization));
      // byteOffset 1: no word view is possible, so the same pixels are read a byte at a time.
      const unaligned = readAll(make([2, 4, 1], pixels(8, 1), normalization));
      assert.deepEqual(unaligned, aligned);
      const odd = make([1, 3, 1], pixels(3), normalization);
      const mean = normalization?.mean[0] ?? 0;
      const std = normalization?.std[0] ?? 1;
      assert.deepEqual(
        readAll(odd),
        Float32Array.from(pixels(3), (p) => (p / 255 - mean) / std),
      );
    });
  }

  it("normalises each channel of a three-channel image with its own mean and std", () => {
    const normalization = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
    const bytes = pixels(12);
    const values = readAll(make([2, 2, 3], bytes, normalization));
    const expected = Float32Array.from(
      bytes,
      (p, i) =>
        (p / 255 - (normalization.mean[i % 3] as number)) / (normalization.std[i % 3] as number),
    );
    assert.deepEqual(values, expected);
  });

  it("writes at the offset it is given and nowhere else", () => {
    const store = make([2, 2, 1], pixels(4));
    const out = new Float32Array(12).fill(-1);
    store.readFeatures(5, out, 4);
    assert.deepEqual([...out.subarray(0, 4)], [-1, -1, -1, -1]);
    assert.deepEqual([...out.subarray(8)], [-1, -1, -1, -1]);
    assert.deepEqual(
      out.subarray(4, 8),
      Float32Array.from([5, 6, 7, 8], (p) => p / 255),
    );
  });
});

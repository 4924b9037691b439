import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bulyan, bulyanSelect } from "../../../src/contrib/robust/bulyan.js";
import { coordinateMedian } from "../../../src/contrib/robust/coordinate-median.js";
import {
  krum,
  krumScores,
  multiKrum,
  multiKrumSelect,
  squaredDistances,
} from "../../../src/contrib/robust/krum.js";
import { trimmedMean } from "../../../src/contrib/robust/trimmed-mean.js";
import { OptionsError } from "../../../src/core/errors.js";

const vectors = (rows: readonly (readonly number[])[]): Float32Array[] =>
  rows.map((r) => Float32Array.from(r));

// Seven updates, two of them outliers (rows 5 and 6).
const SEVEN = vectors([
  [0, 5, 1],
  [1, -3, 2],
  [2, 0, 2],
  [3, 1, -7],
  [4, 2, 3],
  [100, 40, 0],
  [-50, -2, 9],
]);

describe("coordinate-wise median", () => {
  it("takes the middle value per coordinate (odd n), ignoring outliers", () => {
    assert.deepEqual(
      [
        ...coordinateMedian(
          vectors([
            [1, 10],
            [2, 20],
            [300, -30],
          ]),
        ),
      ],
      [2, 10],
    );
  });

  it("averages the two middle values for even n, and handles ties", () => {
    assert.deepEqual([...coordinateMedian(vectors([[1], [2], [3], [10]]))], [2.5]);
    assert.deepEqual([...coordinateMedian(vectors([[5], [5], [1]]))], [5]);
    assert.deepEqual([...coordinateMedian(SEVEN)], [2, 1, 2]);
  });

  it("sorts long columns too (past the insertion-sort limit) and rejects non-finite values", () => {
    const many = Array.from({ length: 101 }, (_, k) => Float32Array.from([(k * 37) % 101, -k]));
    assert.deepEqual([...coordinateMedian(many)], [50, -50]);
    assert.deepEqual([...coordinateMedian(many.slice(0, 64))], [49.5, -31.5]);
    assert.throws(
      () => coordinateMedian(vectors([[1], [Number.NaN]])),
      (e: unknown) => e instanceof OptionsError && e.option === "updates[1][0]",
    );
  });
});

describe("trimmed mean (scipy trim_mean)", () => {
  it("cuts int(beta * n) values per tail", () => {
    // n = 5, beta = 0.2: cut 1 each side.
    assert.deepEqual([...trimmedMean(vectors([[1], [2], [3], [4], [100]]), 0.2)], [3]);
    // n = 5, beta = 0.1: int(0.5) = 0, nothing cut.
    assert.deepEqual([...trimmedMean(vectors([[1], [2], [3], [4], [100]]), 0.1)], [22]);
    // n = 4, beta = 0.25: cut 1 each side.
    assert.deepEqual([...trimmedMean(vectors([[1], [2], [3], [100]]), 0.25)], [2.5]);
  });

  it("handles ties, and matches scipy on the seven-update case", () => {
    assert.deepEqual([...trimmedMean(vectors([[7], [7], [7], [1], [100]]), 0.2)], [7]);
    // scipy.stats.trim_mean(SEVEN, 0.2, axis=0) = [2, 1.2, 1.6]
    const result = trimmedMean(SEVEN, 0.2);
    assert.deepEqual([...result], [2, Math.fround(1.2), Math.fround(1.6)]);
  });

  it("rejects beta outside [0, 0.5)", () => {
    assert.throws(() => trimmedMean(SEVEN, 0.5), OptionsError);
  });
});

describe("Krum and MultiKrum", () => {
  // 1-D: 0, 1, 2, 10, 11 with f = 1: each score sums the 5 - 1 - 2 = 2 nearest squared distances.
  const LINE = vectors([[0], [1], [2], [10], [11]]);

  it("scores by the n - f - 2 nearest squared distances", () => {
    const scores = krumScores(squaredDistances(LINE), 5, 1);
    assert.deepEqual([...scores], [1 + 4, 1 + 1, 1 + 4, 1 + 64, 1 + 81]);
    assert.deepEqual(
      [...krumScores(squaredDistances(SEVEN), 7, 1)],
      [214, 212, 132, 375, 175, 44082, 10989],
    );
  });

  it("Krum picks the lowest score; equal scores go to the lower index", () => {
    assert.deepEqual([...krum(LINE, 1)], [1]);
    assert.deepEqual([...krum(vectors([[0], [2]]), 0)], [0], "a tie between the only two");
    assert.deepEqual([...krum(SEVEN, 1)], [2, 0, 2]);
  });

  it("MultiKrum averages the m lowest, weighted by example count, ties by index", () => {
    // Scores 5, 2, 5, 65, 82: m = 2 keeps index 1 and, of the tied 0 and 2, index 0.
    assert.deepEqual(multiKrumSelect(LINE, 1, 2), [1, 0]);
    assert.deepEqual([...multiKrum(LINE, [1, 3, 1, 1, 1], 1, 2)], [0.75]);
    // m = 3 keeps 1, 0, 2: (2*0 + 1*1 + 1*2) / 4
    assert.deepEqual([...multiKrum(LINE, [2, 1, 1, 5, 5], 1, 3)], [0.75]);
    assert.throws(() => multiKrum(LINE, [1, 1, 1, 1, 1], 1, 6), OptionsError);
  });
});

describe("Bulyan", () => {
  it("selects theta = n - 2f by repeated Krum, then averages the beta closest to the median", () => {
    assert.deepEqual(bulyanSelect(SEVEN, 1), [2, 4, 0, 1, 3]);
    // Selected rows: [2,0,2] [4,2,3] [0,5,1] [1,-3,2] [3,1,-7]; beta = 5 - 2 = 3.
    // Coordinate 0: median 2, closest 2, 1, 3 -> 2. Coordinate 1: median 1, closest 1, 0, 2 -> 1.
    // Coordinate 2: median 2, closest 2, 2, then 3 and 1 tie at distance 1: the earlier
    // selected (3) is taken -> 7/3.
    const result = bulyan(SEVEN, 1);
    assert.deepEqual([...result], [2, 1, Math.fround(7 / 3)]);
  });

  it("with f = 0 it is the median-centred mean of all updates", () => {
    const three = vectors([[1], [2], [9]]);
    assert.deepEqual([...bulyan(three, 0)], [4]);
  });

  it("refuses n < 4f + 3, naming --aggregator", () => {
    assert.throws(
      () => bulyan(SEVEN.slice(0, 6), 1),
      (e: unknown) =>
        e instanceof OptionsError && e.option === "--aggregator" && /4F \+ 3 = 7/.test(e.message),
    );
  });
});

/**
 * {@link drawInitializer}: tfjs-layers' weight initialisers, drawn from BlazeFL's own seeded
 * {@link Rng} instead of tfjs's random ops. tfjs seeds its initialisers with `Math.random` (or a
 * fixed `seed` that repeats the same draws for every weight), so two processes that build the
 * same `tf.LayersModel` get different weights; drawing the same distributions from one explicit
 * generator, weight by weight in flat order, gives every thread and process identical weights.
 *
 * @module
 */
import { OptionsError } from "../core/errors.js";
import type { Rng } from "../reproducibility/rng.js";

/** An initialiser as tfjs-layers serialises it in a layer's config. */
export interface InitializerSpec {
  /** tfjs's class name, e.g. `"VarianceScaling"`, `"GlorotUniform"`, `"Zeros"`. */
  readonly className: string;
  /** Its config, e.g. `{ scale: 1, mode: "fanAvg", distribution: "normal" }`. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** The initialiser class names {@link drawInitializer} knows. */
export const SEEDED_INITIALIZERS: readonly string[] = [
  "Zeros",
  "Ones",
  "Constant",
  "RandomUniform",
  "RandomNormal",
  "TruncatedNormal",
  "VarianceScaling",
  "GlorotUniform",
  "GlorotNormal",
  "HeUniform",
  "HeNormal",
  "LeCunUniform",
  "LeCunNormal",
  "Identity",
  "Orthogonal",
];

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** tfjs-layers' fan-in and fan-out of a (channels-last) weight shape. */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 2) return [shape[0] as number, shape[1] as number];
  if (shape.length >= 3 && shape.length <= 5) {
    const receptive = product(shape.slice(0, -2));
    return [(shape.at(-2) as number) * receptive, (shape.at(-1) as number) * receptive];
  }
  const root = Math.sqrt(product(shape));
  return [root, root];
}

function num(config: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = config[key];
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/** A normal draw resampled until it lies within two standard deviations (tfjs's truncation). */
function truncatedNormal(rng: Rng, mean: number, std: number): number {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= 2) return mean + std * z;
  }
}

/**
 * A random orthogonal matrix as tfjs's `Orthogonal` makes it: a standard-normal
 * `[max(r, c), min(r, c)]` matrix (row-major, from `rng`), its QR factor Q made unique by the
 * signs of R's diagonal, transposed when there are fewer rows than columns, times `gain`.
 * Modified Gram-Schmidt in float64 gives the same Q as Householder QR up to rounding.
 */
function orthogonal(rng: Rng, shape: readonly number[], gain: number, out: Float32Array): void {
  if (shape.length < 2)
    throw new OptionsError("initializer", "Orthogonal", "a weight of rank >= 2");
  const rows = product(shape.slice(0, -1));
  const cols = shape.at(-1) as number;
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // Column-major copy of the m x n normal matrix, so each column is contiguous.
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = rng.normal();
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    for (let k = 0; k < j; k++) {
      const ck = k * m;
      let dot = 0;
      for (let i = 0; i < m; i++) dot += (a[ck + i] as number) * (a[cj + i] as number);
      for (let i = 0; i < m; i++) a[cj + i] = (a[cj + i] as number) - dot * (a[ck + i] as number);
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += (a[cj + i] as number) ** 2;
    // Q's column has R's positive diagonal entry, so sign(diag(R)) is already folded in.
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = 0; i < m; i++) a[cj + i] = (a[cj + i] as number) * scale;
  }
  // out is rows x cols row-major: Q (m x n) when rows >= cols, else Q transposed.
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const q = rows >= cols ? (a[c * m + r] as number) : (a[r * m + c] as number);
      out[r * cols + c] = gain * q;
    }
}

/**
 * Draws the initial values of one weight of `shape` as the tfjs initialiser `spec` would, but
 * from `rng`, in row-major order.
 *
 * @param where - The weight's name, for the error message.
 * @throws OptionsError naming `where` for an initialiser it does not know (a custom class).
 */
export function drawInitializer(
  spec: InitializerSpec,
  shape: readonly number[],
  rng: Rng,
  where: string,
): Float32Array {
  const out = new Float32Array(product(shape));
  const c = spec.config ?? {};
  switch (spec.className) {
    case "Zeros":
      return out;
    case "Ones":
      return out.fill(1);
    case "Constant":
      return out.fill(num(c, "value", 0));
    case "RandomUniform": {
      const lo = num(c, "minval", -0.05);
      const hi = num(c, "maxval", 0.05);
      for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * rng.nextFloat();
      return out;
    }
    case "RandomNormal": {
      const mean = num(c, "mean", 0);
      const std = num(c, "stddev", 0.05);
      for (let i = 0; i < out.length; i++) out[i] = mean + std * rng.normal();
      return out;
    }
    case "TruncatedNormal": {
      const mean = num(c, "mean", 0);
      const std = num(c, "stddev", 0.05);
      for (let i = 0; i < out.length; i++) out[i] = truncatedNormal(rng, mean, std);
      return out;
    }
    case "VarianceScaling":
    case "GlorotUniform":
    case "GlorotNormal":
    case "HeUniform":
    case "HeNormal":
    case "LeCunUniform":
    case "LeCunNormal": {
      const [fanIn, fanOut] = computeFans(shape);
      const mode = c.mode ?? "fanIn";
      const fan = mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2;
      const scale = num(c, "scale", 1) / Math.max(1, fan);
      if ((c.distribution ?? "normal") === "uniform") {
        const limit = Math.sqrt(3 * scale);
        for (let i = 0; i < out.length; i++) out[i] = (2 * rng.nextFloat() - 1) * limit;
      } else {
        // tfjs's "normal" is a normal truncated at two standard deviations.
        const std = Math.sqrt(scale);
        for (let i = 0; i < out.length; i++) out[i] = truncatedNormal(rng, 0, std);
      }
      return out;
    }
    case "Identity": {
      if (shape.length !== 2 || shape[0] !== shape[1])
        throw new OptionsError(where, shape, "a square 2-D weight for the Identity initializer");
      const n = shape[0] as number;
      for (let i = 0; i < n; i++) out[i * n + i] = num(c, "gain", 1);
      return out;
    }
    case "Orthogonal":
      orthogonal(rng, shape, num(c, "gain", 1), out);
      return out;
    default:
      throw new OptionsError(
        where,
        `initializer ${spec.className}`,
        `one of ${SEEDED_INITIALIZERS.join(", ")} (BlazeFL draws initial weights from its own seeded generator)`,
      );
  }
}

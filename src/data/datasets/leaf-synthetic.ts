/**
 * LEAF / FedProx Synthetic(alpha, beta) (Li et al., "Federated Optimization in Heterogeneous
 * Networks", MLSys 2020), generated lazily: each client's data is a pure function of
 * (seed, cid), made on demand.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { Rng } from "../../reproducibility/rng.js";
import { assertSeed, deriveState } from "../../reproducibility/seed.js";
import { ZigguratNormals } from "./ziggurat.js";

/** The number of features of a Synthetic sample. */
export const SYNTHETIC_FEATURES = 60;
/** The number of classes of Synthetic. */
export const SYNTHETIC_CLASSES = 10;

const DOMAIN = 0x6c65_6166; // "leaf"
const SIZE_STREAM = 0;
const MODEL_STREAM = 1;
const SAMPLE_STREAM = 2;
const GLOBAL_CID = 0xffff_ffff;

/** Options of {@link LeafSynthetic}. */
export interface LeafSyntheticOptions {
  /** The number of clients. */
  readonly numClients: number;
  /** The seed, an integer in [0, 2^32 - 1]; the data is a pure function of (seed, cid). */
  readonly seed: number;
  /**
   * Model heterogeneity: u_k ~ N(0, alpha), with alpha the standard deviation as in the
   * reference generator (`np.random.normal(0, alpha)`).
   * @default 1
   */
  readonly alpha?: number;
  /**
   * Data heterogeneity: B_k ~ N(0, beta), beta a standard deviation.
   * @default 1
   */
  readonly beta?: number;
  /**
   * The IID variant (FedProx's `synthetic_iid`): every client shares one W and b drawn from
   * N(0, 1) and one v = 0; alpha and beta are then unused.
   * @default false
   */
  readonly iid?: boolean;
  /**
   * An optional cap on a client's total size (train + test). The reference generator has none,
   * and floor(lognormal(4, 2)) + 50 has a heavy tail (the largest of 10,000 clients is typically
   * tens of thousands of samples).
   * @default undefined (no cap)
   */
  readonly maxClientSize?: number | undefined;
  /**
   * The fraction of each client's samples in its train split (the first ones; the rest form its
   * test split).
   * @default 0.8
   */
  readonly trainFraction?: number;
}

/** The generated data of one client: its train samples first, then its test samples. */
export interface SyntheticClientData {
  /** Features, `(numTrain + numTest) * 60` float32 values. */
  readonly x: Float32Array;
  /** Labels, one per sample. */
  readonly y: Int32Array;
  /** The number of train samples (the first ones). */
  readonly numTrain: number;
  /** The number of test samples (the last ones). */
  readonly numTest: number;
}

function checkNonNegative(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new OptionsError(option, value, "a finite number >= 0");
  return value;
}

/**
 * The LEAF / FedProx Synthetic(alpha, beta) generator, 60 features and 10 classes:
 * - client k draws u_k ~ N(0, alpha) and B_k ~ N(0, beta);
 * - W_k (10x60) and b_k (10) have entries ~ N(u_k, 1); v_k (60) has entries ~ N(B_k, 1);
 * - x ~ N(v_k, Sigma) with Sigma diagonal, Sigma_jj = j^-1.2 (j = 1..60);
 * - y = argmax(softmax(W_k x + b_k)), computed from the float32 features;
 * - client k has floor(lognormal(4, 2)) + 50 samples (optionally capped), split 80/20.
 *
 * Everything about client k is a pure function of (seed, k), from independent derived streams
 * for its size, its model (u, B, W, b, v) and its samples, so clients can be made in any order,
 * in any worker, and none is held unless asked for. Sizes are cached (4 bytes per client).
 * The sample noise, 60 normals per sample, comes from {@link ZigguratNormals} seeded by four
 * words drawn from the client's sample stream ({@link Rng}): `Rng.normal` costs several times
 * more per draw and would dominate rounds at 10,000 clients.
 */
export class LeafSynthetic {
  /** The number of clients. */
  readonly numClients: number;
  /** The seed. */
  readonly seed: number;
  /** The model-heterogeneity standard deviation. */
  readonly alpha: number;
  /** The data-heterogeneity standard deviation. */
  readonly beta: number;
  /** Whether this is the IID variant. */
  readonly iid: boolean;
  /** The cap on a client's total size, if any. */
  readonly maxClientSize: number | undefined;
  /** The fraction of each client's samples in its train split. */
  readonly trainFraction: number;
  readonly #sizes: Int32Array;
  readonly #std: Float64Array;
  #global: { W: Float64Array; b: Float64Array } | undefined;

  /** @param options - Clients, seed, alpha, beta, IID variant, optional cap and split. */
  constructor(options: LeafSyntheticOptions) {
    assertPositiveInteger("numClients", options?.numClients);
    assertSeed("seed", options.seed);
    this.numClients = options.numClients;
    this.seed = options.seed;
    this.alpha = checkNonNegative("alpha", options.alpha ?? 1);
    this.beta = checkNonNegative("beta", options.beta ?? 1);
    if (options.iid !== undefined && typeof options.iid !== "boolean")
      throw new OptionsError("iid", options.iid, "a boolean");
    this.iid = options.iid ?? false;
    if (options.maxClientSize !== undefined) {
      const cap = options.maxClientSize;
      if (!Number.isInteger(cap) || cap < 2)
        throw new OptionsError(
          "maxClientSize",
          cap,
          "an integer >= 2 (one train and one test sample)",
        );
    }
    this.maxClientSize = options.maxClientSize;
    const fraction = options.trainFraction ?? 0.8;
    if (typeof fraction !== "number" || !(fraction > 0 && fraction < 1))
      throw new OptionsError("trainFraction", fraction, "a number strictly between 0 and 1");
    this.trainFraction = fraction;
    this.#sizes = new Int32Array(this.numClients).fill(-1);
    this.#std = new Float64Array(SYNTHETIC_FEATURES);
    for (let j = 0; j < SYNTHETIC_FEATURES; j++) this.#std[j] = Math.sqrt((j + 1) ** -1.2);
  }

  #check(cid: number): void {
    if (!Number.isInteger(cid) || cid < 0 || cid >= this.numClients)
      throw new OptionsError("cid", cid, `a client id in [0, ${this.numClients})`);
  }

  #stream(cid: number, stream: number): Rng {
    return Rng.fromWords(deriveState([DOMAIN, this.seed, cid, stream]));
  }

  /** Client `cid`'s total number of samples, floor(lognormal(4, 2)) + 50, capped if asked. */
  clientSize(cid: number): number {
    this.#check(cid);
    let size = this.#sizes[cid] as number;
    if (size < 0) {
      size = Math.floor(this.#stream(cid, SIZE_STREAM).lognormal(4, 2)) + 50;
      if (!Number.isFinite(size) || size > 0x7fff_ffff) size = 0x7fff_ffff;
      if (this.maxClientSize !== undefined) size = Math.min(size, this.maxClientSize);
      this.#sizes[cid] = size;
    }
    return size;
  }

  /** The number of train samples of client `cid`: floor(trainFraction * size). */
  trainSize(cid: number): number {
    const size = this.clientSize(cid);
    return Math.min(size - 1, Math.max(1, Math.floor(size * this.trainFraction + 1e-9)));
  }

  /** The number of test samples of client `cid`: the rest of its samples. */
  testSize(cid: number): number {
    return this.clientSize(cid) - this.trainSize(cid);
  }

  #globalModel(): { W: Float64Array; b: Float64Array } {
    if (this.#global === undefined) {
      const rng = this.#stream(GLOBAL_CID, MODEL_STREAM);
      const W = new Float64Array(SYNTHETIC_CLASSES * SYNTHETIC_FEATURES);
      const b = new Float64Array(SYNTHETIC_CLASSES);
      for (let i = 0; i < W.length; i++) W[i] = rng.normal(0, 1);
      for (let i = 0; i < b.length; i++) b[i] = rng.normal(0, 1);
      this.#global = { W, b };
    }
    return this.#global;
  }

  /** Client `cid`'s model (W, b) and feature mean v, as the generator draws them. */
  clientModel(cid: number): { W: Float64Array; b: Float64Array; v: Float64Array } {
    this.#check(cid);
    const v = new Float64Array(SYNTHETIC_FEATURES);
    if (this.iid) return { ...this.#globalModel(), v };
    const rng = this.#stream(cid, MODEL_STREAM);
    const u = rng.normal(0, this.alpha);
    const B = rng.normal(0, this.beta);
    const W = new Float64Array(SYNTHETIC_CLASSES * SYNTHETIC_FEATURES);
    const b = new Float64Array(SYNTHETIC_CLASSES);
    for (let i = 0; i < W.length; i++) W[i] = rng.normal(u, 1);
    for (let i = 0; i < b.length; i++) b[i] = rng.normal(u, 1);
    for (let j = 0; j < SYNTHETIC_FEATURES; j++) v[j] = rng.normal(B, 1);
    return { W, b, v };
  }

  /**
   * Generates client `cid`'s samples: train first, then test. A pure function of (seed, cid);
   * nothing is cached here (see the federated dataset for a bounded cache).
   */
  generateClient(cid: number): SyntheticClientData {
    const n = this.clientSize(cid);
    const numTrain = this.trainSize(cid);
    const { W, b, v } = this.clientModel(cid);
    const Wt = transpose(W);
    const noise = new ZigguratNormals(this.#stream(cid, SAMPLE_STREAM));
    const std = this.#std;
    const x = new Float32Array(n * SYNTHETIC_FEATURES);
    const y = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      const base = s * SYNTHETIC_FEATURES;
      noise.fill(x, base, SYNTHETIC_FEATURES);
      shift(x, base, v, std);
      y[s] = argmaxLogit(Wt, b, x, base);
    }
    return { x, y, numTrain, numTest: n - numTrain };
  }
}

/** x[base + j] = v[j] + std[j] * x[base + j]: scales standard normals to N(v, diag(std^2)). */
function shift(x: Float32Array, base: number, v: Float64Array, std: Float64Array): void {
  for (let j = 0; j < SYNTHETIC_FEATURES; j++)
    x[base + j] = (v[j] as number) + (std[j] as number) * (x[base + j] as number);
}

/** W (classes x features, row-major) as features x classes, for {@link argmaxLogit}. */
function transpose(W: Float64Array): Float64Array {
  const Wt = new Float64Array(W.length);
  for (let c = 0; c < SYNTHETIC_CLASSES; c++)
    for (let j = 0; j < SYNTHETIC_FEATURES; j++)
      Wt[j * SYNTHETIC_CLASSES + c] = W[c * SYNTHETIC_FEATURES + j] as number;
  return Wt;
}

/**
 * argmax over classes of W x + b for the sample at x[base ..] (`Wt` is W transposed); ties go to
 * the first class. Each logit is summed in feature order, as `b[c] + W[c][0] x[0] + ...`, so the
 * labels are those of the plain double loop bit for bit; the ten sums advance together, which
 * lets their additions overlap (about 2x faster than one sum after another).
 */
function argmaxLogit(Wt: Float64Array, b: Float64Array, x: Float32Array, base: number): number {
  let l0 = b[0] as number;
  let l1 = b[1] as number;
  let l2 = b[2] as number;
  let l3 = b[3] as number;
  let l4 = b[4] as number;
  let l5 = b[5] as number;
  let l6 = b[6] as number;
  let l7 = b[7] as number;
  let l8 = b[8] as number;
  let l9 = b[9] as number;
  for (let j = 0; j < SYNTHETIC_FEATURES; j++) {
    const xj = x[base + j] as number;
    const r = j * SYNTHETIC_CLASSES;
    l0 += (Wt[r] as number) * xj;
    l1 += (Wt[r + 1] as number) * xj;
    l2 += (Wt[r + 2] as number) * xj;
    l3 += (Wt[r + 3] as number) * xj;
    l4 += (Wt[r + 4] as number) * xj;
    l5 += (Wt[r + 5] as number) * xj;
    l6 += (Wt[r + 6] as number) * xj;
    l7 += (Wt[r + 7] as number) * xj;
    l8 += (Wt[r + 8] as number) * xj;
    l9 += (Wt[r + 9] as number) * xj;
  }
  const logits = [l0, l1, l2, l3, l4, l5, l6, l7, l8, l9];
  let best = 0;
  let bestLogit = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < SYNTHETIC_CLASSES; c++) {
    const logit = logits[c] as number;
    if (logit > bestLogit) {
      bestLogit = logit;
      best = c;
    }
  }
  return best;
}

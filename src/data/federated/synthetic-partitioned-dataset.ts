/**
 * {@link SyntheticPartitionedDataset}: LEAF Synthetic served client by client, generated lazily.
 *
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { Rng } from "../../reproducibility/rng.js";
import { deriveState } from "../../reproducibility/seed.js";
import {
  LeafSynthetic,
  type LeafSyntheticOptions,
  SYNTHETIC_CLASSES,
  SYNTHETIC_FEATURES,
} from "../datasets/leaf-synthetic.js";
import { FeatureStore } from "../store/feature-store.js";
import type { ClassificationSplit } from "./classification-split.js";
import {
  type ClassificationSubset,
  FederatedClassificationDataset,
} from "./federated-classification-dataset.js";

const SERVER_DOMAIN = 0x7372_7672; // "srvr"

/** Options of {@link SyntheticPartitionedDataset}. */
export interface SyntheticPartitionedDatasetOptions extends LeafSyntheticOptions {
  /**
   * How many clients' test splits make up the server's test set. When it is at least
   * `numClients` (the default up to 100 clients) the server's test set is exactly the union of
   * every client's test split, as in the papers. Above, it is the union of the test splits of a
   * fixed subset of that many clients, drawn from the seed (so it is the same in every
   * process), because building all of them for 10,000 clients would cost gigabytes.
   * @default min(numClients, 100)
   */
  readonly serverTestClients?: number;
  /**
   * How many clients' generated data to keep (least recently used first out).
   * @default 16
   */
  readonly cacheClients?: number;
}

/**
 * LEAF Synthetic(alpha, beta) as a {@link FederatedClassificationDataset}: client `cid`'s data is
 * generated on first use, a pure function of (seed, cid) (see {@link LeafSynthetic}), and at
 * most `cacheClients` clients are kept, so 10,000 clients never sit in memory at once.
 * - `("train", cid)`: the first 80% of client cid's samples; `("test", cid)`: the other 20%;
 * - `("test", undefined)`: the server's test set, the union of the test splits of the
 *   {@link SyntheticPartitionedDataset.serverClients} (all clients up to `serverTestClients`);
 * - `("train", undefined)`: the union of the same clients' train splits.
 * Features are float32, shape [60]; 10 classes.
 */
export class SyntheticPartitionedDataset extends FederatedClassificationDataset {
  /** The generator. */
  readonly generator: LeafSynthetic;
  /** The clients whose splits make up the server's splits, ascending. */
  readonly serverClients: readonly number[];
  readonly #cacheClients: number;
  readonly #cache = new Map<number, { store: FeatureStore; numTrain: number }>();
  readonly #server: Partial<Record<ClassificationSplit, FeatureStore>> = {};

  /** @param options - The generator's options, the server test set's size and the cache size. */
  constructor(options: SyntheticPartitionedDatasetOptions) {
    const generator = new LeafSynthetic(options);
    super({
      name: "synthetic",
      numClients: generator.numClients,
      sampleShape: [SYNTHETIC_FEATURES],
      numClasses: SYNTHETIC_CLASSES,
    });
    this.generator = generator;
    const serverCount = options.serverTestClients ?? Math.min(generator.numClients, 100);
    if (!Number.isInteger(serverCount) || serverCount < 1)
      throw new OptionsError("serverTestClients", serverCount, "a positive integer");
    const cacheClients = options.cacheClients ?? 16;
    if (!Number.isInteger(cacheClients) || cacheClients < 0)
      throw new OptionsError("cacheClients", cacheClients, "a non-negative integer");
    this.#cacheClients = cacheClients;
    if (serverCount >= generator.numClients)
      this.serverClients = Object.freeze(Array.from({ length: generator.numClients }, (_, i) => i));
    else {
      const rng = Rng.fromWords(deriveState([SERVER_DOMAIN, generator.seed]));
      this.serverClients = Object.freeze(
        rng.sampleWithoutReplacement(generator.numClients, serverCount).sort((a, b) => a - b),
      );
    }
  }

  /** Client `cid`'s generated data, from the cache or made now. */
  #client(cid: number): { store: FeatureStore; numTrain: number } {
    const hit = this.#cache.get(cid);
    if (hit !== undefined) {
      this.#cache.delete(cid);
      this.#cache.set(cid, hit);
      return hit;
    }
    const data = this.generator.generateClient(cid);
    const entry = {
      store: new FeatureStore({
        x: data.x,
        y: data.y,
        sampleShape: [SYNTHETIC_FEATURES],
        numClasses: SYNTHETIC_CLASSES,
      }),
      numTrain: data.numTrain,
    };
    if (this.#cacheClients > 0) {
      if (this.#cache.size >= this.#cacheClients) {
        const oldest = this.#cache.keys().next().value as number;
        this.#cache.delete(oldest);
      }
      this.#cache.set(cid, entry);
    }
    return entry;
  }

  /** The number of clients whose data is cached now (at most `cacheClients`). */
  get cachedClients(): number {
    return this.#cache.size;
  }

  #serverStore(type: ClassificationSplit): FeatureStore {
    let store = this.#server[type];
    if (store === undefined) {
      const g = this.generator;
      let total = 0;
      for (const cid of this.serverClients)
        total += type === "train" ? g.trainSize(cid) : g.testSize(cid);
      const x = new Float32Array(total * SYNTHETIC_FEATURES);
      const y = new Int32Array(total);
      let offset = 0;
      for (const cid of this.serverClients) {
        const { store: client, numTrain } = this.#client(cid);
        const [from, to] = type === "train" ? [0, numTrain] : [numTrain, client.length];
        x.set(
          client.x.subarray(from * SYNTHETIC_FEATURES, to * SYNTHETIC_FEATURES),
          offset * SYNTHETIC_FEATURES,
        );
        y.set(client.y.subarray(from, to), offset);
        offset += to - from;
      }
      store = new FeatureStore({
        x,
        y,
        sampleShape: [SYNTHETIC_FEATURES],
        numClasses: SYNTHETIC_CLASSES,
      });
      this.#server[type] = store;
    }
    return store;
  }

  /** @inheritdoc */
  protected override subsetSize(type: ClassificationSplit, cid: number | undefined): number {
    const g = this.generator;
    if (cid !== undefined) return type === "train" ? g.trainSize(cid) : g.testSize(cid);
    let total = 0;
    for (const c of this.serverClients) total += type === "train" ? g.trainSize(c) : g.testSize(c);
    return total;
  }

  /** @inheritdoc */
  protected subset(type: ClassificationSplit, cid: number | undefined): ClassificationSubset {
    if (cid === undefined) {
      const store = this.#serverStore(type);
      return { store, indices: range(0, store.length) };
    }
    const { store, numTrain } = this.#client(cid);
    return {
      store,
      indices: type === "train" ? range(0, numTrain) : range(numTrain, store.length),
    };
  }
}

function range(from: number, to: number): Int32Array {
  const out = new Int32Array(to - from);
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}

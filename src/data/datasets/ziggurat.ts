/**
 * {@link ZigguratNormals}: fast standard normals in bulk, seeded from an {@link Rng}.
 *
 * @module
 */
import type { Rng } from "../../reproducibility/rng.js";

/**
 * Standard normals in bulk: the ziggurat method (Marsaglia and Tsang, 2000, 128 layers) over a
 * xoshiro128** generator (Blackman and Vigna) seeded by four words from an {@link Rng}. Each
 * 32-bit draw gives the layer index (its low 7 bits) and a signed 25-bit candidate (its other
 * bits), so the two do not share bits (the correlation Doornik, 2005, found in the original);
 * 25 bits are more than the float32 features keep.
 */
export class ZigguratNormals {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** @param rng - Four 32-bit words are drawn from it to seed the generator. */
  constructor(rng: Rng) {
    this.#s0 = rng.nextUint32() | 0;
    this.#s1 = rng.nextUint32() | 0;
    this.#s2 = rng.nextUint32() | 0;
    this.#s3 = rng.nextUint32() | 0;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** The next 32 random bits, as a signed int32. */
  next(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A uniform draw in (0, 1). */
  #uniform(): number {
    return ((this.next() >>> 0) + 0.5) * 2.3283064365386963e-10;
  }

  /** One standard normal. */
  normal(): number {
    for (;;) {
      const bits = this.next();
      const iz = bits & 127;
      const hz = bits >> 7;
      if (Math.abs(hz) < (ZIGGURAT.k[iz] as number)) return hz * (ZIGGURAT.w[iz] as number);
      const x = hz * (ZIGGURAT.w[iz] as number);
      if (iz === 0) {
        // The tail beyond r, by Marsaglia's exponential method.
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(this.#uniform()) / ZIGGURAT_R;
          ty = -Math.log(this.#uniform());
        } while (ty + ty < tx * tx);
        return hz > 0 ? ZIGGURAT_R + tx : -ZIGGURAT_R - tx;
      }
      const f0 = ZIGGURAT.f[iz] as number;
      if (f0 + this.#uniform() * ((ZIGGURAT.f[iz - 1] as number) - f0) < Math.exp(-0.5 * x * x))
        return x;
    }
  }

  /** Writes `count` standard normals into `out[offset ..]`. */
  fill(out: Float32Array, offset: number, count: number): void {
    for (let i = 0; i < count; i++) out[offset + i] = this.normal();
  }
}

/** The right edge of the ziggurat's base layer for 128 layers. */
const ZIGGURAT_R = 3.442619855899;

/** The ziggurat's tables: k (acceptance thresholds), w (scales) and f (densities). */
const ZIGGURAT = (() => {
  const m = 16777216; // 2^24: hz is a signed 25-bit integer
  const area = 9.91256303526217e-3;
  const k = new Float64Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = area / Math.exp(-0.5 * dn * dn);
  k[0] = (dn / q) * m;
  k[1] = 0;
  w[0] = q / m;
  w[127] = dn / m;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(area / dn + Math.exp(-0.5 * dn * dn)));
    k[i + 1] = (dn / tn) * m;
    tn = dn;
    f[i] = Math.exp(-0.5 * dn * dn);
    w[i] = dn / m;
  }
  return { k, w, f };
})();

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

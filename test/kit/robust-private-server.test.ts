import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAttack } from "../../src/contrib/attacks/attack-spec.js";
import { l2Norm } from "../../src/contrib/privacy/l2-clipping.js";
import { computeEpsilon } from "../../src/contrib/privacy/rdp-accountant.js";
import { parseAggregator } from "../../src/contrib/robust/aggregator-spec.js";
import { coordinateMedian } from "../../src/contrib/robust/coordinate-median.js";
import type { ClientUpdate, ServerPart } from "../../src/kit/algorithm.js";
import { ModelAverageServer } from "../../src/kit/model-average-server.js";
import { RobustPrivateServer, type ServerDpSettings } from "../../src/kit/robust-private-server.js";
import { Rng } from "../../src/reproducibility/rng.js";

/** An inner server part that keeps its model where it is and records what it is given. */
class RecordingServer implements ServerPart {
  readonly model: Float32Array;
  readonly folded: Float32Array[] = [];
  constructor(length: number) {
    this.model = new Float32Array(length);
  }
  fold(update: ClientUpdate): void {
    this.folded.push((update.vectors.model as Float32Array).slice());
  }
  finish(): void {}
  captureState() {
    return { vectors: {}, json: { recorded: this.folded.length } };
  }
  restoreState(): void {}
}

const update = (cid: number, model: Float32Array, weight = 1): ClientUpdate => ({
  cid,
  weight,
  steps: 1,
  vectors: { model },
  metrics: {},
});

const noNoise = { normal: () => 0 };

function dp(extra: Partial<ServerDpSettings> = {}): ServerDpSettings {
  return {
    mode: "fixed",
    clip: 1,
    noiseMultiplier: 1,
    delta: 1e-5,
    noiseSource: () => noNoise,
    ...extra,
  };
}

describe("RobustPrivateServer", () => {
  it("clips every update to norm <= C, and leaves updates within C as they are", () => {
    const inner = new RecordingServer(50);
    const server = new RobustPrivateServer(inner, {
      seed: 1,
      numClients: 10,
      clientsPerRound: 1,
      dp: dp({ clip: 0.7 }),
    });
    const rng = Rng.fromSeed(3);
    let clipped = 0;
    for (let round = 0; round < 200; round++) {
      const scale = 10 ** rng.uniform(-2, 2);
      const v = Float32Array.from({ length: 50 }, () => scale * rng.normal());
      server.downlink(round);
      server.fold(update(round % 10, v));
      server.finish(round);
      const sent = inner.folded[round] as Float32Array;
      assert.ok(l2Norm(sent) <= 0.7, `round ${round}: norm ${l2Norm(sent)} > 0.7`);
      if (l2Norm(v) <= 0.7) assert.deepEqual(sent, v);
      else {
        clipped++;
        assert.ok(l2Norm(sent) > 0.7 * (1 - 1e-6));
      }
      assert.equal(server.roundMetrics().withinClip, l2Norm(v) <= 0.7 ? 1 : 0);
    }
    assert.ok(
      clipped > 20 && clipped < 180,
      `${clipped} of 200 clipped (both cases are exercised)`,
    );
  });

  it("adds noise of standard deviation sigma C / m to the mean of the clipped updates", () => {
    const d = 40_000;
    const inner = new RecordingServer(d);
    const server = new RobustPrivateServer(inner, {
      seed: 1,
      numClients: 100,
      clientsPerRound: 4,
      dp: dp({ clip: 2, noiseMultiplier: 1.5, noiseSource: (round) => Rng.fromSeed(100 + round) }),
    });
    server.downlink(0);
    for (let cid = 0; cid < 4; cid++) server.fold(update(cid, new Float32Array(d)));
    server.finish(0);
    const noise = inner.folded[0] as Float32Array;
    let sum = 0;
    let sq = 0;
    for (const v of noise) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / d;
    const std = Math.sqrt(sq / d - mean * mean);
    const expected = (1.5 * 2) / 4;
    // The sample std of 40,000 normals is within 1.5 % of the true one (about 4 standard errors).
    assert.ok(Math.abs(std / expected - 1) < 0.015, `std ${std}, expected ${expected}`);
    assert.ok(Math.abs(mean) < (4 * expected) / Math.sqrt(d), `mean ${mean}`);
  });

  it("poisons the malicious clients' updates and aggregates robustly, as the pure functions do", () => {
    const inner = new ModelAverageServer(new Float32Array([1, 1, 1]));
    const server = new RobustPrivateServer(inner, {
      seed: 1,
      numClients: 5,
      clientsPerRound: 5,
      aggregator: parseAggregator("median"),
      attack: parseAttack("sign-flip:0.2:10"),
      malicious: new Set([3]),
    });
    const models = [
      [2, 1, 1],
      [1, 3, 1],
      [1, 1, 0],
      [2, 2, 2],
      [0, 1, 1],
    ].map((m) => new Float32Array(m));
    server.downlink(0);
    for (const [cid, m] of models.entries()) server.fold(update(cid, m, cid + 1));
    server.finish(0);
    const deltas = models.map((m) => m.map((v) => v - 1));
    deltas[3] = (deltas[3] as Float32Array).map((v) => -10 * v); // the attacker's update
    const median = coordinateMedian(deltas);
    assert.deepEqual([...server.model], [...median.map((v) => 1 + v)]);
    assert.equal(server.roundMetrics().maliciousClients, 1);
  });

  it("streams the weighted mean under a sign-flip attack (O(d), example weights)", () => {
    const inner = new ModelAverageServer(new Float32Array([0, 0]));
    const server = new RobustPrivateServer(inner, {
      seed: 1,
      numClients: 4,
      clientsPerRound: 2,
      attack: parseAttack("sign-flip:0.25:4"),
      malicious: new Set([1]),
    });
    server.downlink(0);
    server.fold(update(0, new Float32Array([1, 2]), 3));
    server.fold(update(1, new Float32Array([1, 1]), 1));
    server.finish(0);
    assert.deepEqual([...server.model], [(3 * 1 + 1 * -4) / 4, (3 * 2 + 1 * -4) / 4]);
  });

  it("reports epsilon per round as computeEpsilon(sigma, q = m/N, R) does, and checkpoints it", () => {
    const make = (inner: ServerPart) =>
      new RobustPrivateServer(inner, {
        seed: 1,
        numClients: 50,
        clientsPerRound: 5,
        dp: dp({
          mode: "adaptive",
          clip: 0.1,
          noiseMultiplier: 0.3,
          noiseSource: (r, s) => Rng.fromSeed(r * 2 + s),
        }),
      });
    const server = make(new ModelAverageServer(new Float32Array(3)));
    const clips: number[] = [];
    let saved = server.captureState();
    for (let round = 0; round < 6; round++) {
      server.downlink(round);
      for (let cid = 0; cid < 5; cid++)
        server.fold(update(cid, Float32Array.from([0.05 * (cid + 1), 0.01, -0.02])));
      const expectedNext = server.epsilonAfterNextRound();
      server.finish(round);
      const metrics = server.roundMetrics();
      const expected = computeEpsilon({
        noiseMultiplier: 0.3,
        sampleRate: 0.1,
        steps: round + 1,
        delta: 1e-5,
      }).epsilon;
      assert.equal(metrics.epsilon, expected);
      assert.equal(expectedNext, expected);
      clips.push(metrics.clip as number);
      if (round === 2) saved = server.captureState();
    }
    assert.ok(new Set(clips).size > 1, "the adaptive clip moves");
    const resumed = make(new ModelAverageServer(new Float32Array(3)));
    resumed.restoreState(saved, new Float32Array(3));
    assert.equal(
      resumed.epsilon,
      computeEpsilon({ noiseMultiplier: 0.3, sampleRate: 0.1, steps: 3, delta: 1e-5 }).epsilon,
    );
    assert.equal(resumed.clip, clips[3]);
  });
});

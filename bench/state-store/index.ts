/**
 * bench/state-store: what the kit's {@link ClientStateStore} costs a stateful algorithm
 * (SCAFFOLD keeps one model-sized c_k per client), measured in one run.
 *
 * 1. **Per-client cost.** A SCAFFOLD round touches each sampled client's state twice: the worker
 *    reads c_k from the store's file into its shared result buffer (`readStateInto`, a `pread`),
 *    and the parent writes c_k⁺ back to a free slot (`write`, a `pwrite`), then commits. Both are
 *    timed per client for `--clients` clients over `--rounds` rounds of `--per-round`, against
 *    one memcpy of the model (`Float32Array.set` between two warm arrays of the same size, and
 *    between arrays out of the CPU cache).
 * 2. **Memory at scale.** `--scale-clients` clients (default 10,000) each write a state of
 *    `--length` float32 (default 199,210: fmnist-mlp), in rounds of `--per-round` with a commit
 *    and an fsync per round as `runExperiment` does, then a second pass rewrites a tenth of them
 *    (the double-buffered slots must not grow the file beyond one round). The parent's RSS is
 *    sampled after every round (peak) and VmHWM read from /proc/self/status; the file's size
 *    and allocated blocks are reported, a sample of states is read back and checked, and the
 *    file is deleted. Pass `--scale-clients 0` to skip.
 *
 * The memory part runs first, so that its peak RSS is not inflated by the cost part's buffers.
 * Prints one JSON object per part. Never fails on time. Usage:
 *   node --import tsx bench/state-store/index.ts [--length 199210] [--clients 100]
 *     [--rounds 20] [--per-round 10] [--scale-clients 10000] [--dir /tmp]
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ClientStateStore, readStateInto } from "../../src/kit/client-state-store.js";
import { median } from "../median.js";

const { values } = parseArgs({
  options: {
    length: { type: "string", default: "199210" },
    clients: { type: "string", default: "100" },
    rounds: { type: "string", default: "20" },
    "per-round": { type: "string", default: "10" },
    "scale-clients": { type: "string", default: "10000" },
    dir: { type: "string", default: tmpdir() },
  },
});
const length = Number(values.length);
const perRound = Number(values["per-round"]);
const MiB = 1024 * 1024;

/** A /proc/meminfo field in MiB (the page cache is the kernel's, reclaimable, not the process's). */
function meminfoMiB(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function vmHwmMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Fills `state` with values that identify (cid, pass), so a read-back can be checked. */
function fillState(state: Float32Array, cid: number, pass: number): void {
  state.fill(cid + pass / 4);
  state[0] = -cid;
  state[state.length - 1] = pass;
}

/** A state buffer the way a worker's result buffer is: shared memory. */
const sharedState = () => new Float32Array(new SharedArrayBuffer(length * 4));

// ---- 1. per-client read + write against a memcpy of the model -------------------------------
function perClientCost(): void {
  const clients = Number(values.clients);
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(join(values.dir, "blazefl-state-bench-"));
  const store = new ClientStateStore({ length, file: join(dir, "client-state.bin") });
  const workerFd = openSync(store.path, "r"); // a worker's own descriptor, as client-runner opens
  const state = sharedState();
  const reads: number[] = [];
  const writes: number[] = [];
  const commits: number[] = [];
  let cursor = 0;
  for (let round = 0; round < rounds; round++) {
    const cids = Array.from({ length: perRound }, () => cursor++ % clients);
    for (const cid of cids) {
      const location = store.locate(cid);
      const r0 = performance.now();
      if (location !== undefined) readStateInto(workerFd, location.offset, state);
      else state.fill(0);
      const r1 = performance.now();
      if (location !== undefined) reads.push(r1 - r0);
      fillState(state, cid, round);
      const w0 = performance.now();
      store.write(cid, state);
      writes.push(performance.now() - w0);
    }
    const c0 = performance.now();
    store.commit();
    store.flush();
    commits.push(performance.now() - c0);
  }
  // The memcpy bound: one model-sized Float32Array.set between warm arrays.
  const src = new Float32Array(length).fill(1.5);
  const dst = new Float32Array(length);
  dst.set(src);
  const copies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    dst.set(src);
    copies.push(performance.now() - t0);
  }
  // And between model-sized arrays that are not in the CPU cache (64 pairs, 100 MB in all,
  // taken in turn), as a client's state is not when its turn comes.
  const pool = Array.from({ length: 64 }, () => ({
    from: new Float32Array(length).fill(2.5),
    to: new Float32Array(length).fill(0),
  }));
  const coldCopies: number[] = [];
  for (let i = 0; i < 256; i++) {
    const pair = pool[i % pool.length] as { from: Float32Array; to: Float32Array };
    const t0 = performance.now();
    pair.to.set(pair.from);
    coldCopies.push(performance.now() - t0);
  }
  closeSync(workerFd);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const memcpyMs = median(copies);
  const readMs = median(reads);
  const writeMs = median(writes);
  process.stdout.write(
    `${JSON.stringify({
      part: "per-client cost",
      length,
      stateMiB: (length * 4) / MiB,
      clients,
      rounds,
      perRound,
      readsTimed: reads.length,
      writesTimed: writes.length,
      readMsMedian: readMs,
      writeMsMedian: writeMs,
      readPlusWriteMsMedian: readMs + writeMs,
      commitAndFsyncPerRoundMsMedian: median(commits),
      memcpyMsMedian: memcpyMs,
      memcpyUncachedMsMedian: median(coldCopies),
      readRatio: readMs / memcpyMs,
      writeRatio: writeMs / memcpyMs,
      readPlusWriteRatio: (readMs + writeMs) / memcpyMs,
      readPlusWriteRatioUncached: (readMs + writeMs) / median(coldCopies),
      load1: loadavg()[0],
    })}\n`,
  );
}

// ---- 2. memory at scale --------------------------------------------------------------------
function memoryAtScale(scaleClients: number): void {
  const dir = mkdtempSync(join(values.dir, "blazefl-state-scale-"));
  const file = join(dir, "client-state.bin");
  const rssBefore = process.memoryUsage().rss / MiB;
  const cachedBefore = meminfoMiB("Cached");
  let rssPeak = rssBefore;
  const sampleRss = () => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss / MiB);
  };
  const store = new ClientStateStore({ length, file });
  const state = sharedState();
  const t0 = performance.now();
  let maxFileBytes = 0;
  const runPass = (cids: readonly number[], pass: number) => {
    for (let start = 0; start < cids.length; start += perRound) {
      for (const cid of cids.slice(start, start + perRound)) {
        store.read(cid, state); // the previous state (zeros before the first round)
        fillState(state, cid, pass);
        store.write(cid, state);
      }
      store.commit();
      store.flush();
      maxFileBytes = Math.max(maxFileBytes, store.fileBytes);
      sampleRss();
    }
  };
  const all = Array.from({ length: scaleClients }, (_, i) => i);
  runPass(all, 1);
  const firstPassSeconds = (performance.now() - t0) / 1000;
  const fileBytesAfterFirstPass = store.fileBytes;
  // A second pass over every tenth client: new states go to free slots, old ones are freed.
  const again = all.filter((cid) => cid % 10 === 0);
  runPass(again, 2);
  const totalSeconds = (performance.now() - t0) / 1000;
  // Read back a sample and check it is each client's latest state.
  let checked = 0;
  let wrong = 0;
  for (let cid = 0; cid < scaleClients; cid += 97) {
    store.read(cid, state);
    const pass = cid % 10 === 0 ? 2 : 1;
    if (state[0] !== -cid || state[length - 1] !== pass || state[1] !== cid + pass / 4) wrong++;
    checked++;
  }
  sampleRss();
  const st = statSync(file);
  const result = {
    part: "memory at scale",
    clients: scaleClients,
    length,
    stateBytesTotal: scaleClients * length * 4,
    stateGiB: (scaleClients * length * 4) / 1024 ** 3,
    committedClients: store.size,
    fileBytes: st.size,
    fileGiB: st.size / 1024 ** 3,
    fileAllocatedGiB: (st.blocks * 512) / 1024 ** 3,
    fileBytesAfterFirstPass,
    maxFileBytes,
    slotsAllocated: st.size / (length * 4),
    rssBeforeMiB: rssBefore,
    rssPeakMiB: rssPeak,
    vmHwmMiB: vmHwmMiB(),
    rssPeakOverStateRatio: (rssPeak * MiB) / (scaleClients * length * 4),
    systemPageCacheGrowthMiB: meminfoMiB("Cached") - cachedBefore,
    systemMemAvailableMiB: meminfoMiB("MemAvailable"),
    firstPassSeconds,
    totalSeconds,
    writeMiBPerSecondFirstPass: (scaleClients * length * 4) / MiB / firstPassSeconds,
    readBackChecked: checked,
    readBackWrong: wrong,
    load1: loadavg()[0],
  };
  store.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ ...result, fileDeleted: true })}\n`);
}

// Memory first, so that its peak RSS is the store's and not the cost part's 100 MB of buffers.
const scaleClients = Number(values["scale-clients"]);
if (scaleClients > 0) memoryAtScale(scaleClients);
perClientCost();

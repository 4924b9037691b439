/**
 * bench/rounds/compare-ref: FedAvg round time of this tree against an older commit, in one run.
 *
 * Makes a temporary `git worktree` of `--ref` (default 966a46a, the last commit before the
 * algorithm kit), gives it this tree's node_modules and native build when its package-lock and
 * native sources are the same (else runs `npm ci` there), then runs the same workload in both
 * trees alternately (ref, this, ref, this, …) so that machine noise falls on both sides alike.
 * Each run is its own process (`run-in-tree.ts`); the round time is the median of rounds 2..N
 * (round 1 pays each worker's lazy set-up), pooled over the runs of each side; beside it, the
 * median of the per-pair ratios, the ratio of the fastest rounds, and the ratio of CPU seconds
 * per round (this process and its workers: less sensitive than wall time to a loaded machine).
 * Prints one JSON line per run, then a summary with the ratios (this / ref) and whether both
 * trees trained the same model (sha256). The temporary
 * worktree is removed at the end. Never fails on time. Usage:
 *   node --import tsx bench/rounds/compare-ref.ts [--ref 966a46a] [--models mlp,cnn]
 *     [--parallels 1,2] [--pairs 2] [--rounds-mlp 4] [--rounds-cnn 3] [--install auto|link|ci]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "../median.js";

const { values } = parseArgs({
  options: {
    ref: { type: "string", default: "966a46a" },
    models: { type: "string", default: "mlp,cnn" },
    parallels: { type: "string", default: "1,2" },
    pairs: { type: "string", default: "2" },
    "rounds-mlp": { type: "string", default: "4" },
    "rounds-cnn": { type: "string", default: "3" },
    install: { type: "string", default: "auto" },
  },
});

const here = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const runner = fileURLToPath(new URL("./run-in-tree.ts", import.meta.url));
const git = (args: string[], cwd = here) =>
  execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
const log = (line: string) => process.stderr.write(`compare-ref: ${line}\n`);

/** True when `paths` are the same in `ref` as in this tree's working copy. */
function sameAsRef(ref: string, paths: string[]): boolean {
  return spawnSync("git", ["diff", "--quiet", ref, "--", ...paths], { cwd: here }).status === 0;
}

const refCommit = git(["rev-parse", "--short", `${values.ref}^{commit}`]);
const headCommit = git(["rev-parse", "--short", "HEAD"]);
const dirty = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
const refDir = join(mkdtempSync(join(tmpdir(), "blazefl-ref-")), "tree");
let added = false;
const cleanUp = () => {
  if (added) {
    spawnSync("git", ["worktree", "remove", "--force", refDir], { cwd: here });
    added = false;
  }
  rmSync(resolve(refDir, ".."), { recursive: true, force: true });
};
process.on("SIGINT", () => {
  cleanUp();
  process.exit(130);
});

interface Run {
  tree: "ref" | "head";
  model: string;
  parallels: number;
  pair: number;
  roundSeconds: number[];
  roundSecondsMedian: number;
  cpuSeconds: number[];
  modelSha256: string;
  api: string;
  engine: string;
  load1: number;
}

const runs: Run[] = [];
let install = values.install;
try {
  git(["worktree", "add", "--detach", refDir, refCommit]);
  added = true;
  if (install === "auto")
    install = sameAsRef(refCommit, ["package-lock.json", "native", "scripts/build-native.mjs"])
      ? "link"
      : "ci";
  if (install === "link") {
    symlinkSync(join(here, "node_modules"), join(refDir, "node_modules"), "dir");
    cpSync(join(here, "native/build"), join(refDir, "native/build"), { recursive: true });
  } else {
    log(`npm ci in ${refDir}`);
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: refDir, stdio: "inherit" });
  }
  log(`ref ${refCommit} in ${refDir} (${install}); head ${headCommit}${dirty ? " (dirty)" : ""}`);

  const pairs = Number(values.pairs);
  for (const model of values.models.split(",")) {
    const rounds = Number(model === "cnn" ? values["rounds-cnn"] : values["rounds-mlp"]);
    for (const parallels of values.parallels.split(",").map(Number)) {
      for (let pair = 1; pair <= pairs; pair++) {
        for (const tree of ["ref", "head"] as const) {
          const cwd = tree === "ref" ? refDir : here;
          const load1 = loadavg()[0] ?? Number.NaN;
          const r = spawnSync(
            process.execPath,
            [
              "--import",
              "tsx",
              runner,
              "--root",
              cwd,
              "--model",
              model,
              "--parallels",
              String(parallels),
              "--rounds",
              String(rounds),
            ],
            { cwd, encoding: "utf8", timeout: 20 * 60_000 },
          );
          const line = r.stdout.trim().split("\n").pop() ?? "";
          if (r.status !== 0 || !line.startsWith("{"))
            throw new Error(`${tree} ${model} x${parallels} failed (${r.status}): ${r.stderr}`);
          const res = JSON.parse(line) as Omit<Run, "tree" | "model" | "parallels" | "pair">;
          const run: Run = { tree, model, parallels, pair, ...res, load1 };
          runs.push(run);
          process.stdout.write(`${JSON.stringify(run)}\n`);
        }
      }
    }
  }
} finally {
  cleanUp();
}

const configs: Record<string, unknown> = {};
for (const model of values.models.split(",")) {
  for (const parallels of values.parallels.split(",").map(Number)) {
    const of = (tree: "ref" | "head") =>
      runs.filter((r) => r.tree === tree && r.model === model && r.parallels === parallels);
    const steady = (tree: "ref" | "head") => of(tree).flatMap((r) => r.roundSeconds.slice(1));
    const ref = median(steady("ref"));
    const head = median(steady("head"));
    // CPU seconds of rounds 2..N-1 (round N also evaluates).
    const cpu = (tree: "ref" | "head") => of(tree).flatMap((r) => r.cpuSeconds.slice(0, -1));
    const refCpu = median(cpu("ref"));
    const headCpu = median(cpu("head"));
    const fastest = (tree: "ref" | "head") => Math.min(...steady(tree));
    const pairRatios = of("head").map((h, i) => {
      const o = of("ref")[i];
      return o === undefined ? Number.NaN : h.roundSecondsMedian / o.roundSecondsMedian;
    });
    configs[`fmnist-${model} process x${parallels}`] = {
      refRoundSecondsMedian: ref,
      headRoundSecondsMedian: head,
      ratio: head / ref,
      pairRatios,
      pairRatiosMedian: median(pairRatios),
      fastestRoundRatio: fastest("head") / fastest("ref"),
      roundsPerSide: steady("head").length,
      refCpuSecondsMedian: refCpu,
      headCpuSecondsMedian: headCpu,
      cpuRatio: headCpu / refCpu,
      withinTarget: head / ref <= 1.03,
      sameModel: new Set([...of("ref"), ...of("head")].map((r) => r.modelSha256)).size === 1,
      meanLoad1: runs
        .filter((r) => r.model === model && r.parallels === parallels)
        .reduce((s, r, _, a) => s + r.load1 / a.length, 0),
    };
  }
}
process.stdout.write(
  `${JSON.stringify({
    summary: {
      ref: refCommit,
      head: headCommit,
      headDirty: dirty,
      install,
      target: "head / ref <= 1.03",
      cores: availableParallelism(),
      configs,
    },
  })}\n`,
);

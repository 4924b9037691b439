/**
 * One-file scripts, as a BlazeFL user writes `main.py`: the trainer class and a main script with
 * top-level `await` in the same module. Each runs in a child process, under tsx and compiled to
 * JavaScript, with every trainer kind; the output is checked.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { scratchDir } from "./pool-helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = ["one-file-port", "one-file-guarded", "one-file-two-classes"] as const;
type Fixture = (typeof FIXTURES)[number];
const SAFETY = { timeout: 180_000 };

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(args[0] as string, args.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** How a fixture is started: through tsx, or compiled to JavaScript and run by plain node. */
interface Runner {
  readonly name: string;
  command(fixture: Fixture): string[];
}

const tsxRunner: Runner = {
  name: "tsx",
  command: (fixture) => [
    join(ROOT, "node_modules/.bin/tsx"),
    join(ROOT, `test/fixtures/core/${fixture}.ts`),
  ],
};

function compiledRunner(outDir: string): Runner {
  return {
    name: "compiled JavaScript",
    command: (fixture) => [process.execPath, join(outDir, `test/fixtures/core/${fixture}.js`)],
  };
}

/** Compiles the fixtures (and the library code they import) with the project's tsc. */
function compile(outDir: string): void {
  const config = join(outDir, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(ROOT, "tsconfig.json"),
      compilerOptions: {
        noEmit: false,
        rootDir: ROOT,
        outDir,
        declaration: false,
        sourceMap: false,
        typeRoots: [join(ROOT, "node_modules/@types")],
      },
      files: FIXTURES.map((f) => join(ROOT, `test/fixtures/core/${f}.ts`)),
      // All of core: the worker entries are loaded by URL, not imported.
      include: [join(ROOT, "src/core/**/*.ts")],
    }),
  );
  // Outside the repository: tell node that these .js files are ES modules.
  writeFileSync(join(outDir, "package.json"), JSON.stringify({ type: "module" }));
  const result = spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", config], {
    encoding: "utf8",
  });
  assert.equal(result.status, 0, `tsc failed: ${result.stdout}${result.stderr}`);
}

function assertClean(result: Run, what: string): void {
  assert.equal(result.signal, null, `${what}: ended by ${result.signal}`);
  assert.equal(result.code, 0, `${what}: exit ${result.code}\n${result.stderr}`);
}

function definePortTests(runner: () => Runner, scratch: () => string): void {
  for (const kind of ["serial", "thread", "process"]) {
    it(`BlazeFL's ProcessPoolClientTrainer tests, ported to one file, pass with the ${kind} trainer`, async () => {
      const result = await run(runner().command("one-file-port"), {
        ONE_FILE_KIND: kind,
        ONE_FILE_SCRATCH: scratch(),
      });
      assertClean(result, `one-file-port ${kind}`);
      const lines = result.stdout.trim().split("\n");
      for (const numParallels of [1, 2, 4]) {
        for (const cids of ["[]", "[42]", "[0,1,2]"])
          assert.ok(
            lines.includes(`ok ${kind} numParallels=${numParallels} cidList=${cids}`),
            `P=${numParallels} ${cids}`,
          );
        assert.ok(lines.includes(`ok ${kind} numParallels=${numParallels} shutdown is idempotent`));
      }
      assert.ok(
        lines.includes(
          `ok ${kind} an exception in progressFn stops the call's workers and rejects`,
        ),
      );
      assert.equal(lines.at(-1), "done 14 checks");
    });
  }
}

const EXPECTED_GUARDED = [1, 2]
  .flatMap((round) => [3, 1, 2].map((cid) => `round${round}<${cid}> ${cid * 2}`))
  .join("\n");

describe("one-file scripts under tsx", SAFETY, () => {
  let scratch: ReturnType<typeof scratchDir>;
  before(() => {
    scratch = scratchDir();
  });
  after(() => scratch.dispose());
  definePortTests(
    () => tsxRunner,
    () => scratch.path,
  );

  for (const [kind, workerExport] of [
    ["serial", undefined],
    ["thread", undefined],
    ["process", undefined],
    ["thread", "Trainer"],
    ["process", "Trainer"],
  ] as const) {
    it(`trains with main code inside if (!isPoolWorker()), ${kind} trainer${workerExport !== undefined ? ", workerExport set" : ""}`, async () => {
      const result = await run(tsxRunner.command("one-file-guarded"), {
        ONE_FILE_KIND: kind,
        ...(workerExport !== undefined ? { ONE_FILE_EXPORT: workerExport } : {}),
      });
      assertClean(result, `one-file-guarded ${kind}`);
      assert.equal(result.stdout.trim(), EXPECTED_GUARDED);
    });
  }

  it("fails fast, naming the option and the fix, where a wrong workerExport is set", async () => {
    const result = await run(tsxRunner.command("one-file-guarded"), {
      ONE_FILE_KIND: "process",
      ONE_FILE_EXPORT: "NoSuchExport",
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /OptionsError: Expected `workerExport` to be the name under which/);
  });

  for (const kind of ["thread", "process"])
    it(`fails fast with what to do, not a hang or exit 13, where unguarded main code cannot work (${kind})`, async () => {
      const result = await run(tsxRunner.command("one-file-two-classes"), { ONE_FILE_KIND: kind });
      assert.equal(result.code, 1, `exit ${result.code}: ${result.stderr}`);
      assert.match(result.stdout, /^first: 11,12$/m, "the first class trains");
      assert.doesNotMatch(result.stdout, /unexpected/);
      const second = kind === "thread" ? "SecondThreadTrainer" : "SecondProcessTrainer";
      assert.match(result.stderr, new RegExp(`creates ${second} before its first pool call`));
      assert.match(result.stderr, /if \(!isPoolWorker\(\)\)/);
    });
});

describe("one-file scripts compiled to JavaScript", SAFETY, () => {
  let scratch: ReturnType<typeof scratchDir>;
  let runner: Runner;
  before(() => {
    scratch = scratchDir();
    compile(scratch.path);
    runner = compiledRunner(scratch.path);
  });
  after(() => scratch.dispose());
  definePortTests(
    () => runner,
    () => scratch.path,
  );

  it("trains with main code inside if (!isPoolWorker()) and workerExport set", async () => {
    for (const kind of ["thread", "process"]) {
      const result = await run(runner.command("one-file-guarded"), {
        ONE_FILE_KIND: kind,
        ONE_FILE_EXPORT: "Trainer",
      });
      assertClean(result, `compiled one-file-guarded ${kind}`);
      assert.equal(result.stdout.trim(), EXPECTED_GUARDED);
    }
  });
});

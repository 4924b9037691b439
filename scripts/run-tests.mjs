#!/usr/bin/env node
// Runs the test suite with node's test runner through tsx. Node 20's `--test` takes no globs, so
// this finds the files itself. Usage: node scripts/run-tests.mjs [path-prefix ...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const prefixes = process.argv.slice(2);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "fixtures") out.push(...walk(path));
    } else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = walk(join(root, "test"))
  .map((f) => relative(root, f))
  .filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${prefixes.join(" ") || "test/"}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "1";
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);

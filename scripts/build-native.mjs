#!/usr/bin/env node
// Builds the native CPU engine (native/src/*.cc -> native/build/blazefl_native.node): an N-API
// addon over the system OpenBLAS. Runs as the package's `install` script.
//
// It calls the C++ compiler directly instead of node-gyp: node-gyp needs Python and either
// downloads Node's headers or needs --nodedir, while a single compiler call against the headers
// that ship with Node (<prefix>/include/node) works offline and takes a few seconds.
//
// It never fails the install: when the compiler, the Node headers or OpenBLAS are missing it
// prints one line and exits 0, and the "cpu" device falls back to the wasm engine.
// `--strict` exits 1 on failure instead (for CI checks); `--force` rebuilds an up-to-date addon.
//
// Environment: CXX (compiler, default g++ then c++ then clang++), BLAZEFL_NATIVE=0 (skip),
// BLAZEFL_NATIVE_CXXFLAGS / BLAZEFL_NATIVE_LDFLAGS (extra flags, space separated).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { arch } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Bumped whenever the JS <-> C++ calling convention changes; src/engine/native checks it. */
const ABI = 5;

/**
 * Sources whose name ends in `_<isa>.cc` are compiled for that instruction set only and called
 * after a run-time CPU check; everything else is compiled for the baseline target (no -march).
 */
const ISA_FLAGS = {
  avx512: ["-mavx512f", "-mavx2", "-mfma"],
  avx2: ["-mavx2", "-mfma"],
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "native", "src");
const outDir = join(root, "native", "build");
const outFile = join(outDir, "blazefl_native.node");
const args = new Set(process.argv.slice(2));
const strict = args.has("--strict");
const force = args.has("--force");
const prefix = "blazefl native engine:";

function finish(ok, line) {
  if (ok) console.log(`${prefix} ${line}`);
  else console.warn(`${prefix} not built (${line}); the "cpu" device will use the wasm engine.`);
  process.exit(ok || !strict ? 0 : 1);
}

function splitFlags(value) {
  return (value ?? "").split(/\s+/).filter((s) => s.length > 0);
}

function findCompiler() {
  const candidates = process.env.CXX ? [process.env.CXX] : ["g++", "c++", "clang++"];
  for (const cxx of candidates) {
    const probe = spawnSync(cxx, ["--version"], { encoding: "utf8" });
    if (probe.status === 0) return cxx;
  }
  return null;
}

function findNodeHeaders() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
    resolve(dirname(process.execPath), "..", "include", "node"),
    "/usr/include/node",
    "/usr/local/include/node",
  ].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, "node_api.h"))) ?? null;
}

/** Explains a failed compile in a few words, from the compiler's output. */
function reason(stderr) {
  if (/cblas\.h/.test(stderr))
    return "OpenBLAS headers (cblas.h) not found: install libopenblas-dev";
  if (/-lopenblas|openblas/.test(stderr))
    return "OpenBLAS library not found: install libopenblas-dev";
  const lines = stderr.split("\n");
  const first =
    lines.find((l) => /fatal error|cannot find|error:/i.test(l)) ??
    lines.find((l) => l.trim()) ??
    "";
  return `compiler error: ${first.trim().slice(0, 200)}`;
}

/** Runs a command, collecting stderr; resolves with its exit status (or the spawn error). */
function run(command, args) {
  return new Promise((resolvePromise) => {
    let stderr = "";
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolvePromise({ status: -1, stderr, error: error.message });
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolvePromise({ status: status ?? -1, stderr });
    });
  });
}

async function main() {
  if (process.env.BLAZEFL_NATIVE === "0") finish(false, "BLAZEFL_NATIVE=0");
  if (process.platform === "win32") finish(false, "Windows is not supported by this build script");
  if (!existsSync(srcDir)) finish(false, `sources not found in ${srcDir}`);
  const sources = readdirSync(srcDir)
    .filter((f) => f.endsWith(".cc"))
    .sort()
    .map((f) => join(srcDir, f));
  const inputs = [
    ...sources,
    ...readdirSync(srcDir)
      .filter((f) => f.endsWith(".h") || f.endsWith(".inc"))
      .map((f) => join(srcDir, f)),
    fileURLToPath(import.meta.url),
  ];
  if (!force && existsSync(outFile)) {
    const built = statSync(outFile).mtimeMs;
    if (inputs.every((f) => statSync(f).mtimeMs <= built)) finish(true, "up to date");
  }
  const cxx = findCompiler();
  if (cxx === null) finish(false, "no C++ compiler found (set CXX or install g++)");
  const headers = findNodeHeaders();
  if (headers === null) finish(false, "Node.js headers (node_api.h) not found");

  const cxxflags = [
    "-O3",
    "-std=c++17",
    "-fPIC",
    "-fvisibility=hidden",
    // Same float results as the JS kernels and across run-time SIMD clones: no FMA contraction.
    "-ffp-contract=off",
    "-fno-math-errno",
    "-Wall",
    "-Wextra",
    "-DNAPI_VERSION=8",
    `-DBLAZEFL_NATIVE_ABI=${ABI}`,
    `-I${headers}`,
  ];
  const ldflags = ["-lopenblas"];
  if (process.platform === "darwin") {
    ldflags.unshift("-undefined", "dynamic_lookup");
    for (const brew of ["/opt/homebrew/opt/openblas", "/usr/local/opt/openblas"]) {
      if (existsSync(brew)) {
        cxxflags.push(`-I${brew}/include`);
        ldflags.unshift(`-L${brew}/lib`);
      }
    }
  }
  const x86 = arch() === "x64";
  if (x86) cxxflags.push("-DBLAZEFL_HAVE_DIRECT_CONV=1");
  const units = sources
    .map((file) => {
      const isa = /_(avx512|avx2)\.cc$/.exec(file)?.[1];
      return { file, isaFlags: isa === undefined ? [] : ISA_FLAGS[isa] };
    })
    .filter((unit) => x86 || unit.isaFlags.length === 0);
  mkdirSync(outDir, { recursive: true });
  const objDir = join(outDir, `obj-${process.pid}`);
  mkdirSync(objDir, { recursive: true });
  const tmp = `${outFile}.tmp-${process.pid}`;
  const started = Date.now();
  const extra = splitFlags(process.env.BLAZEFL_NATIVE_CXXFLAGS);
  const objects = units.map((_unit, i) => join(objDir, `${i}.o`));
  const compiled = await Promise.all(
    units.map((unit, i) =>
      run(cxx, [...cxxflags, ...unit.isaFlags, ...extra, "-c", unit.file, "-o", objects[i]]),
    ),
  );
  const failed = compiled.find((r) => r.status !== 0);
  const linked =
    failed ??
    (await run(cxx, [
      "-shared",
      ...objects,
      "-o",
      tmp,
      ...ldflags,
      ...splitFlags(process.env.BLAZEFL_NATIVE_LDFLAGS),
    ]));
  rmSync(objDir, { recursive: true, force: true });
  if (linked.status !== 0) {
    rmSync(tmp, { force: true });
    finish(false, linked.error ? String(linked.error) : reason(linked.stderr));
  }
  // Atomic: a process loading the addon never sees a half-written file.
  renameSync(tmp, outFile);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  finish(true, `built ${outFile.slice(root.length + 1)} with ${cxx} in ${seconds} s`);
}

await main();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AbortError,
  BlazeFLError,
  type BlazeFLErrorCode,
  ERROR_HELP,
  exitCodeFor,
  OptionsError,
  WorkerError,
  WorkerExitError,
} from "../../src/core/errors.js";
import {
  assertClientIds,
  assertFiniteNumber,
  assertNonNegativeInteger,
  assertPositiveInteger,
} from "../../src/core/validate.js";
import { DataError } from "../../src/data/errors.js";

describe("errors", () => {
  it("keeps the code, the name and the cause", () => {
    const cause = new RangeError("inner");
    const error = new DataError("file x.idx: truncated", { cause });
    assert.ok(error instanceof BlazeFLError);
    assert.ok(error instanceof Error);
    assert.equal(error.code, "ERR_DATA");
    assert.equal(error.name, "DataError");
    assert.equal(error.cause, cause);
    assert.equal("cause" in new AbortError(), false);
  });

  it("names the option, the value and what was expected", () => {
    const error = new OptionsError("numParallels", 0, "a positive integer");
    assert.equal(error.message, "Expected `numParallels` to be a positive integer, got 0 (number)");
    assert.equal(error.option, "numParallels");
    assert.equal(error.received, 0);
    assert.equal(error.expected, "a positive integer");
    assert.match(new OptionsError("x", "abc", "a number").message, /got "abc" \(string\)/);
    assert.match(new OptionsError("x", null, "a number").message, /got null$/);
    assert.match(new OptionsError("x", [1, 2], "a number").message, /array of length 2/);
    assert.match(
      new OptionsError("x", { a: "y".repeat(100) }, "a number").message,
      /\.\.\. \(object\)/,
    );
  });

  it("describes worker failures with the cid", () => {
    assert.equal(new WorkerError(4, "boom").cid, 4);
    const exit = new WorkerExitError(7, null, "SIGKILL");
    assert.match(exit.message, /client 7.*signal SIGKILL/);
    assert.match(new WorkerExitError(7, 3, null).message, /exit code 3/);
  });

  it("has help text for every code and maps codes to exit codes", () => {
    const codes = Object.keys(ERROR_HELP) as BlazeFLErrorCode[];
    assert.ok(codes.length >= 10);
    for (const code of codes) assert.ok(ERROR_HELP[code].length > 10, code);
    assert.equal(exitCodeFor(new OptionsError("a", 1, "b")), 2);
    assert.equal(exitCodeFor(new AbortError()), 130);
    assert.equal(exitCodeFor(new AbortError("x", { signal: "SIGINT" })), 130);
    assert.equal(exitCodeFor(new AbortError("x", { signal: "SIGTERM" })), 143);
    assert.equal(exitCodeFor(new AbortError("x", { signal: "SIGHUP" })), 129);
    const interrupted = new AbortError("SIGTERM received", { signal: "SIGTERM" });
    assert.equal(
      exitCodeFor(new AbortError("The run was interrupted", { cause: interrupted })),
      143,
      "the signal is found on a cause",
    );
    assert.equal(exitCodeFor(new WorkerError(1, "x")), 1);
    assert.equal(exitCodeFor(new Error("plain")), 1);
  });
});

describe("validators", () => {
  it("accept good values and reject bad ones with the option's name", () => {
    assertPositiveInteger("n", 3);
    assertNonNegativeInteger("n", 0);
    assertFiniteNumber("lr", 0.1);
    assertClientIds("cidList", [3, 1, 2]);
    for (const bad of [0, -1, 1.5, Number.NaN, "2", null]) {
      assert.throws(() => assertPositiveInteger("n", bad), /Expected `n` to be a positive integer/);
    }
    assert.throws(() => assertNonNegativeInteger("n", -1), OptionsError);
    assert.throws(() => assertFiniteNumber("lr", Number.POSITIVE_INFINITY), /`lr`/);
  });

  it("reject duplicate, negative, non-integer and non-number client ids", () => {
    assert.throws(
      () => assertClientIds("cidList", [1, 2, 1]),
      /`cidList\[2\]`.*not already in the list/,
    );
    assert.throws(() => assertClientIds("cidList", [1, -2]), /`cidList\[1\]`/);
    assert.throws(() => assertClientIds("cidList", [0.5]), OptionsError);
    assert.throws(() => assertClientIds("cidList", [Number.NaN]), OptionsError);
    assert.throws(() => assertClientIds("cidList", ["1"]), OptionsError);
    assert.throws(() => assertClientIds("cidList", "1,2"), /array of client ids/);
  });
});

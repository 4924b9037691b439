import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "./cli-helpers.js";

const RUN = [
  "run",
  "--dataset",
  "synthetic",
  "--clients",
  "20",
  "--rounds",
  "1",
  "--trainer",
  "serial",
  "--quiet",
];
const DP = ["--dp", "fixed", "--clip", "1", "--noise-multiplier", "1"];

describe("blazefl run --aggregator, --attack and --dp", () => {
  it("exits 2 naming the option for bad values and combinations", async () => {
    const cases: [readonly string[], RegExp][] = [
      [
        ["--dp", "fixed", "--clip", "1"],
        /`--noise-multiplier`.*noise multiplier > 0 with --dp fixed/,
      ],
      [["--dp", "fixed", "--noise-multiplier", "1"], /`--clip`.*clip norm > 0/],
      [["--dp", "fixed", "--noise-multiplier", "1", "--clip", "0"], /`--clip`.*> 0/],
      [[...DP, "--dp-delta", "1"], /`--dp-delta`.*< 1/],
      [[...DP, "--dp-clipping", "nobody"], /`--dp-clipping`.*server, client/],
      [["--dp", "laplace"], /`--dp`.*fixed, adaptive, local/],
      [["--clip", "1"], /`--clip`.*nothing unless --dp/],
      [["--attack", "sign-flip:1.5"], /`--attack`.*FRACTION.*\(0, 1\)/],
      [["--attack", "label-flip:0"], /`--attack`.*\(0, 1\)/],
      [["--attack", "sign-flip:0.2:-1"], /`--attack`/],
      [["--aggregator", "bulyan:1", "--sample-ratio", "0.3"], /`--aggregator`.*4F \+ 3 = 7/],
      [["--aggregator", "krum"], /`--aggregator`/],
      [[...DP, "--aggregator", "median"], /`--aggregator`.*calibrated to the mean/],
      [["--algorithm", "scaffold", ...DP], /`--dp`.*uplink "model"/],
      [
        ["--dp", "adaptive", "--noise-multiplier", "5", "--sample-ratio", "0.5"],
        /`--noise-multiplier`.*below 1/,
      ],
      [[...DP, "--dp-target-epsilon", "0.01"], /`--dp-target-epsilon`.*epsilon of one round/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli([...RUN, ...args])));
    for (const [k, [args, pattern]] of cases.entries()) {
      const result = results[k] as Awaited<ReturnType<typeof runCli>>;
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, pattern, args.join(" "));
    }
  });
});

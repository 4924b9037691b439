/**
 * `blazefl algorithms`: the registered algorithms, each with its options as flags, defaults
 * and descriptions (taken from its schema, so the list cannot drift from the code).
 * @module
 */
import { Command } from "commander";
import {
  builtInAlgorithmNames,
  describeAlgorithmOptions,
  resolveAlgorithm,
} from "../../kit/registry.js";

/** The `algorithms` subcommand. */
export function algorithmsCommand(): Command {
  return new Command("algorithms")
    .description("List the algorithms `blazefl run --algorithm` takes, with their options")
    .argument("[module]", "also describe the algorithm exported by this module (./my-algorithm.js)")
    .action(async (module: string | undefined) => {
      const specs = [...builtInAlgorithmNames(), ...(module !== undefined ? [module] : [])];
      for (const spec of specs) {
        const { definition } = await resolveAlgorithm(spec);
        process.stdout.write(
          `${definition.name}${spec === definition.name ? "" : ` (${spec})`}\n  ${definition.summary}\n`,
        );
        for (const line of describeAlgorithmOptions(definition))
          process.stdout.write(`    ${line}\n`);
      }
    });
}

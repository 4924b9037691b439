/**
 * The models FedAvg trains, built from a name, the data's shape and a seed.
 * @module
 */
import { OptionsError } from "../../core/errors.js";
import { createCnn } from "../../models/cnn.js";
import { createLogisticRegression } from "../../models/logistic-regression.js";
import { createMlp } from "../../models/mlp.js";
import type { SequentialClassifier } from "../../models/sequential-classifier.js";
import { createRngSuite } from "../../reproducibility/rng-suite.js";
import type { FedAvgModelName } from "./client-config.js";

/**
 * A fresh model whose initial weights are a pure function of `seed` (drawn from the `init`
 * stream of `createRngSuite(seed)`), so every worker builds the same one.
 */
export function createFedAvgModel(
  name: FedAvgModelName,
  sampleShape: readonly number[],
  numClasses: number,
  seed: number,
): SequentialClassifier {
  const rng = createRngSuite(seed).init;
  switch (name) {
    case "mlp":
      return createMlp({ rng, inputShape: sampleShape, numClasses });
    case "cnn":
      return createCnn({ rng, inputShape: sampleShape, numClasses });
    case "logreg":
      return createLogisticRegression({ rng, inputShape: sampleShape, numClasses });
    default:
      throw new OptionsError("--model", name, "mlp, cnn or logreg");
  }
}

/**
 * {@link RoundRecord}: one line of a run's `metrics.jsonl` as the report reads it. Only `round`
 * is required: every other field is drawn when present, so a report can read the lines of older
 * and newer run loops alike, and fields it does not know are kept and ignored.
 * @module
 */
import { z } from "zod";

const finite = z.number().finite();
const nullableFinite = finite.nullable();

/** The spread of the clients' own test accuracies after a round (federated evaluation). */
export const clientAccuracySchema = z.looseObject({
  mean: finite,
  weightedMean: finite.optional(),
  min: finite,
  p10: finite,
  p50: finite,
  p90: finite,
});

/** The schema of one `metrics.jsonl` line; unknown fields pass through untouched. */
export const roundRecordSchema = z.looseObject({
  round: z.number().int().positive(),
  clients: z.array(z.number().int().min(0)).optional(),
  roundSeconds: finite.min(0).optional(),
  evalSeconds: finite.min(0).optional(),
  trainSeconds: finite.min(0).optional(),
  aggregateSeconds: finite.min(0).optional(),
  clientSeconds: finite.min(0).optional(),
  testAccuracy: nullableFinite.optional(),
  testLoss: nullableFinite.optional(),
  trainLoss: nullableFinite.optional(),
  epsilon: nullableFinite.optional(),
  clientAccuracy: clientAccuracySchema.nullable().optional(),
  maliciousClients: z.number().int().min(0).nullable().optional(),
});

/** One round of a run, as read from `metrics.jsonl`. */
export type RoundRecord = z.infer<typeof roundRecordSchema>;

/** The per-client accuracy spread of a round. */
export type ClientAccuracySpread = z.infer<typeof clientAccuracySchema>;

/**
 * {@link ReportOptions}: how a report is written, validated once with zod where it comes in.
 * @module
 */
import { z } from "zod";
import { OptionsError } from "../core/errors.js";

/** The schema of {@link ReportOptions}. */
export const reportOptionsSchema = z
  .object({
    title: z.string().min(1).max(200).optional(),
    partition: z.boolean().optional(),
    refreshSeconds: z.number().positive().finite().optional(),
  })
  .strict();

/** How a report is written. */
export interface ReportOptions {
  /** The page's heading. @default "BlazeFL report" */
  readonly title?: string;
  /**
   * Recompute each run's partition from its `config.json` and draw it (this loads the dataset).
   * @default true
   */
  readonly partition?: boolean;
  /**
   * Make the page reload itself every so many seconds: for a report that a running run rewrites
   * after every round, left open in a browser.
   */
  readonly refreshSeconds?: number;
}

/**
 * Checks report options.
 * @throws OptionsError naming the first bad option.
 */
export function resolveReportOptions(options: unknown): ReportOptions {
  const parsed = reportOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data as ReportOptions;
  const issue = parsed.error.issues[0];
  const key =
    issue?.code === "unrecognized_keys"
      ? String(issue.keys[0])
      : String(issue?.path[0] ?? "options");
  throw new OptionsError(
    `options.${key}`,
    (options as Record<string, unknown> | undefined)?.[key],
    issue?.code === "unrecognized_keys"
      ? "a known report option (title, partition, refreshSeconds)"
      : (issue?.message ?? "a valid value"),
  );
}

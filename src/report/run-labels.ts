/**
 * {@link runLabels}: names runs in a legend by the options in which they differ, so that
 * overlaid curves say what was varied ("lr=0.1" against "lr=0.01"), not where they were written.
 * @module
 */

/** Options that say where or how a run was written, never what it computed. */
const IGNORED_OPTIONS: ReadonlySet<string> = new Set([
  "out",
  "resume",
  "quiet",
  "resultDigest",
  "runId",
  "redis",
  "dataDir",
  "report",
]);

function shown(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "undefined");
}

/**
 * The option keys whose values are not the same in every config, in first-seen order.
 * @param configs - The runs' `config.json` objects.
 */
export function differingOptions(configs: readonly Readonly<Record<string, unknown>>[]): string[] {
  const keys: string[] = [];
  for (const config of configs)
    for (const key of Object.keys(config)) if (!keys.includes(key)) keys.push(key);
  return keys.filter((key) => {
    if (IGNORED_OPTIONS.has(key)) return false;
    const first = shown(configs[0]?.[key]);
    return configs.some((config) => shown(config[key]) !== first);
  });
}

/**
 * One legend label per run: `key=value` for each differing option, or the directory name when
 * nothing differs; a name that would repeat gets its directory name appended, so labels are unique.
 * @param runs - Each run's directory name and config.
 */
export function runLabels(
  runs: readonly { readonly name: string; readonly config: Readonly<Record<string, unknown>> }[],
): string[] {
  const keys = differingOptions(runs.map((r) => r.config));
  const labels = runs.map((run) =>
    keys.length === 0 || runs.length === 1
      ? run.name
      : keys.map((key) => `${key}=${shown(run.config[key])}`).join(", "),
  );
  return labels.map((label, i) =>
    labels.indexOf(label) !== labels.lastIndexOf(label) ? `${label} (${runs[i]?.name})` : label,
  );
}

/**
 * The median the benchmarks report (the mean of the middle two for an even count; NaN when
 * empty): one definition, so every bench reads its samples the same way.
 * @module
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

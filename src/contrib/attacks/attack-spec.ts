/**
 * `--attack` specs: which poisoning the malicious clients run, and what fraction of all clients
 * is malicious.
 * @module
 */
import { OptionsError } from "../../core/errors.js";

/** A parsed `--attack` value. `fraction` is the share of ALL clients that is malicious. */
export type AttackSpec =
  | { readonly kind: "sign-flip"; readonly fraction: number; readonly scale: number }
  | { readonly kind: "gaussian"; readonly fraction: number; readonly std: number }
  | { readonly kind: "label-flip"; readonly fraction: number }
  | { readonly kind: "alie"; readonly fraction: number };

/** The kinds `--attack` accepts. */
export const ATTACK_KINDS = ["sign-flip", "gaussian", "label-flip", "alie"] as const;

/** A sign-flip attacker sends -1 * its update unless a scale is given. */
export const DEFAULT_SIGN_FLIP_SCALE = 1;
/** A Gaussian attacker sends N(0, 1) per coordinate unless a standard deviation is given. */
export const DEFAULT_GAUSSIAN_STD = 1;

const EXPECTED =
  "sign-flip:FRACTION[:SCALE], gaussian:FRACTION[:STD], label-flip:FRACTION or alie:FRACTION, with 0 < FRACTION < 1 and SCALE, STD > 0";

function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Parses an attack spec such as `sign-flip:0.2`, `sign-flip:0.2:4`, `gaussian:0.1:0.5`,
 * `label-flip:0.3` or `alie:0.2`.
 * @param option - The name used in errors.
 * @throws OptionsError naming `option`, for a fraction outside (0, 1) too.
 */
export function parseAttack(text: string, option = "--attack"): AttackSpec {
  if (typeof text !== "string") throw new OptionsError(option, text, EXPECTED);
  const [kind, fractionText, extra, ...rest] = text.trim().split(":");
  const fraction = parseNumber(fractionText);
  if (rest.length > 0 || fraction === undefined) throw new OptionsError(option, text, EXPECTED);
  if (!(fraction > 0 && fraction < 1))
    throw new OptionsError(
      option,
      text,
      "an attack whose FRACTION of malicious clients is in (0, 1)",
    );
  const positive = (what: string, fallback: number): number => {
    if (extra === undefined) return fallback;
    const value = parseNumber(extra);
    if (value === undefined || !(value > 0))
      throw new OptionsError(option, text, `an attack whose ${what} is a finite number > 0`);
    return value;
  };
  switch (kind) {
    case "sign-flip":
      return { kind, fraction, scale: positive("SCALE", DEFAULT_SIGN_FLIP_SCALE) };
    case "gaussian":
      return { kind, fraction, std: positive("STD", DEFAULT_GAUSSIAN_STD) };
    case "label-flip":
    case "alie":
      if (extra !== undefined) throw new OptionsError(option, text, EXPECTED);
      return { kind, fraction };
    default:
      throw new OptionsError(option, text, EXPECTED);
  }
}

/** The spec back as text, every parameter spelled out (for config.json). */
export function formatAttack(spec: AttackSpec): string {
  switch (spec.kind) {
    case "sign-flip":
      return `sign-flip:${spec.fraction}:${spec.scale}`;
    case "gaussian":
      return `gaussian:${spec.fraction}:${spec.std}`;
    case "label-flip":
    case "alie":
      return `${spec.kind}:${spec.fraction}`;
  }
}

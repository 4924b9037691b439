/**
 * The Redis trainer's settings that `blazefl run` takes from the environment (its command line
 * has `--redis` only): the run id, the key prefix and the timeouts.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { assertKeyName } from "./keyspace.js";
import type { RedisClientTrainerOptions } from "./redis-trainer.js";

/** Environment variables read by {@link redisTrainerEnvOptions}, with the option each sets. */
export const REDIS_TRAINER_ENV = {
  BLAZEFL_RUN_ID: "runId",
  BLAZEFL_REDIS_PREFIX: "prefix",
  BLAZEFL_REDIS_CONNECT_TIMEOUT_MS: "connectTimeoutMs",
  BLAZEFL_REDIS_RESULT_TIMEOUT_MS: "resultTimeoutMs",
} as const;

type EnvOptions = Partial<
  Pick<RedisClientTrainerOptions, "runId" | "prefix" | "connectTimeoutMs" | "resultTimeoutMs">
>;

/**
 * Reads {@link REDIS_TRAINER_ENV} from `env`; unset variables are left out.
 * @throws OptionsError naming the variable.
 */
export function redisTrainerEnvOptions(env: NodeJS.ProcessEnv = process.env): EnvOptions {
  const out: Record<string, string | number> = {};
  for (const [name, option] of Object.entries(REDIS_TRAINER_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    if (option === "runId" || option === "prefix") {
      assertKeyName(name, raw);
      out[option] = raw;
    } else {
      const value = Number(raw);
      if (!Number.isInteger(value) || value <= 0)
        throw new OptionsError(name, raw, "a positive integer number of milliseconds");
      out[option] = value;
    }
  }
  return out as EnvOptions;
}

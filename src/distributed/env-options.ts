/**
 * The Redis settings that `blazefl run` and `blazefl worker` take from the environment: the URL
 * (so its password stays out of `ps` and shell history), the run id, the key prefix and the
 * timeouts.
 * @module
 */
import { OptionsError } from "../core/errors.js";
import { assertKeyName } from "./keyspace.js";
import type { RedisClientTrainerOptions } from "./redis-trainer.js";
import { parseRedisUrl } from "./redis-url.js";

/** The environment variable read when `--redis` is not given (keeps passwords off `ps`). */
export const REDIS_URL_ENV = "BLAZEFL_REDIS_URL";

/**
 * The Redis URL: `flag` when given, else `$BLAZEFL_REDIS_URL`. Checked here (errors show it
 * with its password hidden). Store it, print it or write it to disk only as
 * `redactRedisUrl(url)`.
 * @throws OptionsError naming `option` when neither is set or the URL is malformed.
 */
export function resolveRedisUrl(
  flag: unknown,
  env: NodeJS.ProcessEnv = process.env,
  option = "--redis",
): string {
  const fromEnv = env[REDIS_URL_ENV];
  const url = flag ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined);
  if (url === undefined)
    throw new OptionsError(
      option,
      undefined,
      `a redis:// or rediss:// URL (or set ${REDIS_URL_ENV})`,
    );
  parseRedisUrl(url, flag !== undefined ? option : REDIS_URL_ENV);
  return url as string;
}

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

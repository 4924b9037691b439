/**
 * Connecting to Redis without ever hanging: reconnects back off exponentially, and the first
 * connection must be ready within a deadline or a {@link DistributedError} says why.
 * @module
 */
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { Redis } from "ioredis";
import { AbortError, OptionsError } from "../core/errors.js";
import { DistributedError } from "./errors.js";
import type { RedisConnectionConfig } from "./redis-url.js";

/** How to connect, besides where (the URL). */
export interface RedisConnectOptions {
  /**
   * How long the first connection may take, retries included, before a `DistributedError`.
   * @default 30000
   */
  readonly connectTimeoutMs?: number;
  /** Extra TLS options merged over a `rediss://` URL's (e.g. `ca` for a private CA). */
  readonly tls?: TlsConnectionOptions;
  /** The client name shown by `CLIENT LIST`. */
  readonly connectionName?: string;
  /** Aborting it gives up at once with an `AbortError`. */
  readonly signal?: AbortSignal;
}

/** The default of {@link RedisConnectOptions.connectTimeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * The delay before reconnect attempt `times` (1-based): 100 ms doubling up to 2 s, so a
 * restarted Redis is found again quickly and a dead one is not hammered.
 */
export function reconnectDelayMs(times: number): number {
  return Math.min(100 * 2 ** Math.max(0, times - 1), 2000);
}

const AUTH_ERROR = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username-password/i;

/** Client options both ioredis and BullMQ accept. */
export interface RedisClientOptions {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: TlsConnectionOptions;
  readonly connectionName?: string;
  /** Null: commands wait for a reconnect (BullMQ requires it); callers bound their waits. */
  readonly maxRetriesPerRequest: null;
  /** The reconnect delay; see {@link reconnectDelayMs}. */
  readonly retryStrategy: (times: number) => number;
}

/**
 * The client options for `config`: the URL's host, port, credentials, database and TLS, and
 * the backoff of {@link reconnectDelayMs}. `maxRetriesPerRequest` is null (BullMQ requires it),
 * so callers bound their waits themselves.
 */
export function redisOptions(
  config: RedisConnectionConfig,
  options: RedisConnectOptions = {},
): RedisClientOptions {
  const tls =
    config.tls !== undefined || options.tls !== undefined
      ? { ...(config.tls ?? {}), ...(options.tls ?? {}) }
      : undefined;
  return {
    host: config.host,
    port: config.port,
    db: config.db,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(options.connectionName !== undefined ? { connectionName: options.connectionName } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelayMs,
  };
}

/** Validates a timeout option (a positive number of milliseconds). */
export function assertTimeoutMs(option: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw new OptionsError(option, value, "a positive number of milliseconds");
}

/**
 * Opens a Redis connection and waits until it is ready (authenticated, database selected).
 * Reconnects back off ({@link reconnectDelayMs}); a wrong password fails at once.
 * @throws DistributedError when Redis is not ready within `connectTimeoutMs`, naming the URL
 *   (without its password), the number of attempts and the last error; AbortError when
 *   `signal` aborts first.
 */
export async function connectRedis(
  config: RedisConnectionConfig,
  options: RedisConnectOptions = {},
): Promise<Redis> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  assertTimeoutMs("connectTimeoutMs", timeoutMs);
  let attempts = 1;
  let lastError: Error | undefined;
  const client = new Redis({
    ...redisOptions(config, options),
    lazyConnect: true,
    retryStrategy: (times: number) => {
      attempts = times + 1;
      return reconnectDelayMs(times);
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => {
        cleanup();
        reject(
          new DistributedError(
            `Could not connect to Redis at ${config.redacted}: ${reason}`,
            lastError !== undefined ? { cause: lastError } : {},
          ),
        );
      };
      const timer = setTimeout(
        () =>
          fail(
            `not ready after ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? "" : "s"}; last error: ${lastError?.message ?? "none"})`,
          ),
        timeoutMs,
      );
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onError = (error: Error) => {
        lastError = error;
        if (AUTH_ERROR.test(error.message)) fail(`authentication failed (${error.message})`);
      };
      const onAbort = () => {
        cleanup();
        reject(new AbortError(`Connecting to Redis at ${config.redacted} was aborted`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off("ready", onReady);
        client.off("error", onError);
        options.signal?.removeEventListener("abort", onAbort);
      };
      if (options.signal?.aborted) {
        onAbort();
        return;
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
      client.on("ready", onReady);
      client.on("error", onError);
      client.connect().catch((error: unknown) => {
        if (error instanceof Error) lastError = error;
      });
    });
    if (config.db !== 0) {
      // ioredis reports a failed SELECT as an error event and still becomes "ready", on
      // database 0: check the database here, so a wrong one fails now and says which.
      try {
        await client.select(config.db);
      } catch (error) {
        throw new DistributedError(
          `Redis at ${config.redacted} has no database ${config.db} (${error instanceof Error ? error.message : String(error)}); its \`databases\` setting bounds the URL's /db`,
          { cause: error },
        );
      }
    }
  } catch (error) {
    client.disconnect();
    throw error;
  }
  // Later errors are reconnected by the backoff; callers bound their own waits. Without a
  // listener ioredis would print every one of them.
  client.on("error", () => {});
  return client;
}

/** Closes `client` politely (QUIT) when it is connected, at once otherwise; never throws. */
export async function closeRedis(client: Redis | undefined): Promise<void> {
  if (client === undefined) return;
  if (client.status === "ready") {
    const quit = client.quit();
    // Once disconnect() below runs, a QUIT still pending rejects: that is expected.
    quit.catch(() => {});
    await Promise.race([quit, new Promise((resolve) => setTimeout(resolve, 1000).unref())]).catch(
      () => {},
    );
  }
  client.disconnect();
}

/**
 * Redis connection URLs: `redis://[[user]:password@]host[:port][/db]` and `rediss://` (TLS).
 * Parsed once, here, into a plain {@link RedisConnectionConfig}; passwords never appear in
 * messages (see {@link redactRedisUrl}).
 * @module
 */
import { isIP } from "node:net";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { OptionsError } from "../core/errors.js";

/** Where and how to connect to Redis, as parsed from a URL. */
export interface RedisConnectionConfig {
  /** The host name or IP address. */
  readonly host: string;
  /** The TCP port. @default 6379 */
  readonly port: number;
  /** The ACL user name, if the URL has one. */
  readonly username?: string;
  /** The password, if the URL has one (percent-decoded). */
  readonly password?: string;
  /** The logical database. @default 0 */
  readonly db: number;
  /**
   * TLS options for `rediss://` URLs (undefined for `redis://`). The server's certificate is
   * verified against Node's trusted CAs (add yours with `NODE_EXTRA_CA_CERTS`); `servername` is
   * set for host names (SNI), not for IP addresses.
   */
  readonly tls?: TlsConnectionOptions;
  /** The URL with its password replaced by `***`, for messages. */
  readonly redacted: string;
}

/** Returns `url` with the password (if any) replaced by `***`; never throws. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href;
  } catch {
    // Not a URL: hide anything between "://" and "@" that could be a secret.
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

const EXPECTED = "a redis://[user:password@]host[:port][/db] or rediss:// (TLS) URL";

/**
 * Parses a `redis://` or `rediss://` URL.
 * @param url - The URL.
 * @param option - The option named in errors. @default "--redis"
 * @throws OptionsError for anything else (the error shows the URL without its password).
 */
export function parseRedisUrl(url: unknown, option = "--redis"): RedisConnectionConfig {
  if (typeof url !== "string" || url.trim() === "") throw new OptionsError(option, url, EXPECTED);
  const redacted = redactRedisUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new OptionsError(option, redacted, EXPECTED, { cause: error });
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new OptionsError(option, redacted, EXPECTED);
  // WHATWG URLs keep IPv6 hosts in brackets; sockets want them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new OptionsError(option, redacted, `${EXPECTED} with a host`);
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new OptionsError(option, redacted, `${EXPECTED} with a port in [1, 65535]`);
  const path = parsed.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isSafeInteger(db))
    throw new OptionsError(option, redacted, `${EXPECTED} whose path is a database number`);
  if (parsed.search !== "" || parsed.hash !== "")
    throw new OptionsError(option, redacted, `${EXPECTED} without query or fragment`);
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
    password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  } catch (error) {
    throw new OptionsError(option, redacted, `${EXPECTED} with valid percent-encoding`, {
      cause: error,
    });
  }
  const tls: TlsConnectionOptions | undefined =
    parsed.protocol === "rediss:" ? (isIP(host) === 0 ? { servername: host } : {}) : undefined;
  return {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    ...(tls !== undefined ? { tls } : {}),
    redacted,
  };
}

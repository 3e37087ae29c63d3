/**
 * `s3://BUCKET?endpoint=https://HOST[:PORT]&region=REGION` → where an S3 mailbox lives, and
 * the courier's S3 credentials (environment, or a 0600 file in the courier home).
 *
 * The URL never carries credentials: a URL ends up in shell history, `status` output and bug
 * reports. So a URL with user:password in its endpoint is refused, and no error message here
 * echoes the URL or a credential back (only which part is wrong).
 */
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { AirlockError, errnoCode } from "@airlock/shared";

export interface S3Location {
  /** `http(s)://host[:port]`, no path: requests are path-style (`/<bucket>/<key>`). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export const DEFAULT_S3_REGION = "us-east-1";
export const S3_CREDENTIALS_FILE = "s3-credentials.json";
const URL_HINT = "write it as s3://BUCKET?endpoint=https://HOST[:PORT]&region=REGION (credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the courier's s3-credentials.json, never in the URL)";
const CREDENTIALS_HINT = `set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write {"accessKeyId": "…", "secretAccessKey": "…"} to ${S3_CREDENTIALS_FILE} in the courier home with mode 0600`;

function badUrl(why: string): AirlockError {
  return new AirlockError("MAILBOX_BAD_URL", `not a usable s3: mailbox URL: ${why}`, { hint: URL_HINT });
}

/** S3 bucket naming rules (the strict, DNS-compatible set every S3 implementation accepts). */
export function isBucketName(bucket: unknown): bucket is string {
  return (
    typeof bucket === "string" &&
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) &&
    !bucket.includes("..") &&
    !bucket.includes(".-") &&
    !bucket.includes("-.") &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(bucket)
  );
}

export function isRegion(region: unknown): region is string {
  return typeof region === "string" && /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(region);
}

/** Validates an endpoint and returns it as `scheme://host[:port]`; throws MAILBOX_BAD_URL. */
export function normalizeEndpoint(endpoint: unknown): string {
  if (typeof endpoint !== "string" || endpoint === "") throw badUrl("the endpoint is missing");
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw badUrl("the endpoint is not a URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw badUrl("the endpoint must start with http:// or https://");
  if (parsed.username !== "" || parsed.password !== "") throw badUrl("the endpoint must not contain credentials");
  if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") throw badUrl("the endpoint must have no path, query or fragment");
  if (parsed.hostname === "") throw badUrl("the endpoint has no host");
  return `${parsed.protocol}//${parsed.host}`;
}

/** Parses `s3://BUCKET?endpoint=…&region=…`; anything else is MAILBOX_BAD_URL. */
export function parseS3Url(url: string): S3Location {
  if (typeof url !== "string") throw badUrl("it is not a string");
  if (url.length > 2048) throw badUrl("it is longer than 2048 characters");
  // Control characters and spaces: a pasted URL with a stray newline must not half-parse.
  if ([...url].some((c) => c <= " " || c === "\u007f")) throw badUrl("it contains spaces or control characters");
  const m = /^s3:\/\/([^/?#]*)\/?(?:\?([^#]*))?$/.exec(url);
  if (m === null) throw badUrl("it must be s3://BUCKET?endpoint=… with no path or fragment");
  const bucket = m[1]!;
  if (!isBucketName(bucket)) throw badUrl("the bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'");
  const params = new URLSearchParams(m[2] ?? "");
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (key !== "endpoint" && key !== "region") throw badUrl(`unknown parameter ${JSON.stringify(key.slice(0, 40))} (allowed: endpoint, region)`);
    if (seen.has(key)) throw badUrl(`the ${key} parameter is given twice`);
    seen.add(key);
  }
  const endpoint = normalizeEndpoint(params.get("endpoint") ?? "");
  const region = params.get("region") ?? DEFAULT_S3_REGION;
  if (!isRegion(region)) throw badUrl("the region must be letters, digits, '-' or '_' (e.g. us-east-1)");
  return { endpoint, bucket, region };
}

function credentialsError(message: string, cause?: unknown): AirlockError {
  return new AirlockError("MAILBOX_CREDENTIALS", message, { hint: CREDENTIALS_HINT, cause });
}

/** Checks shape only; the values are never put into a message. */
export function checkCredentials(c: unknown): S3Credentials {
  const ok = (v: unknown, max: number): v is string => typeof v === "string" && v.length > 0 && v.length <= max && /^[\x21-\x7e]+$/.test(v);
  const o = c as Partial<S3Credentials> | null;
  if (typeof o !== "object" || o === null || !ok(o.accessKeyId, 128) || !ok(o.secretAccessKey, 256)) {
    throw credentialsError("the S3 credentials are missing or malformed (an access key id and a secret key of printable ASCII are needed)");
  }
  return { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey };
}

/**
 * The courier's S3 credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY if set (both, or it
 * is an error: half a pair is a mistake, not a reason to fall back silently), else
 * `<home>/s3-credentials.json`, which must be a regular file (no symlink) readable by its
 * owner only, like an ssh key.
 */
export async function loadS3Credentials(o: { home: string; env?: NodeJS.ProcessEnv }): Promise<S3Credentials> {
  const env = o.env ?? process.env;
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (id !== undefined || secret !== undefined) {
    if (id === undefined || secret === undefined) throw credentialsError("only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set");
    return checkCredentials({ accessKeyId: id, secretAccessKey: secret });
  }
  const path = join(o.home, S3_CREDENTIALS_FILE);
  let text: string;
  try {
    const stats = await lstat(path);
    if (!stats.isFile()) throw credentialsError(`${path} is not a regular file`);
    if ((stats.mode & 0o077) !== 0) throw credentialsError(`${path} is readable by other users; run chmod 600 on it`);
    if (stats.size > 4096) throw credentialsError(`${path} is larger than 4096 bytes`);
    text = await readFile(path, "utf8");
  } catch (e) {
    if (e instanceof AirlockError) throw e;
    if (errnoCode(e) === "ENOENT") throw credentialsError(`no S3 credentials: the environment has none and ${path} does not exist`);
    throw credentialsError(`cannot read ${path}: ${(e as Error).message}`, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw credentialsError(`${path} is not JSON`); // no parser message: it may quote the secret
  }
  const keys = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : [];
  if (keys.length !== 2 || !keys.includes("accessKeyId") || !keys.includes("secretAccessKey")) {
    throw credentialsError(`${path} must hold exactly {"accessKeyId": …, "secretAccessKey": …}`);
  }
  return checkCredentials(parsed);
}

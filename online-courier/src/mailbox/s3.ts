/**
 * The `s3:` mailbox: bundles as objects `<namespace>/<sha256>.airlock` in a bucket of any
 * S3-compatible store (AWS, Ceph radosgw, MinIO, Garage…), path-style requests. The store is
 * untrusted like every transport: it may be compromised or simply corrupt, so every get bounds
 * the size before buffering (Content-Length, then a hard cut of the stream) and checks the
 * bytes against their digest name before anything is returned. Spec: docs/s3-mailbox.md.
 *
 * Cursors: S3 lists keys in lexicographic order, and our keys are hashes, so "after the last
 * key seen" is meaningless; LastModified is set by the server when an upload *starts*, so an
 * upload that finishes after a list can carry an earlier time than objects that list returned.
 * So this backend does what `dir:` does: each list() is a full paginated listing of the
 * namespace, reconciled into a SequenceIndex (names numbered in the order this instance first
 * observes them). Invariants: listings run one at a time (a slow listing never overwrites a
 * newer one's view); put() never touches the index (only listings number names, so a name is
 * never numbered twice while present); delete() drops the name so a later re-put relists it.
 */
import { createHash } from "node:crypto";
import { Readable, Transform, pipeline } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { AirlockError, errnoCode } from "@airlock/shared";
import {
  checkMaxBytes,
  checkName,
  checkPut,
  checkSize,
  digestHex,
  isMailboxName,
  mailboxError,
  MAILBOX_SUFFIX,
  SequenceIndex,
  type CallOptions,
  type MailboxBackend,
  type MailboxListing,
  type MailboxName,
} from "./backend.js";
import { abortError, checkDeadlineMs, raceAbort, withDeadline } from "./deadline.js";
import { checkCredentials, isBucketName, isRegion, normalizeEndpoint, DEFAULT_S3_REGION, type S3Credentials } from "./s3-url.js";

/**
 * The most bytes of a listing page (ListObjectsV2's XML) the SDK may read: 8 MiB. The SDK buffers
 * and parses a page whole, so without a bound a hostile store decides how much memory one page
 * takes (issue R9: 267 MiB took a courier from 76 to 448 MiB). An honest page holds at most
 * 1 000 entries (MaxKeys counts keys and common prefixes together). Ours are 106-byte keys: a full
 * page of them from radosgw measured 318 KB (318 bytes an entry), a 26th of the bound. Even 1 000
 * foreign keys of S3's longest (1 024 bytes), every byte escaped as `&quot;` (6 bytes), with 1 KiB
 * of metadata each, come to 7.0 MiB. docs/s3-mailbox.md, "Limits".
 */
export const MAX_S3_LISTING_BYTES = 8 * 1024 * 1024;
/**
 * The most bytes of any other answer the SDK parses: error documents (S3's are well under 1 KiB)
 * and the bodies of put, delete and create-bucket answers (empty). A get's bundle is not
 * counted here: #readBounded cuts it at maxBundleBytes.
 */
export const MAX_S3_ANSWER_BYTES = 64 * 1024;

/** What every courier sends as its User-Agent to an S3 store: the same for all, naming no version. */
export const S3_USER_AGENT = "airlock-courier";

export { parseS3Url, loadS3Credentials, type S3Location, type S3Credentials } from "./s3-url.js";

export const S3_MAILBOX_HINTS = {
  MAILBOX_UNREACHABLE: "the S3 endpoint did not answer; check the endpoint in the mailbox URL, the network, and that the service is up",
  MAILBOX_AUTH: "the S3 service refused the credentials; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or s3-credentials.json), the user's rights on the bucket, and this machine's clock",
  MAILBOX_NO_BUCKET: "the bucket in the mailbox URL does not exist; create it, or check its name",
  MAILBOX_IO: "the S3 service answered with an error; it is retried on the next sync",
} as const;
const S3_ANSWER_TOO_LARGE_HINT =
  "the S3 service sent an answer larger than any honest store sends, so the courier stopped reading it and used nothing of it; the store may be hostile or broken: check who runs it (docs/s3-mailbox.md, \"Limits\")";
export type S3MailboxErrorCode = keyof typeof S3_MAILBOX_HINTS;

function s3Error(code: S3MailboxErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: S3_MAILBOX_HINTS[code], cause });
}

export interface S3MailboxOptions {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region?: string;
  readonly credentials: S3Credentials;
  /** Key prefix: the 32-hex mailbox id. Objects live at `<namespace>/<name>`. */
  readonly namespace: string;
  readonly maxBundleBytes?: number;
  /** Create the bucket on first use if it does not exist (default false). */
  readonly createBucket?: boolean;
  /** Keys per ListObjectsV2 page (1..1000, default 1000); small values are for tests. */
  readonly listPageSize?: number;
  /** Refuse (MAILBOX_TOO_MANY) a namespace holding more keys than this (default 100 000). */
  readonly maxEntries?: number;
  /** Attempts per request, including the first (default 3; the SDK backs off between them). */
  readonly maxAttempts?: number;
  /** Connect timeout and socket idle timeout, ms (default 10 000 and 60 000). */
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /**
   * Total deadline of one call (all its attempts, and the body of a get), default 5 min. The
   * SDK's own requestTimeout is set to it too, with throwOnRequestTimeout, so a silent endpoint
   * fails the attempt instead of only logging a warning.
   */
  readonly deadlineMs?: number;
}

const AUTH_CODES = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "RequestTimeTooSkewed",
  "Forbidden",
]);
const NETWORK_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ECONNABORTED"]);

export class S3Mailbox implements MailboxBackend {
  readonly maxBundleBytes: number;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #createBucket: boolean;
  readonly #pageSize: number;
  readonly #maxEntries: number;
  readonly #deadlineMs: number;
  readonly #index = new SequenceIndex();
  #scan: Promise<unknown> = Promise.resolve();
  #bucketReady: Promise<void> | undefined;

  constructor(o: S3MailboxOptions) {
    const endpoint = normalizeEndpoint(o.endpoint);
    if (!isBucketName(o.bucket)) throw new RangeError(`"bucket" is not an S3 bucket name: ${JSON.stringify(String(o.bucket).slice(0, 80))}`);
    const region = o.region ?? DEFAULT_S3_REGION;
    if (!isRegion(region)) throw new RangeError(`"region" is not a region name: ${JSON.stringify(String(region).slice(0, 80))}`);
    if (typeof o.namespace !== "string" || !/^[0-9a-f]{32}$/.test(o.namespace)) throw new RangeError('"namespace" must be 32 lowercase hex digits (a mailbox id)');
    this.maxBundleBytes = checkMaxBytes(o.maxBundleBytes);
    this.#pageSize = o.listPageSize ?? 1000;
    if (!Number.isSafeInteger(this.#pageSize) || this.#pageSize < 1 || this.#pageSize > 1000) throw new RangeError(`listPageSize must be 1..1000, got ${this.#pageSize}`);
    this.#maxEntries = o.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${this.#maxEntries}`);
    this.#bucket = o.bucket;
    this.#prefix = `${o.namespace}/`;
    this.#createBucket = o.createBucket ?? false;
    this.#deadlineMs = checkDeadlineMs("deadlineMs", o.deadlineMs ?? 300_000);
    this.#client = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: checkCredentials(o.credentials),
      maxAttempts: o.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: o.connectTimeoutMs ?? 10_000,
        socketTimeout: o.idleTimeoutMs ?? 60_000,
        requestTimeout: this.#deadlineMs,
        throwOnRequestTimeout: true,
      },
      // The SDK's default CRC32 trailers (aws-chunked uploads) are not understood by many
      // S3-compatible stores (radosgw before Reef among them). Integrity does not depend on
      // them: put sends Content-MD5, and get checks the SHA-256 the name promises.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    // The SDK's User-Agent names the kernel, the Node and SDK versions and the features used: a
    // fingerprint of this courier for every store it talks to (issue 17). Replaced, not extended,
    // under the SDK's own middleware name, before the request is signed.
    this.#client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers !== undefined) {
          request.headers["user-agent"] = S3_USER_AGENT;
          delete request.headers["x-amz-user-agent"];
        }
        return next(args);
      },
      { step: "build", priority: "low", name: "getUserAgentMiddleware", override: true },
    );
    // Every answer body the SDK parses is bounded before it buffers any of it (R9). The lowest
    // priority of the last step puts this middleware next to the HTTP handler, inside the
    // deserializer and S3's throw200Exceptions (which reads a 2xx body whole too).
    const where = `${new URL(endpoint).host} (bucket ${o.bucket})`;
    this.#client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const response = result.response as { statusCode?: unknown; headers?: Record<string, string | undefined>; body?: unknown };
        const ok = typeof response.statusCode === "number" && response.statusCode >= 200 && response.statusCode < 300;
        if (ok && context.commandName === "GetObjectCommand") return result; // the bundle: #readBounded cuts it
        const listing = ok && context.commandName === "ListObjectsV2Command";
        response.body = boundedBody(response.body, response.headers?.["content-length"], {
          limit: listing ? MAX_S3_LISTING_BYTES : MAX_S3_ANSWER_BYTES,
          what: listing ? "a listing page" : "an answer",
          where,
        });
        return result;
      },
      { step: "deserialize", priority: "low", name: "airlockBoundedBodyMiddleware" },
    );
  }

  async put(name: string, bundle: Uint8Array, options: CallOptions = {}): Promise<void> {
    const checked = checkPut(name, bundle, this.maxBundleBytes);
    await this.#call(`storing ${checked}`, options.signal, (signal) => this.#put(checked, bundle, signal));
  }

  async #put(checked: MailboxName, bundle: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.#ensureBucket(signal);
    // No "exists?" round trip first: the bytes are fixed by the name, so overwriting is the
    // same as keeping, and it also repairs an object a corrupt store damaged.
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + checked,
          Body: bundle,
          ContentLength: bundle.length,
          ContentMD5: createHash("md5").update(bundle).digest("base64"),
          ContentType: "application/octet-stream",
        }),
        { abortSignal: signal },
      );
    } catch (e) {
      throw classify(e, `cannot store ${checked}`, signal);
    }
  }

  list(since?: string, options: CallOptions = {}): Promise<MailboxListing> {
    const run = this.#scan.then(() =>
      this.#call("listing the S3 mailbox", options.signal, async (signal) => {
        const names = await this.#listNames(signal);
        // An abandoned listing (deadline passed) must not overwrite the view of a later one.
        if (signal.aborted) throw abortError(signal);
        this.#index.reconcile(names);
        return this.#index.list(since);
      }),
    );
    this.#scan = run.catch(() => undefined);
    return run;
  }

  async get(name: string, options: CallOptions = {}): Promise<Uint8Array | undefined> {
    const checked = checkName(name);
    return this.#call(`reading ${checked}`, options.signal, (signal) => this.#get(checked, signal));
  }

  async #get(checked: MailboxName, signal: AbortSignal): Promise<Uint8Array | undefined> {
    await this.#ensureBucket(signal);
    let body: AsyncIterable<Uint8Array> & { destroy?: () => void };
    let declared: number | undefined;
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + checked }), { abortSignal: signal });
      body = out.Body as unknown as AsyncIterable<Uint8Array> & { destroy?: () => void };
      declared = out.ContentLength;
    } catch (e) {
      if (errorCode(e) === "NoSuchKey" || (httpStatus(e) === 404 && errorCode(e) !== "NoSuchBucket")) return undefined;
      throw classify(e, `cannot read ${checked}`, signal);
    }
    if (body === undefined) throw s3Error("MAILBOX_IO", `the S3 service sent no body for ${checked}`);
    if (declared !== undefined) {
      try {
        checkSize(declared, this.maxBundleBytes); // before allocating anything
      } catch (e) {
        body.destroy?.();
        throw e;
      }
    }
    // A body trickling past the deadline: the stream is destroyed, so the read ends now.
    const stop = (): void => body.destroy?.();
    signal.addEventListener("abort", stop, { once: true });
    let bytes: Uint8Array;
    try {
      bytes = await raceAbort(this.#readBounded(body, checked, declared), signal);
    } finally {
      signal.removeEventListener("abort", stop);
    }
    if (`${digestHex(bytes)}${MAILBOX_SUFFIX}` !== checked) {
      throw mailboxError("MAILBOX_DIGEST_MISMATCH", `${checked} in the S3 mailbox does not hold the bytes its name promises`);
    }
    return bytes;
  }

  async delete(name: string, options: CallOptions = {}): Promise<void> {
    const checked = checkName(name);
    await this.#call(`removing ${checked}`, options.signal, async (signal) => {
      await this.#ensureBucket(signal);
      try {
        // S3 answers 204 for a missing key too, so "already gone" needs no special case.
        await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + checked }), { abortSignal: signal });
      } catch (e) {
        throw classify(e, `cannot remove ${checked}`, signal);
      }
    });
    this.#index.remove(checked);
  }

  /** One call under its total deadline and the caller's signal (see deadline.ts). */
  #call<T>(what: string, outer: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.#deadlineMs, outer, `${what} on the S3 mailbox`, work);
  }

  /** Closes the HTTP connections the client keeps alive. The mailbox must not be used after. */
  close(): void {
    this.#client.destroy();
  }

  /** Reads at most maxBundleBytes (a lying or missing Content-Length cannot make us buffer more). */
  async #readBounded(body: AsyncIterable<Uint8Array>, name: MailboxName, declared: number | undefined): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      // Leaving the loop early (throw) calls the iterator's return(), which destroys the stream.
      for await (const chunk of body) {
        total += chunk.length;
        checkSize(total, this.maxBundleBytes);
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof AirlockError) throw e;
      throw classify(e, `cannot read ${name}`);
    }
    if (declared !== undefined && total !== declared) {
      throw mailboxError("MAILBOX_DIGEST_MISMATCH", `${name}: the S3 service sent ${total} bytes of the ${declared} it announced`);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }
    return bytes;
  }

  async #listNames(signal: AbortSignal): Promise<Set<MailboxName>> {
    await this.#ensureBucket(signal);
    const present = new Set<MailboxName>();
    let token: string | undefined;
    let entries = 0;
    do {
      let page;
      try {
        page = await this.#client.send(
          // Delimiter "/": keys in deeper "folders" are not ours and are not even listed.
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, Delimiter: "/", MaxKeys: this.#pageSize, ContinuationToken: token }),
          { abortSignal: signal },
        );
      } catch (e) {
        throw classify(e, "cannot list the S3 mailbox", signal);
      }
      const contents = page.Contents ?? [];
      // Counting at least one per page bounds a server that sends empty truncated pages forever.
      entries += Math.max(1, contents.length + (page.CommonPrefixes?.length ?? 0));
      if (entries > this.#maxEntries) {
        throw mailboxError("MAILBOX_TOO_MANY", `the S3 mailbox holds more than ${this.#maxEntries} entries`);
      }
      for (const object of contents) {
        const key = object.Key;
        if (typeof key !== "string" || !key.startsWith(this.#prefix)) continue;
        const rest = key.slice(this.#prefix.length);
        if (isMailboxName(rest)) present.add(rest);
      }
      if (page.IsTruncated === true) {
        const next = page.NextContinuationToken;
        if (typeof next !== "string" || next === "" || next === token) {
          throw s3Error("MAILBOX_IO", "the S3 service sent a truncated listing without a new continuation token");
        }
        token = next;
      } else {
        token = undefined;
      }
    } while (token !== undefined);
    return present;
  }

  #ensureBucket(signal: AbortSignal): Promise<void> {
    if (!this.#createBucket) return Promise.resolve();
    this.#bucketReady ??= this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }), { abortSignal: signal }).then(
      () => undefined,
      (e: unknown) => {
        const code = errorCode(e);
        if (code === "BucketAlreadyOwnedByYou" || code === "BucketAlreadyExists") return;
        this.#bucketReady = undefined; // try again on the next call
        throw classify(e, `cannot create the bucket ${this.#bucket}`, signal);
      },
    );
    return this.#bucketReady;
  }
}

/**
 * An answer body past its bound. It carries an (empty) `$metadata`, so the SDK's deserializer
 * passes it on as it is and its retry strategy does not see a transient failure: one page of a
 * hostile store is read once, not once per attempt. classify() turns it into MAILBOX_TOO_LARGE.
 */
class AnswerTooLarge extends Error {
  override readonly name = "AirlockAnswerTooLarge";
  readonly $metadata = {};
  constructor(readonly bound: { readonly limit: number; readonly what: string; readonly where: string }) {
    super(`the S3 service sent more than ${bound.limit} bytes for ${bound.what}`);
  }
}

/**
 * `body` (the SDK's HTTP response stream) cut at `limit` bytes: a larger Content-Length fails at
 * once, and a stream that goes past the limit fails as it does, which also destroys the response
 * and its socket, so nothing more is downloaded. A body that is not a stream is left as it is.
 */
function boundedBody(body: unknown, declared: string | undefined, bound: AnswerTooLarge["bound"]): unknown {
  if (!(body instanceof Readable)) return body;
  if (declared !== undefined && /^[0-9]{1,15}$/.test(declared) && Number(declared) > bound.limit) {
    body.destroy();
    throw new AnswerTooLarge(bound);
  }
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done): void {
      seen += chunk.length;
      if (seen > bound.limit) done(new AnswerTooLarge(bound));
      else done(null, chunk);
    },
  });
  pipeline(body, counted, () => undefined); // an error in either destroys both
  return counted;
}

function findAnswerTooLarge(e: unknown): AnswerTooLarge | undefined {
  for (let x = e, depth = 0; x !== null && typeof x === "object" && depth < 8; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof AnswerTooLarge) return x;
  }
  return undefined;
}

function errorCode(e: unknown): string | undefined {
  const o = e as { Code?: unknown; name?: unknown } | null;
  if (typeof o?.Code === "string") return o.Code;
  return typeof o?.name === "string" ? o.name : undefined;
}

function httpStatus(e: unknown): number | undefined {
  const status = (e as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** A short, printable excerpt of a server-chosen string (a hostile store controls it). */
function excerpt(s: unknown): string {
  return String(s)
    .replace(/[^\x20-\x7e]/g, "?")
    .slice(0, 200);
}

/** Maps an SDK or network error onto a typed mailbox error; keeps the original as `cause`. An aborted call gets its signal's typed reason. */
export function classify(e: unknown, what: string, signal?: AbortSignal): Error {
  if (e instanceof AirlockError) return e;
  if (signal?.aborted === true) return abortError(signal);
  const tooLarge = findAnswerTooLarge(e);
  if (tooLarge !== undefined) {
    const { limit, what: part, where } = tooLarge.bound;
    return new AirlockError(
      "MAILBOX_TOO_LARGE",
      `${what}: the S3 service at ${where} sent more than ${limit} bytes (${limit / 1024} KiB) for ${part}, the most this courier reads; it stopped reading there`,
      { hint: S3_ANSWER_TOO_LARGE_HINT, cause: e },
    );
  }
  const code = errorCode(e);
  const status = httpStatus(e);
  const errno = errnoCode(e) ?? errnoCode((e as { cause?: unknown } | null)?.cause);
  if (status === undefined && code === "TimeoutError") return mailboxError("MAILBOX_TIMEOUT", `${what}: the S3 endpoint did not answer in time`, e);
  if (status === undefined && (errno !== undefined || code === "TimeoutError" || code === "AbortError")) {
    const detail = errno !== undefined && NETWORK_ERRNOS.has(errno) ? errno : code === "TimeoutError" ? "timed out" : (errno ?? excerpt((e as Error).message));
    return s3Error("MAILBOX_UNREACHABLE", `${what}: the S3 endpoint is unreachable (${detail})`, e);
  }
  if ((code !== undefined && AUTH_CODES.has(code)) || status === 401 || status === 403) {
    return s3Error("MAILBOX_AUTH", `${what}: the S3 service refused access (${excerpt(code ?? status)})`, e);
  }
  if (code === "NoSuchBucket") return s3Error("MAILBOX_NO_BUCKET", `${what}: the bucket does not exist`, e);
  if (code === "EntityTooLarge") return mailboxError("MAILBOX_TOO_LARGE", `${what}: the S3 service refuses objects this large`);
  if (status === undefined) return s3Error("MAILBOX_IO", `${what}: ${excerpt((e as Error | null)?.message ?? e)}`, e);
  return s3Error("MAILBOX_IO", `${what}: the S3 service answered ${status} ${excerpt(code ?? "")}`.trimEnd(), e);
}

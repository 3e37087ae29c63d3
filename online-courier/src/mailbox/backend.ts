/**
 * The one interface every mailbox backend (memory, `dir:`, later S3 / HTTP / onion) implements,
 * in the automerge-repo style: a handful of methods over opaque bytes, plus one shared
 * acceptance suite (acceptance.ts) that every backend's test file runs.
 *
 * Names are content addresses: the SHA-256 of the bundle in lowercase hex + ".airlock". A
 * backend refuses anything else (MAILBOX_BAD_NAME) and refuses a put whose bytes do not hash
 * to the name (MAILBOX_DIGEST_MISMATCH), so a name is safe to use as a dedupe key and a file
 * name. Cursors are opaque to callers; see SequenceIndex for what they mean.
 */
import { createHash, randomBytes } from "node:crypto";
import { AirlockError } from "@airlock/shared";

export type MailboxName = string & { readonly __brand: "MailboxName" };

export interface MailboxListing {
  /** Names first seen after `since`, oldest first by this backend's observation order. */
  readonly names: MailboxName[];
  /** Pass to the next list() to get only names seen after this call. */
  readonly cursor: string;
}

/**
 * Per call: `signal` aborts the call (its reason, a typed MAILBOX_TIMEOUT or MAILBOX_ABORTED
 * error, is what the call rejects with). Network backends stop the request and drop its socket;
 * local ones stop between steps (a file system call in progress cannot be cancelled).
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface MailboxBackend {
  /** Largest bundle put() accepts and get() reads (MAILBOX_TOO_LARGE beyond). */
  readonly maxBundleBytes: number;
  /** Stores `bundle` under `name` (its digest name). Idempotent: an existing name is kept as is. */
  put(name: string, bundle: Uint8Array, options?: CallOptions): Promise<void>;
  /**
   * Names stored now and not returned by the list() that produced `since` (all names without
   * it). Within one cursor chain a name is returned once, unless it is deleted and stored again.
   * A well-formed cursor from another backend instance (e.g. before a restart) lists everything:
   * callers dedupe by name, so that costs a listing, never a duplicate bundle.
   */
  list(since?: string, options?: CallOptions): Promise<MailboxListing>;
  /** The bundle, or undefined if no bundle of that name is stored. */
  get(name: string, options?: CallOptions): Promise<Uint8Array | undefined>;
  /** Removes the bundle; removing a missing name is not an error. */
  delete(name: string, options?: CallOptions): Promise<void>;
  /**
   * Releases pooled resources (HTTP keep-alive sockets and their tor streams). Optional: local
   * backends hold nothing between calls. The courier calls it when it closes.
   */
  close?(): void;
  /**
   * True when the store deletes namespaces past MAILBOX_PRUNE_AGE itself (the HTTP mailbox
   * server, which also refuses tokens that old), so couriers do not prune it.
   */
  readonly prunedByStore?: boolean;
  /** After a prune emptied this namespace, removes its container (a dir: subfolder) if nothing is left in it. */
  removeIfEmpty?(): Promise<void>;
}

export const MAILBOX_SUFFIX = ".airlock";
const NAME_PATTERN = /^[0-9a-f]{64}\.airlock$/;
export const DEFAULT_MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export const MAILBOX_HINTS = {
  MAILBOX_BAD_NAME: "mailbox names are the bundle's SHA-256 in lowercase hex + .airlock; this is a bug in the caller or a tampered listing",
  MAILBOX_DIGEST_MISMATCH: "the bytes do not match their name; the bundle was altered or damaged, so it was not used",
  MAILBOX_TOO_LARGE: "the bundle is larger than this mailbox allows; raise the limit only if you trust the mailbox",
  MAILBOX_BAD_CURSOR: "the sync cursor is damaged; sync again without it (bundles already spooled are skipped)",
  MAILBOX_NOT_A_FILE: "something other than a plain file sits under a bundle's name in the mailbox folder; remove it",
  MAILBOX_TOO_MANY: "the mailbox folder holds more entries than allowed; expire old bundles or raise the limit",
  MAILBOX_IO: "the mailbox folder cannot be read or written; check that it is mounted, writable and not full",
  MAILBOX_TIMEOUT: "the mailbox did not finish within its deadline and was skipped this round; its bundles stay spooled and the next round retries",
  MAILBOX_LINK:
    "a dir: mailbox's namespace folder is a symbolic link (or not a folder): a sync peer may be redirecting the courier's writes; nothing went through it. Remove it (the courier recreates the folder) and check who shares the mailbox folder",
  MAILBOX_ABORTED: "the courier was stopped while talking to the mailbox; nothing half-done was kept, and the next sync retries",
} as const;
export type MailboxErrorCode = keyof typeof MAILBOX_HINTS;

export function mailboxError(code: MailboxErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: MAILBOX_HINTS[code], cause });
}

export function isMailboxName(name: unknown): name is MailboxName {
  return typeof name === "string" && NAME_PATTERN.test(name);
}

export function checkName(name: unknown): MailboxName {
  if (!isMailboxName(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 80)) : typeof name;
    throw mailboxError("MAILBOX_BAD_NAME", `${shown} is not a mailbox name (64 lowercase hex digits + ${MAILBOX_SUFFIX})`);
  }
  return name;
}

export function digestHex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function mailboxNameFor(bundle: Uint8Array): MailboxName {
  return `${digestHex(bundle)}${MAILBOX_SUFFIX}` as MailboxName;
}

export function checkMaxBytes(value: number | undefined): number {
  const v = value ?? DEFAULT_MAX_BUNDLE_BYTES;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`maxBundleBytes must be a positive integer, got ${v}`);
  return v;
}

export function checkSize(size: number, max: number): void {
  if (size > max) throw mailboxError("MAILBOX_TOO_LARGE", `the bundle is ${size} bytes; this mailbox takes at most ${max}`);
}

/** The checks every put() makes before touching storage: name, size (before hashing), digest. */
export function checkPut(name: string, bundle: Uint8Array, max: number): MailboxName {
  const checked = checkName(name);
  if (!(bundle instanceof Uint8Array)) throw new TypeError('"bundle" must be a Uint8Array');
  checkSize(bundle.length, max);
  if (`${digestHex(bundle)}${MAILBOX_SUFFIX}` !== checked) {
    throw mailboxError("MAILBOX_DIGEST_MISMATCH", `the bytes given for ${checked} hash to something else`);
  }
  return checked;
}

/**
 * Cursor bookkeeping shared by the backends. Each backend instance numbers names in the
 * order *it observes them* (a random epoch + a local counter), instead of trusting any
 * timestamp or order written by other peers: Syncthing delivers files in any order and keeps
 * the sender's mtime, so "newer than the newest name/mtime I saw" would skip a file that
 * arrives late. A cursor is `epoch.seq`; list(since) returns names whose seq is above it.
 *
 * Invariants: seq values only grow; a name has at most one seq while present; a name that
 * disappears loses its seq, and gets a fresh, higher one if it comes back.
 */
export class SequenceIndex {
  readonly #epoch = randomBytes(8).toString("hex");
  readonly #seqs = new Map<MailboxName, number>();
  #next = 1;

  /** Records a name as present (no-op if already present). */
  add(name: MailboxName): void {
    if (!this.#seqs.has(name)) this.#seqs.set(name, this.#next++);
  }

  remove(name: MailboxName): void {
    this.#seqs.delete(name);
  }

  has(name: MailboxName): boolean {
    return this.#seqs.has(name);
  }

  /** Makes the index match a full scan: new names get seqs, vanished names lose them. */
  reconcile(present: ReadonlySet<MailboxName>): void {
    for (const name of this.#seqs.keys()) if (!present.has(name)) this.#seqs.delete(name);
    // Sorted so one scan's new names get a deterministic order (readdir order is arbitrary).
    for (const name of [...present].sort()) this.add(name);
  }

  list(since: string | undefined): MailboxListing {
    const after = this.#parse(since);
    const names = [...this.#seqs].filter(([, seq]) => seq > after).sort((a, b) => a[1] - b[1]).map(([n]) => n);
    return { names, cursor: `${this.#epoch}.${this.#next - 1}` };
  }

  #parse(since: string | undefined): number {
    if (since === undefined) return 0;
    const m = typeof since === "string" ? /^([0-9a-f]{16})\.(0|[1-9][0-9]{0,15})$/.exec(since) : null;
    const seq = m === null ? NaN : Number(m[2]);
    if (m === null || !Number.isSafeInteger(seq)) throw mailboxError("MAILBOX_BAD_CURSOR", "the list cursor is not one this mailbox issued");
    if (m[1] !== this.#epoch) return 0; // another instance's numbering: list everything, callers dedupe
    if (seq >= this.#next) throw mailboxError("MAILBOX_BAD_CURSOR", "the list cursor is ahead of this mailbox");
    return seq;
  }
}

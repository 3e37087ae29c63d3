/**
 * The team transport key: a 32-byte per-team secret that vaults share with couriers. It opens
 * and signs nothing; it only lets its holders (a) agree where the team's bundles are stored this
 * epoch, (b) tell the team's real bundles from cover and from strangers' bundles, and (c)
 * authenticate to transports. Spec: docs/transport-key.md.
 *
 * Everything is HKDF-SHA256 / HMAC-SHA256 from node:crypto, keyed by subkeys derived once:
 *   mailbox id(e) = HKDF(k, salt "", info "airlock/v1/transport/mailbox" || u64be(e))[0..16]
 *   tag(kind, e)  = r || HMAC(k_tag, "airlock/v1/transport/tag" || kind || u64be(e) || r)[0..8]
 *                   with r 8 fresh random bytes, kind 0x01 real / 0x02 cover
 *   token(p, e)   = HMAC(k_server, "airlock/v1/transport/token" || u64be(e) || utf8(p))
 * A tag carries no team or epoch in clear: two bundles' tags are unlinkable without the key.
 * k_server alone is what a mailbox server holds (MailboxServerKey): tokens, never tags.
 */
import { createHmac, timingSafeEqual, randomBytes as nodeRandomBytes } from "node:crypto";
import { MAILBOX_TAG_LENGTH, wipe } from "@airlock/bundle-format";
import { concat, epochAt as deriveEpochAt, hkdf, u64be, utf8 } from "./derive.js";
import { MailboxServerKey } from "./mailbox-server-key.js";

export const TRANSPORT_KEY_LENGTH = 32;
/** Default epoch: one UTC day. Mailbox ids and tag validity rotate at each boundary. */
export const DEFAULT_EPOCH_SECONDS = 86_400;
/**
 * How many epochs back a courier still accepts a tag, and how many ahead: an air-gapped
 * laptop's clock may be off, and a bundle may sit on a USB stick for days.
 */
export const DEFAULT_TAG_WINDOW = { past: 14, future: 1 } as const;
/**
 * How far back a courier lists namespaces: to the epoch of its last good sync (so a courier
 * that was off for a weekend still finds what was put meanwhile), at most the tag window, past
 * which every tag would be refused anyway. A courier that never synced lists the whole window.
 */
export const MAILBOX_PULL_BACK = DEFAULT_TAG_WINDOW.past;
/**
 * A namespace this many epochs old is listed by no courier any more, even one whose clock is 3
 * epochs behind (it lists back to its own now − MAILBOX_PULL_BACK), so its bundles may be deleted.
 */
export const MAILBOX_PRUNE_AGE = MAILBOX_PULL_BACK + 1 + 3;

export type TagKind = "real" | "cover";
const KIND_BYTE: Record<TagKind, number> = { real: 1, cover: 2 };
const RANDOM_PART = 8;

const LABEL_MAILBOX = "airlock/v1/transport/mailbox";
const LABEL_TAG_KEY = "airlock/v1/transport/tag-key";
const LABEL_SERVER_KEY = "airlock/v1/transport/auth-key";
const LABEL_TAG = utf8("airlock/v1/transport/tag");

/** The epoch number of a moment: whole epochs since the Unix epoch. */
export function epochAt(nowMs: number, epochSeconds: number = DEFAULT_EPOCH_SECONDS): number {
  return deriveEpochAt(nowMs, epochSeconds);
}

export interface TagMatch {
  readonly kind: TagKind;
  readonly epoch: number;
}

/**
 * Holds the derived subkeys of one team's transport key. Copy in, wipe when done: the
 * caller's array is not kept.
 */
export class TransportKey {
  readonly #key: Uint8Array;
  readonly #tagKey: Uint8Array;
  readonly #server: MailboxServerKey;
  readonly epochSeconds: number;

  constructor(key: Uint8Array, epochSeconds: number = DEFAULT_EPOCH_SECONDS) {
    if (!(key instanceof Uint8Array) || key.length !== TRANSPORT_KEY_LENGTH) {
      throw new TypeError(`a transport key is ${TRANSPORT_KEY_LENGTH} bytes`);
    }
    epochAt(0, epochSeconds); // validates epochSeconds
    this.epochSeconds = epochSeconds;
    this.#key = key.slice();
    this.#tagKey = hkdf(this.#key, LABEL_TAG_KEY, 32);
    const serverKey = hkdf(this.#key, LABEL_SERVER_KEY, 32);
    this.#server = new MailboxServerKey(serverKey, epochSeconds);
    wipe(serverKey);
  }

  static generate(epochSeconds?: number): TransportKey {
    const raw = new Uint8Array(nodeRandomBytes(TRANSPORT_KEY_LENGTH));
    try {
      return new TransportKey(raw, epochSeconds);
    } finally {
      wipe(raw);
    }
  }

  /** A copy of the raw key, for sealing into an enrollment. The caller wipes it. */
  exportKey(): Uint8Array {
    return this.#key.slice();
  }

  epochAt(nowMs: number): number {
    return epochAt(nowMs, this.epochSeconds);
  }

  /** Where this team's bundles of `epoch` are stored: 32 lowercase hex digits. */
  mailboxId(epoch: number): string {
    return Buffer.from(hkdf(this.#key, concat(utf8(LABEL_MAILBOX), u64be(epoch)), 16)).toString("hex");
  }

  /**
   * A 16-byte header tag of `kind` for `epoch`, fresh unless `random` (8 bytes) is given: test
   * vectors, and couriers building the same cover batch from the same real bundles.
   */
  tag(kind: TagKind, epoch: number, random?: Uint8Array): Uint8Array {
    const r = random ?? new Uint8Array(nodeRandomBytes(RANDOM_PART));
    if (r.length !== RANDOM_PART) throw new TypeError(`the tag's random part is ${RANDOM_PART} bytes`);
    const out = new Uint8Array(MAILBOX_TAG_LENGTH);
    out.set(r, 0);
    out.set(this.#tagMac(kind, epoch, r), RANDOM_PART);
    return out;
  }

  /**
   * Which kind and epoch a header tag was made for, trying epochs from `nowEpoch - past` to
   * `nowEpoch + future`; undefined when it is not this team's tag in that window.
   */
  classify(tag: Uint8Array, nowEpoch: number, window: { past: number; future: number } = DEFAULT_TAG_WINDOW): TagMatch | undefined {
    if (!(tag instanceof Uint8Array) || tag.length !== MAILBOX_TAG_LENGTH) return undefined;
    const r = tag.subarray(0, RANDOM_PART);
    const mac = tag.subarray(RANDOM_PART);
    // Newest first: the common case is a bundle sealed today.
    for (let e = nowEpoch + window.future; e >= Math.max(0, nowEpoch - window.past); e--) {
      for (const kind of ["real", "cover"] as const) {
        if (timingSafeEqual(this.#tagMac(kind, e, r), mac)) return { kind, epoch: e };
      }
    }
    return undefined;
  }

  /** A bearer token for `purpose` (e.g. "http:" + mailbox id) in `epoch`: 64 hex digits. */
  token(purpose: string, epoch: number): string {
    return this.#server.token(purpose, epoch);
  }

  /**
   * The key a network mailbox server is given instead of this one: it checks tokens and can
   * do nothing else (docs/transport-key.md, "Key hierarchy"). A fresh copy; the caller wipes it.
   */
  mailboxServerKey(): MailboxServerKey {
    const raw = this.#server.exportKey();
    try {
      return new MailboxServerKey(raw, this.epochSeconds);
    } finally {
      wipe(raw);
    }
  }

  /** Wipes every copy this object holds. It must not be used afterwards. */
  wipe(): void {
    wipe(this.#key);
    wipe(this.#tagKey);
    this.#server.wipe();
  }

  #tagMac(kind: TagKind, epoch: number, r: Uint8Array): Uint8Array {
    const mac = createHmac("sha256", this.#tagKey)
      .update(LABEL_TAG)
      .update(new Uint8Array([KIND_BYTE[kind]]))
      .update(u64be(epoch))
      .update(r)
      .digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, MAILBOX_TAG_LENGTH - RANDOM_PART);
  }
}

/**
 * The mailbox server key: the one piece of a team's transport key that a network mailbox
 * (`airlock-courier serve`, over HTTP or an onion service) is given. It checks and makes the
 * bearer tokens couriers present, and nothing else: it derives no mailbox id, no tag key, no
 * onion client secret, so whoever holds it (the server's operator, a seized server) cannot
 * tell a team's real bundles from its cover, cannot tell which namespaces will come next, and
 * cannot recover the transport key (HKDF is one-way). Spec: docs/transport-key.md, "Key hierarchy".
 *
 *   k_server = HKDF-SHA256(k, salt "", info "airlock/v1/transport/auth-key", 32)
 *   token(p, e) = HMAC-SHA256(k_server, "airlock/v1/transport/token" || u64be(e) || utf8(p))
 *
 * (k_server is the key earlier specs called k_auth: the derivation, and so every token, is
 * unchanged.) Because it cannot compute mailbox ids, a server learns a namespace's epoch from
 * the token that opened it: verifyToken tries every epoch of the window, with the same work
 * whether or not one matches.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { wipe } from "@airlock/bundle-format";
import { epochAt, u64be, utf8 } from "./derive.js";

export const MAILBOX_SERVER_KEY_LENGTH = 32;
export const TOKEN_LENGTH = 32;
const LABEL_TOKEN = utf8("airlock/v1/transport/token");

export class MailboxServerKey {
  readonly #key: Uint8Array;
  readonly epochSeconds: number;

  constructor(key: Uint8Array, epochSeconds: number) {
    if (!(key instanceof Uint8Array) || key.length !== MAILBOX_SERVER_KEY_LENGTH) {
      throw new TypeError(`a mailbox server key is ${MAILBOX_SERVER_KEY_LENGTH} bytes`);
    }
    epochAt(0, epochSeconds); // validates epochSeconds
    this.epochSeconds = epochSeconds;
    this.#key = key.slice();
  }

  epochAt(nowMs: number): number {
    return epochAt(nowMs, this.epochSeconds);
  }

  /** The bearer token for `purpose` (e.g. "http:" + mailbox id) in `epoch`: 64 hex digits. */
  token(purpose: string, epoch: number): string {
    return Buffer.from(this.#mac(purpose, epoch)).toString("hex");
  }

  /**
   * The epoch in `nowEpoch - past .. nowEpoch + future` whose token for `purpose` is `presented`,
   * or undefined. Every epoch of the window is computed and compared in constant time, so the
   * answer costs the same work whatever it is.
   */
  verifyToken(purpose: string, presented: Uint8Array, nowEpoch: number, window: { past: number; future: number }): number | undefined {
    const given = presented instanceof Uint8Array && presented.length === TOKEN_LENGTH ? presented : new Uint8Array(TOKEN_LENGTH);
    let found: number | undefined;
    for (let e = Math.max(0, nowEpoch - window.past); e <= nowEpoch + window.future; e++) {
      const equal = timingSafeEqual(this.#mac(purpose, e), given);
      if (equal && found === undefined) found = e;
    }
    return given === presented ? found : undefined;
  }

  /** A copy of the raw key, for writing the server's credential file. The caller wipes it. */
  exportKey(): Uint8Array {
    return this.#key.slice();
  }

  /** Wipes the key. The object must not be used afterwards. */
  wipe(): void {
    wipe(this.#key);
  }

  #mac(purpose: string, epoch: number): Uint8Array {
    const mac = createHmac("sha256", this.#key).update(LABEL_TOKEN).update(u64be(epoch)).update(utf8(purpose)).digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, mac.length);
  }
}

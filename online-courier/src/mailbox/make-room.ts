/**
 * Which open connection a full mailbox server closes for a new one (docs/http-mailbox.md,
 * "Making room"; docs/threat-model.md, R10). Kept apart from the server so the choice can be
 * tested against any history of bytes and clocks.
 */

/**
 * An open client connection: "headers" from its opening until its first request's headers are
 * complete, and again from the first byte of a next request noticed on a kept-alive socket;
 * "request" from complete headers until the answer is sent; "idle" after, until a next request's
 * first byte is noticed. `since` is when the current state began; `bytesSeen` is the socket's
 * bytesRead then. Node's parser reads the socket itself (no 'data' events), so bytes of a next
 * request are noticed by comparing bytesRead when room is needed.
 */
export interface Slot {
  readonly socket: { readonly bytesRead: number };
  readonly address: string;
  state: "headers" | "request" | "idle";
  since: number;
  bytesSeen: number;
}

export interface Graces {
  /** How long a kept-alive connection must have been idle before it may be closed. */
  readonly idleMs: number;
  /** How long a connection may be in a request's headers before it may be closed. */
  readonly headersMs: number;
}

/**
 * The connection to close among `among` at time `t`, or undefined to refuse the newcomer: the
 * longest idle one past the idle grace, else the oldest one in its headers past the headers
 * grace, else (`ownAddress`: the newcomer's address is past its own share) that address's longest
 * idle one at once. Never one inside a request. Notes, as it looks, idle connections on which a
 * next request has begun.
 */
export function chooseVictim<S extends Slot>(among: Iterable<S>, t: number, graces: Graces, ownAddress: boolean): S | undefined {
  let longestIdle: S | undefined;
  for (const c of among) {
    if (c.state !== "idle") continue;
    const read = c.socket.bytesRead;
    if (read !== c.bytesSeen) {
      // A next request is arriving (or arrived and is not yet parsed): from here it is a request
      // in its headers, closable only past the headers grace counted from now, like a first one.
      // Counted once: a byte dripped now and then must not keep it young for ever.
      c.bytesSeen = read;
      c.state = "headers";
      c.since = t;
      continue;
    }
    if (longestIdle === undefined || c.since < longestIdle.since) longestIdle = c;
  }
  if (longestIdle !== undefined && t - longestIdle.since >= graces.idleMs) return longestIdle;
  for (const c of among) if (c.state === "headers" && t - c.since >= graces.headersMs) return c;
  // Past its own share an address may still close its own longest idle connection at once: a
  // client with more pooled connections than its share (a courier listing several epochs'
  // namespaces) would otherwise be refused by its own idle ones; if its next request was on that
  // connection, it sends it once more. Never when the share is the total (serve --onion: every
  // client comes from tor's address, so "its own" would be everyone's).
  return ownAddress ? longestIdle : undefined;
}

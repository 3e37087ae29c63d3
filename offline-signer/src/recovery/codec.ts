/**
 * The three small structures recovery carries (docs/recovery.md, "Formats"), each canonical CBOR
 * with a `kind` and a version, parsed strictly and bounded before anything is allocated:
 *
 *   piece   = { kind: "airlock-recovery-share", v: 1, team: bytes(32), set: bytes(16), share: bytes(65) }
 *             what a paper card's QR code holds, and what is sealed to a holder
 *   request = { kind: "airlock-recovery-request", v: 1, payload, sig }
 *             payload = { name, sign: bytes(32), enc: bytes(32), created }, sig = Ed25519(sign, label || payload)
 *   release = { kind: "airlock-recovery-release", v: 1, team, user, for: bytes(32), piece?: bytes,
 *               log: [entry bytes], transport: bytes(32), seen: [{ device, seq }], created }
 *             sealed (a bundle) by a holder's device to the request's encryption key
 *
 * The secret split is 64 bytes: the identity key's seed, then the set's recovery key seed; a
 * share is that length plus one byte (the x coordinate, shamir-secret-sharing's layout).
 */
import { concatBytes, ed25519Sign, ed25519Verify, isValidEd25519PublicKey, isValidX25519PublicKey, sha256, utf8, type KeyPair } from "@airlock/bundle-format";
import { firstUnsafe, quoted } from "@airlock/shared";
import { decodeObject, encodeObject, type Plain } from "../team/cbor-object.js";
import { Reader } from "../team/read.js";
import { base32Groups } from "../vault/request.js";

export const SECRET_BYTES = 64;
export const SHARE_BYTES = SECRET_BYTES + 1;
export const SET_ID_BYTES = 16;
const LABEL_SHARE = utf8("airlock/v1/recovery-share");
const LABEL_REQUEST = utf8("airlock/v1/recovery-request");
const KIND_PIECE = "airlock-recovery-share";
const KIND_REQUEST = "airlock-recovery-request";
const KIND_RELEASE = "airlock-recovery-release";
export const MAX_PIECE_BYTES = 256;
export const MAX_RECOVERY_REQUEST_BYTES = 2048;
/** A release carries the whole team log: as large as a welcome may be. */
export const MAX_RELEASE_BYTES = 256 * 1024 * 1024;

// ---- shares ------------------------------------------------------------------------------------

export interface SharePiece {
  readonly team: Uint8Array;
  readonly set: Uint8Array;
  readonly share: Uint8Array;
}

/** What the recovery-set entry commits to for each share. */
export function shareHash(set: Uint8Array, share: Uint8Array): Uint8Array {
  return sha256(LABEL_SHARE, set, share);
}


/** The code printed on a card and listed by `recovery held`: people compare it; it is no secret (the log holds the hash). */
export function checkCode(set: Uint8Array, share: Uint8Array): string {
  return base32Groups(shareHash(set, share));
}

/** A set id as people read it: its first 8 base32 characters. */
export function setLabel(set: Uint8Array): string {
  return base32Groups(set).slice(0, 9);
}

export function encodePiece(p: SharePiece): Uint8Array {
  return encodeObject({ kind: KIND_PIECE, v: 1, team: p.team, set: p.set, share: p.share });
}

const PIECE = new Reader("RECOVERY_BAD_CARD", "recovery share", "scan the card again, or ask its holder for a fresh release");

export function parsePiece(bytes: Uint8Array): SharePiece {
  if (bytes.length > MAX_PIECE_BYTES) PIECE.fail(`${bytes.length} bytes is too large for a recovery share`);
  let v: Plain;
  try {
    v = decodeObject(bytes, { maxBytes: MAX_PIECE_BYTES, maxDepth: 2, maxItems: 16 });
  } catch {
    return PIECE.fail("not an Airlock recovery share");
  }
  const o = PIECE.obj(v, "share", ["kind", "v", "team", "set", "share"]);
  if (o["kind"] !== KIND_PIECE) PIECE.fail("not an Airlock recovery share");
  if (o["v"] !== 1) PIECE.fail("made by a newer release of Airlock (upgrade this laptop)");
  return { team: PIECE.bytes(o["team"], "team", 32), set: PIECE.bytes(o["set"], "set", SET_ID_BYTES), share: PIECE.bytes(o["share"], "share", SHARE_BYTES) };
}

// ---- the new laptop's request --------------------------------------------------------------------

export interface RecoveryRequest {
  readonly name: string;
  readonly sign: Uint8Array;
  readonly enc: Uint8Array;
  readonly created: number;
  readonly bytes: Uint8Array;
}

export function makeRecoveryRequest(name: string, device: KeyPair, enc: Uint8Array, created: number): RecoveryRequest {
  const payload = encodeObject({ name, sign: device.publicKey, enc, created });
  const sig = ed25519Sign(device.secretKey, concatBytes(LABEL_REQUEST, payload));
  return parseRecoveryRequest(encodeObject({ kind: KIND_REQUEST, v: 1, payload, sig }));
}

const REQUEST = new Reader("RECOVERY_BAD_REQUEST", "recovery request", "ask for a fresh request (airlock recover start) and carry it again");

export function parseRecoveryRequest(bytes: Uint8Array): RecoveryRequest {
  if (bytes.length > MAX_RECOVERY_REQUEST_BYTES) REQUEST.fail(`${bytes.length} bytes is too large for a recovery request`);
  let outer;
  try {
    outer = REQUEST.obj(decodeObject(bytes, { maxBytes: MAX_RECOVERY_REQUEST_BYTES, maxDepth: 2, maxItems: 16 }), "request");
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "RECOVERY_BAD_REQUEST") throw e;
    return REQUEST.fail("this file is not a recovery request");
  }
  if (outer["kind"] !== KIND_REQUEST) REQUEST.fail(outer["kind"] === "airlock-join-request" ? "this is a join request (airlock join); a recovery starts with `airlock recover start`" : "this file is not a recovery request");
  if (outer["v"] !== 1) REQUEST.fail("made by a newer release of Airlock");
  REQUEST.obj(outer, "request", ["kind", "v", "payload", "sig"]);
  const payloadBytes = REQUEST.bytes(outer["payload"], "payload", 1, 1024);
  let p;
  try {
    p = REQUEST.obj(decodeObject(payloadBytes, { maxBytes: 1024, maxDepth: 1, maxItems: 8 }), "payload", ["name", "sign", "enc", "created"]);
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "RECOVERY_BAD_REQUEST") throw e;
    return REQUEST.fail("its payload is not canonical CBOR");
  }
  const name = REQUEST.text(p["name"], "name", 256, 1);
  const bad = firstUnsafe(name);
  if (bad !== undefined) REQUEST.fail(`the name ${quoted(name.slice(0, 80))} holds ${bad}, a control or invisible character names may not hold`);
  const sign = REQUEST.bytes(p["sign"], "sign", 32);
  const enc = REQUEST.bytes(p["enc"], "enc", 32);
  // Checked before anyone seals to them (docs/team-model.md, I9).
  if (!isValidEd25519PublicKey(sign)) REQUEST.fail("its device signing key is not a valid Ed25519 public key");
  if (!isValidX25519PublicKey(enc)) REQUEST.fail("its device encryption key is a low-order X25519 key");
  if (!ed25519Verify(sign, concatBytes(LABEL_REQUEST, payloadBytes), REQUEST.bytes(outer["sig"], "sig", 64))) REQUEST.fail("the device signature does not verify");
  return { name, sign, enc, created: REQUEST.uint(p["created"], "created"), bytes };
}

// ---- a holder's release --------------------------------------------------------------------------

export interface SeenSeq {
  readonly device: Uint8Array;
  readonly seq: number;
}

export interface Release {
  readonly team: Uint8Array;
  /** The member being recovered (identity key). */
  readonly user: Uint8Array;
  /** The new device's signing key: a release is for one request. */
  readonly for: Uint8Array;
  /** The holder's share, as a card would carry it; absent in a release of the team log alone. */
  readonly piece: Uint8Array | undefined;
  readonly log: readonly Uint8Array[];
  readonly transport: Uint8Array;
  /** The highest changeset seq the holder processed of each of the member's devices: the revocation cutoff. */
  readonly seen: readonly SeenSeq[];
  readonly created: number;
}

export function encodeRelease(r: Release): Uint8Array {
  return encodeObject({
    kind: KIND_RELEASE,
    v: 1,
    team: r.team,
    user: r.user,
    for: r.for,
    ...(r.piece === undefined ? {} : { piece: r.piece }),
    log: [...r.log],
    transport: r.transport,
    seen: r.seen.map((s) => ({ device: s.device, seq: s.seq })),
    created: r.created,
  });
}

const RELEASE = new Reader("RECOVERY_BAD_BUNDLE", "recovery release", "ask the holder to write it again from this laptop's request");

export function parseRelease(bytes: Uint8Array): Release {
  let v: Plain;
  try {
    v = decodeObject(bytes, { maxBytes: MAX_RELEASE_BYTES, maxDepth: 4, maxItems: 1_000_000 });
  } catch {
    return RELEASE.fail("not canonical CBOR");
  }
  const o = RELEASE.obj(v, "release", ["kind", "v", "team", "user", "for", "piece", "log", "transport", "seen", "created"]);
  if (o["kind"] !== KIND_RELEASE) RELEASE.fail("not a recovery release");
  if (o["v"] !== 1) RELEASE.fail("made by a newer release of Airlock (upgrade this laptop)");
  const seen = RELEASE.array(o["seen"], "seen", 4096).map((s, i) => {
    const x = RELEASE.obj(s, `seen[${i}]`, ["device", "seq"]);
    return { device: RELEASE.bytes(x["device"], `seen[${i}].device`, 32), seq: RELEASE.uint(x["seq"], `seen[${i}].seq`) };
  });
  return {
    team: RELEASE.bytes(o["team"], "team", 32),
    user: RELEASE.bytes(o["user"], "user", 32),
    for: RELEASE.bytes(o["for"], "for", 32),
    piece: o["piece"] === undefined ? undefined : RELEASE.bytes(o["piece"], "piece", 1, MAX_PIECE_BYTES),
    log: RELEASE.array(o["log"], "log", 1_000_000).map((e, i) => RELEASE.bytes(e, `log[${i}]`, 1, 2 * 1024 * 1024)),
    transport: RELEASE.bytes(o["transport"], "transport", 32),
    seen,
    created: RELEASE.uint(o["created"], "created"),
  };
}

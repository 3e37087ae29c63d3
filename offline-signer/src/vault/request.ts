/**
 * Join requests (`airlock join --out FILE`): a new vault's public keys, self-signed, carried by
 * hand (file or QR images) to an admin. Not encrypted: it holds only public keys and a name.
 *
 *   request = canonical CBOR { kind: "airlock-join-request", v: 1, payload, cert, sig }
 *   payload = the bundle-format "enrollment" payload (name, user, deviceSigning, deviceEncryption, created)
 *   cert    = Ed25519(user identity, "airlock/v1/device-cert" || deviceSigning || deviceEncryption)
 *   sig     = Ed25519(device, "airlock/v1/join-request" || payload)
 * The fingerprint (first 10 bytes of SHA-256 over both keys, base32 in groups of four) is
 * shown on both screens so people can compare them before admitting. The name is refused if it
 * holds a control, direction-override or invisible character (vault/names.ts): it is shown to
 * the admin beside the fingerprint, and must not be able to disguise or hide it.
 */
import { firstUnsafe, quoted } from "@airlock/shared";
import {
  concatBytes,
  decodePayload,
  ed25519Sign,
  ed25519Verify,
  encodePayload,
  isValidEd25519PublicKey,
  isValidX25519PublicKey,
  sha256,
  utf8,
  type EnrollmentPayload,
  type KeyPair,
} from "@airlock/bundle-format";
import { decodeObject, encodeObject } from "../team/cbor-object.js";
import { certifyDevice, verifyDeviceCert, type DeviceKeys } from "../team/entry.js";
import { Reader } from "../team/read.js";

const LABEL = utf8("airlock/v1/join-request");
const KIND = "airlock-join-request";
export const MAX_REQUEST_BYTES = 4096;

export interface JoinRequest {
  readonly name: string;
  readonly user: Uint8Array;
  readonly device: DeviceKeys;
  readonly created: number;
  readonly bytes: Uint8Array;
}

export function makeJoinRequest(name: string, identity: KeyPair, device: KeyPair, enc: Uint8Array, created: number): JoinRequest {
  const keys = certifyDevice(identity, device.publicKey, enc);
  const payload = encodePayload({ kind: "enrollment", name, user: identity.publicKey, deviceSigning: device.publicKey, deviceEncryption: enc, created });
  const sig = ed25519Sign(device.secretKey, concatBytes(LABEL, payload));
  return parseJoinRequest(encodeObject({ kind: KIND, v: 1, payload, cert: keys.cert, sig }));
}

const R = new Reader("JOIN_REQUEST_INVALID", "join request", "ask for a fresh request (airlock join) and carry it again");

export function parseJoinRequest(bytes: Uint8Array): JoinRequest {
  if (bytes.length > MAX_REQUEST_BYTES) R.fail(`${bytes.length} bytes is too large for a join request`);
  let o;
  try {
    o = R.obj(decodeObject(bytes, { maxBytes: MAX_REQUEST_BYTES, maxDepth: 2, maxItems: 16 }), "request", ["kind", "v", "payload", "cert", "sig"]);
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "JOIN_REQUEST_INVALID") throw e;
    return R.fail("this file is not a join request");
  }
  if (o["kind"] !== KIND) R.fail("this file is not a join request");
  // A decoded value may be a map without a prototype: describe it, never String() it.
  if (o["v"] !== 1) R.fail(`request version ${typeof o["v"] === "number" ? o["v"] : `of type ${o["v"] === null ? "null" : typeof o["v"]}`} is not supported`);
  const payloadBytes = R.bytes(o["payload"], "payload", 1, 2048);
  let p: EnrollmentPayload;
  try {
    const decoded = decodePayload(payloadBytes);
    if (decoded.kind !== "enrollment") return R.fail("payload is not an enrollment");
    p = decoded;
  } catch (e) {
    return R.fail(`payload: ${(e as Error).message}`);
  }
  // Checked before anything is signed over them: a small-order key admits universal signatures,
  // a low-order encryption key makes everything sealed to it readable (docs/team-model.md, I9).
  if (!isValidEd25519PublicKey(p.user)) R.fail("its identity key is not a valid Ed25519 public key");
  if (!isValidEd25519PublicKey(p.deviceSigning)) R.fail("its device signing key is not a valid Ed25519 public key");
  if (!isValidX25519PublicKey(p.deviceEncryption)) R.fail("its device encryption key is a low-order X25519 key");
  const device: DeviceKeys = { sign: p.deviceSigning, enc: p.deviceEncryption, cert: R.bytes(o["cert"], "cert", 64) };
  if (!verifyDeviceCert(p.user, device)) R.fail("the identity certificate does not verify");
  if (!ed25519Verify(p.deviceSigning, concatBytes(LABEL, payloadBytes), R.bytes(o["sig"], "sig", 64))) R.fail("the device signature does not verify");
  const bad = firstUnsafe(p.name);
  if (bad !== undefined) R.fail(`the name ${quoted(p.name.slice(0, 80))} holds ${bad}, a control or invisible character names may not hold`);
  return { name: p.name, user: p.user, device, created: p.created, bytes };
}

const B32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A short code people compare on both screens: 16 base32 characters in groups of four. */
export function fingerprint(device: Pick<DeviceKeys, "sign" | "enc">): string {
  return base32Groups(sha256(device.sign, device.enc));
}

/** 16 base32 characters of the first 10 bytes, in groups of four (the fingerprint's shape). */
export function base32Groups(bytes: Uint8Array): string {
  let bits = 0;
  let acc = 0;
  let out = "";
  for (const byte of bytes.subarray(0, 10)) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join("-");
}

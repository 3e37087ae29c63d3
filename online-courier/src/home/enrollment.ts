/**
 * Opening a courier enrollment: a sealed bundle from the vault, addressed to this courier's
 * X25519 key, whose body is a "courier-enrollment" payload (team id and name, transport key,
 * epoch length, suggested mailbox). The bundle's signature is checked by openBundle; the
 * courier cannot tell which vault device made it, and need not.
 */
import { readFileSync, statSync } from "node:fs";
import { decodePayload, isBundleError, openBundle, type CourierEnrollmentPayload, type KeyPair } from "@airlock/bundle-format";
import { courierError } from "../errors.js";

/** Enrollments are small; anything bigger is not one (checked before reading the file). */
export const MAX_ENROLLMENT_BYTES = 1024 * 1024;

export function readEnrollmentFile(path: string): Uint8Array {
  const size = statSync(path).size;
  if (size > MAX_ENROLLMENT_BYTES) throw courierError("COURIER_BAD_ENROLLMENT", `${path} is ${size} bytes, too large for an enrollment`);
  return new Uint8Array(readFileSync(path));
}

export function openEnrollment(bytes: Uint8Array, courier: KeyPair): CourierEnrollmentPayload {
  let body: Uint8Array;
  try {
    body = openBundle(bytes, { recipient: courier, maxLength: MAX_ENROLLMENT_BYTES }).body;
  } catch (e) {
    if (isBundleError(e) && e.code === "BUNDLE_NOT_FOR_ME") throw courierError("COURIER_NOT_FOR_ME", "this enrollment is not addressed to this courier", e);
    throw e;
  }
  let payload;
  try {
    payload = decodePayload(body);
  } finally {
    body.fill(0);
  }
  if (payload.kind !== "courier-enrollment") {
    throw courierError("COURIER_BAD_ENROLLMENT", `the bundle carries a ${payload.kind} payload, not a courier enrollment`);
  }
  return payload;
}

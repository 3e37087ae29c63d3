/**
 * Opening a courier enrollment: a sealed bundle from the vault, addressed to this courier's
 * X25519 key, whose body is a "courier-enrollment" payload (team id and name, transport key and
 * its generation, epoch length, suggested mailbox, the team's admin devices). The bundle's
 * signature is checked by openBundle, which also names the signing device: an enrollment that
 * arrives with a vault's bundles (takeEnrollment) is adopted only from an admin device the
 * courier's previous enrollment named (teams.ts adoptEnrollment).
 */
import { readFileSync, statSync } from "node:fs";
import { decodePayload, inspectBundle, isBundleError, openBundle, type CourierEnrollmentPayload, type KeyPair } from "@airlock/bundle-format";
import { courierError } from "../errors.js";
import { loadCourierKey } from "./courier-key.js";
import type { CourierHome } from "./paths.js";
import { adoptEnrollment, loadTeams, saveTeams, type EnrollmentVerdict } from "./teams.js";

/** Enrollments are small; anything bigger is not one (checked before reading the file). */
export const MAX_ENROLLMENT_BYTES = 1024 * 1024;

export function readEnrollmentFile(path: string): Uint8Array {
  const size = statSync(path).size;
  if (size > MAX_ENROLLMENT_BYTES) throw courierError("COURIER_BAD_ENROLLMENT", `${path} is ${size} bytes, too large for an enrollment`);
  return new Uint8Array(readFileSync(path));
}

export function openEnrollment(bytes: Uint8Array, courier: KeyPair): CourierEnrollmentPayload {
  return openEnrollmentFrom(bytes, courier).payload;
}

/** The enrollment and the signing key of the vault device that sealed it. */
export function openEnrollmentFrom(bytes: Uint8Array, courier: KeyPair): { payload: CourierEnrollmentPayload; sender: Uint8Array } {
  let body: Uint8Array;
  let sender: Uint8Array;
  try {
    const opened = openBundle(bytes, { recipient: courier, maxLength: MAX_ENROLLMENT_BYTES });
    body = opened.body;
    sender = opened.sender;
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
  return { payload, sender };
}

/** Whether a bundle could be an enrollment: its tag is all zeros (a vault seals enrollments so; a team's bundles never are). */
export function looksLikeEnrollment(bytes: Uint8Array): boolean {
  try {
    return bytes.length <= MAX_ENROLLMENT_BYTES && inspectBundle(bytes, MAX_ENROLLMENT_BYTES).mailboxTag.every((b) => b === 0);
  } catch {
    return false;
  }
}

/**
 * An enrollment that came with a vault's bundles (ingest): opened with this courier's key and,
 * when an admin device signed it for a later generation of a team served here, written to
 * teams.json (the previous key kept as retired for the grace period). Never throws for bad input.
 */
export function takeEnrollment(home: CourierHome, bytes: Uint8Array, now: number): EnrollmentVerdict {
  const key = loadCourierKey(home);
  let opened;
  try {
    opened = openEnrollmentFrom(bytes, key);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "COURIER_NOT_FOR_ME") return { outcome: "not-for-me" };
    return { outcome: "refused", code: typeof code === "string" ? code : "COURIER_BAD_ENROLLMENT", reason: (e as Error).message };
  } finally {
    key.secretKey.fill(0);
  }
  try {
    const verdict = adoptEnrollment(loadTeams(home), opened.payload, opened.sender, now);
    if (verdict.outcome === "adopted") saveTeams(home, verdict.teams);
    // The key it holds, from a trusted admin: that admin's current list of admins is kept.
    if (verdict.outcome === "known" && verdict.teams !== undefined) saveTeams(home, verdict.teams);
    return verdict;
  } finally {
    opened.payload.transportKey.fill(0);
  }
}

/**
 * What `airlock recover add` is given: release files (sealed bundles a holder wrote) and images
 * of paper cards (PNG or JPEG: a scan or a photo), told apart by their first bytes. A card's QR
 * code is decoded from its pixels with the project's scanner (shared/src/qr). Files are read
 * only if they are regular files within the size a release may have.
 */
import { closeSync, fstatSync, openSync, readSync, constants } from "node:fs";
import { decodeImage, scanQrPixels, sniffImageFormat } from "@airlock/shared";
import { MAX_RELEASE_BYTES } from "./codec.js";
import { recoveryError } from "./errors.js";
import type { RecoveryInput } from "./restore.js";

function readBounded(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw recoveryError("RECOVERY_BAD_BUNDLE", `${path}: ${(e as NodeJS.ErrnoException).code === "ELOOP" ? "a symbolic link (give the file itself)" : (e as Error).message}`, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw recoveryError("RECOVERY_BAD_BUNDLE", `${path} is not a regular file`);
    if (st.size > MAX_RELEASE_BYTES) throw recoveryError("RECOVERY_BAD_BUNDLE", `${path} is ${st.size} bytes, more than a release or card image may be`);
    const out = new Uint8Array(st.size);
    for (let at = 0; at < out.length; ) {
      const n = readSync(fd, out, at, out.length - at, at);
      if (n === 0) throw recoveryError("RECOVERY_BAD_BUNDLE", `${path} shrank while it was read`);
      at += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Reads one path: an image is a card (its QR code decoded), anything else a release. */
export function readRecoveryInput(path: string): RecoveryInput {
  const bytes = readBounded(path);
  if (sniffImageFormat(bytes) === undefined) return { source: path, kind: "release", bytes };
  const found = scanQrPixels(decodeImage(bytes, path));
  if (found === undefined) throw recoveryError("RECOVERY_BAD_CARD", `${path}: no readable QR code in the image`);
  if (typeof found === "string") throw recoveryError("RECOVERY_BAD_CARD", `${path}: its QR code holds text, not an Airlock recovery share`);
  return { source: path, kind: "card", bytes: found };
}

/**
 * Removing a bundle after the vault imported it. Only a bundle this module's reader handed
 * out can be removed, only by its validated name in the folder it was read from, and only
 * while that name still refers to the very file that was read: anything else on the stick,
 * and anything a link points to, is left alone.
 */
import { lstat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode, usbError, writeError } from "./errors.js";
import { isBundleName } from "./names.js";
import { identityOf, sameIdentity, type FileIdentity } from "./open-file.js";
import { issuedFrom, type AcceptedBundle, type LargeBundle } from "./read.js";

/**
 * Returns true if the file was removed, false if it was already gone. Throws USB_NOT_ACCEPTED
 * for anything the reader did not accept, USB_CHANGED if the name now refers to another file.
 * Not fsynced: after a crash the bundle may reappear, and importing it again must be harmless.
 */
export async function removeBundle(bundle: AcceptedBundle | LargeBundle): Promise<boolean> {
  const issued = issuedFrom(bundle);
  if (issued === undefined || !isBundleName(bundle.name)) {
    throw usbError("USB_NOT_ACCEPTED", "only a bundle accepted by readBundles or scanBundles can be removed");
  }
  return removeIfUnchanged(join(issued.dir, bundle.name), issued.identity);
}

/** Removes `path` while it still names the very file `identity` was taken of (receipts use it too); false if it is gone. */
export async function removeIfUnchanged(path: string, identity: FileIdentity): Promise<boolean> {
  let stats;
  try {
    stats = await lstat(path, { bigint: true });
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return false;
    throw writeError(e, `cannot examine ${path}`);
  }
  if (!stats.isFile() || !sameIdentity(identityOf(stats), identity)) {
    throw usbError("USB_CHANGED", `${path} is no longer the file that was read; it was left in place`);
  }
  // unlink never follows a link: if the name was swapped since the lstat, only that entry goes.
  try {
    await unlink(path);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return false;
    throw writeError(e, `cannot remove ${path}`);
  }
  return true;
}

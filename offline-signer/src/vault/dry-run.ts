/**
 * `airlock import --dry-run`: what bundles would change, judged by the very code that imports
 * them, with nothing kept. The payloads are applied inside one transaction that is always rolled
 * back (each bundle's own transaction is a savepoint inside it), after the record store has told
 * what the import changed; files are opened and checked but never written; the stick is not
 * touched. A separate read-only judging pass would be a second importer to keep in step with the
 * first (docs/sync.md, "Dry run").
 */
import { FILE_HEAD_LENGTH, decodePayload, isBundleError, isFileBody, openBundle, parseFileHead, toHex, wipe } from "@airlock/bundle-format";
import { largestAccepted } from "../attachments/quota.js";
import { openFileBundle, senderProblem } from "../attachments/receive.js";
import type { ImportReport } from "./import-report.js";
import type { OpenedPayload } from "./sync.js";
import type { Vault } from "./vault.js";

const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

/** Thrown inside the dry run's transaction so that it rolls back; never seen outside this module. */
class RollBack extends Error {
  constructor() {
    super("dry run: rolled back");
  }
}

/**
 * Runs `apply` (which applies payloads as an import does) and rolls everything back. `collect`
 * runs after the record store folded every change and before the rollback, so it sees what the
 * import did, with the team as the import left it (names, collections).
 */
export function applyAndRollBack(vault: Vault, apply: () => void, collect: () => void): void {
  try {
    vault.tx(() => {
      apply();
      vault.recordStore.flush((c) => vault.appOf(c));
      collect();
      throw new RollBack();
    });
  } catch (e) {
    if (!(e instanceof RollBack)) throw e;
  }
}

/**
 * openForVault without its side effect: an attached file is opened, checked and counted as it
 * would be received, and never written to the vault's folder.
 */
export function openDry(vault: Vault, bytes: Uint8Array, source: string, report: ImportReport): OpenedPayload | undefined {
  try {
    const opened = openBundle(bytes, { recipient: vault.encryptionKey, maxLength: MAX_BUNDLE_BYTES });
    try {
      if (!isFileBody(opened.body)) return { source, sender: opened.sender, payload: decodePayload(opened.body) };
      report.bundles++;
      const size = parseFileHead(opened.body.subarray(0, FILE_HEAD_LENGTH), opened.body.length);
      countFile(vault, opened.sender, opened.bodyHash, size, source, report);
      return undefined;
    } finally {
      wipe(opened.body);
    }
  } catch (e) {
    if (isBundleError(e) && e.code === "BUNDLE_NOT_FOR_ME") {
      report.notForMe++;
      return undefined;
    }
    report.issues.push({ source, code: (e as { code?: string }).code ?? "IMPORT_FAILED", reason: (e as Error).message });
    return undefined;
  }
}

/** A file bundle too large for memory: opened to its end (every check a real import makes), nothing written. */
export async function openLargeDry(vault: Vault, path: string, report: ImportReport): Promise<void> {
  try {
    const { opened, size } = await openFileBundle(vault, path);
    report.bundles++;
    countFile(vault, opened.sender, opened.bodyHash, size, path, report);
  } catch (e) {
    const code = (e as { code?: string }).code ?? "IMPORT_FAILED";
    if (code === "BUNDLE_NOT_FOR_ME") report.notForMe++;
    else report.issues.push({ source: path, code, reason: (e as Error).message });
  }
}

function countFile(vault: Vault, sender: Uint8Array, hash: Uint8Array, size: number, source: string, report: ImportReport): void {
  const who = vault.teamId === undefined ? { why: "no team here yet" } : senderProblem(vault, sender);
  if ("why" in who) {
    report.issues.push({ source, code: "FILE_SENDER", reason: `${who.why} (dry run: nothing kept)` });
    return;
  }
  if (vault.storage.blobs.get(hash) !== undefined) {
    report.files.duplicates++;
    return;
  }
  if (size > largestAccepted(vault)) {
    report.issues.push({ source, code: "VAULT_FILE_QUOTA", reason: `a ${size}-byte file is larger than any collection here takes; would not be kept` });
    return;
  }
  report.files.received++;
  report.files.bytes += size;
  report.files.hashes.push(toHex(hash));
}

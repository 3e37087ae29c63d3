/**
 * Receiving attached files (docs/attachments.md). A file bundle is kept as it came — it is
 * sealed to this device among others, so it is as safe on disk as anything the vault holds —
 * once it opened to its end: AEAD, the sender's signature, and a sender who is an active device
 * of the team. Its content address is the SHA-256 of its body, so what a record names and what
 * arrived can never disagree. Whether it is kept is settled after the whole import, when the
 * records that name it are known: a collection's quota, or the cap on files no record names.
 */
import { closeSync, constants, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FILE_HEAD_LENGTH, MAX_BUCKET, parseFileHead, toHex, type KeyPair } from "@airlock/bundle-format";
import { newTempName, openFile } from "@airlock/shared";
import type { VaultContext } from "../vault/context.js";
import type { ImportReport } from "../vault/import-report.js";
import type { Vault } from "../vault/vault.js";
import { blobPath, blobsDir, newBlobName, removeBlobFile } from "./folder.js";
import { largestAccepted, quotaOf, UNCLAIMED_BYTES } from "./quota.js";
import { heldBytesByCollection, liveRefs, refsByHash } from "./refs.js";
import { wantFor } from "./wants.js";

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** The team device (hex) that sent a bundle, or why it may not send files. */
export function senderProblem(vault: VaultContext, sender: Uint8Array): { device: string } | { why: string } {
  const device = toHex(sender);
  const d = vault.requireTeam().devices.get(device);
  if (d === undefined || !d.active) return { why: "a file sent by a device that is not an active member of this team; not kept" };
  return { device };
}

/** Records a verified file bundle already in blobs/ (as `file`); false if one with its address was held. */
function keep(vault: VaultContext, hash: Uint8Array, size: number, file: string, device: string, report: ImportReport): boolean {
  let added = false;
  vault.tx(() => {
    added = vault.storage.blobs.add({ hash, size, file, added: vault.now() });
    vault.storage.blobs.markPeer(hash, Buffer.from(device, "hex"));
  });
  if (added) {
    report.files.received++;
    report.files.bytes += size;
    report.files.hashes.push(toHex(hash));
  } else report.files.duplicates++;
  return added;
}

/** A file bundle that was opened in memory (it came from QR, or a small one from a stick). */
export function receiveFileBundle(
  vault: VaultContext,
  bundle: Uint8Array,
  opened: { readonly sender: Uint8Array; readonly body: Uint8Array; readonly bodyHash: Uint8Array },
  source: string,
  report: ImportReport,
): void {
  const size = parseFileHead(opened.body.subarray(0, FILE_HEAD_LENGTH), opened.body.length);
  const who = senderProblem(vault, opened.sender);
  if ("why" in who) {
    report.issues.push({ source, code: "FILE_SENDER", reason: who.why });
    return;
  }
  if (vault.storage.blobs.get(opened.bodyHash) !== undefined) {
    // Already held: nothing to write, only that the sender holds it too.
    vault.tx(() => vault.storage.blobs.markPeer(opened.bodyHash, Buffer.from(who.device, "hex")));
    report.files.duplicates++;
    return;
  }
  if (size > largestAccepted(vault)) {
    report.issues.push({ source, code: "VAULT_FILE_QUOTA", reason: `a ${size}-byte file is larger than any collection here takes; not kept` });
    return;
  }
  const dir = blobsDir(vault);
  const temp = join(dir, newTempName());
  const file = newBlobName();
  const fd = openSync(temp, CREATE, 0o600);
  try {
    for (let at = 0; at < bundle.length; ) at += writeSync(fd, bundle, at, bundle.length - at);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(temp, join(dir, file));
  syncDirectorySync(dir); // the file's name is durable before the row that says it is held
  if (!keep(vault, opened.bodyHash, size, file, who.device, report)) removeBlobFile(vault, file);
}

/** A file bundle read from a stick in one streamed pass: verified and copied into blobs/ at once. */
/**
 * Opens a file bundle on a stick in one streamed pass, with every check an import makes (its head,
 * the largest file any collection here takes, the body hash), copying the body to `copyTo` if given.
 * The dry run calls it without `copyTo`: the same verdicts, nothing written.
 */
export async function openFileBundle(vault: VaultContext, path: string, options: { copyTo?: string; onProgress?: (done: number, total: number) => void } = {}): Promise<{ opened: Awaited<ReturnType<typeof openFile>>; size: number }> {
  const largest = vault.teamId === undefined ? 0 : largestAccepted(vault);
  let size = 0;
  const opened = await openFile(path, null, {
    recipient: vault.encryptionKey as KeyPair,
    maxLength: MAX_BUCKET,
    headLength: FILE_HEAD_LENGTH,
    ...(options.copyTo === undefined ? {} : { copyTo: options.copyTo }),
    onHead: (head, bodyLength) => {
      size = parseFileHead(head, bodyLength);
      if (size > largest) throw Object.assign(new Error(`a ${size}-byte file is larger than any collection here takes; not kept`), { code: "VAULT_FILE_QUOTA" });
    },
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return { opened, size };
}

/** A file bundle read from a stick in one streamed pass: verified and copied into blobs/ at once. */
export async function receiveFilePath(vault: Vault, path: string, report: ImportReport, onProgress?: (done: number, total: number) => void): Promise<void> {
  const file = newBlobName();
  try {
    const { opened, size } = await openFileBundle(vault, path, { copyTo: blobPath(vault, file), ...(onProgress === undefined ? {} : { onProgress }) });
    const who = senderProblem(vault, opened.sender);
    if ("why" in who) {
      removeBlobFile(vault, file);
      report.issues.push({ source: path, code: "FILE_SENDER", reason: who.why });
      return;
    }
    report.bundles++;
    if (!keep(vault, opened.bodyHash, size, file, who.device, report)) removeBlobFile(vault, file);
  } catch (e) {
    removeBlobFile(vault, file);
    const code = (e as { code?: string }).code ?? "IMPORT_FAILED";
    if (code === "BUNDLE_NOT_FOR_ME") {
      report.notForMe++;
      return;
    }
    report.issues.push({ source: path, code, reason: (e as Error).message });
  }
}

/**
 * After every import that could change which files are named or held: each held file is
 * charged, oldest first, to the first collection whose records (any this vault holds, readable
 * now or not) name it, or to the files waiting for their record. A file over its collection's
 * quota here, or past UNCLAIMED_BYTES of waiting files, is not kept (the record stays; the file
 * can come again once there is room). Files held before this import stay unless a limit was
 * lowered or records now charge them to a fuller collection: the same rule for every file,
 * whatever order they came in.
 */
export function settleFiles(vault: Vault, report: ImportReport): void {
  // Only new files or newly applied changesets change what is named or held.
  if (report.files.hashes.length === 0 && report.applied === 0) return;
  const held = vault.storage.blobs.all();
  if (held.length === 0) return;
  const byHash = refsByHash(liveRefs(vault, { all: true }));
  const fresh = new Set(report.files.hashes);
  const used = new Map<string, number>();
  let unclaimed = 0;
  for (const blob of held) {
    const hex = toHex(blob.hash);
    const places = (byHash.get(hex) ?? []).filter((p) => p.ref.size === blob.size);
    let why: string | undefined;
    if (places.length === 0) {
      if (unclaimed + blob.size > UNCLAIMED_BYTES) why = `no record here names it yet, and files waiting for their records already take ${unclaimed} bytes`;
      else unclaimed += blob.size;
    } else {
      const { collection, ref } = places[0]!;
      const quota = quotaOf(vault, collection);
      const now = used.get(collection) ?? 0;
      if (blob.size > quota.maxFile) why = `collection "${collection}" takes files up to ${quota.maxFile} bytes on this laptop`;
      else if (now + blob.size > quota.total) why = `collection "${collection}" would pass its ${quota.total}-byte total on this laptop`;
      else used.set(collection, now + blob.size);
      if (why !== undefined) why = `${ref.name}: ${why}`;
    }
    if (why === undefined) continue;
    vault.tx(() => vault.storage.blobs.remove(blob.hash));
    removeBlobFile(vault, blob.file);
    if (fresh.has(hex)) {
      report.files.received--;
      report.files.bytes -= blob.size;
      report.files.hashes.splice(report.files.hashes.indexOf(hex), 1);
    }
    report.issues.push({ source: hex.slice(0, 12), code: "VAULT_FILE_QUOTA", reason: `not kept: ${why}` });
  }
}

/**
 * What this vault asks peers for: files its readable records name that it lacks and would keep,
 * each as a want token (wants.ts), never as a bare content address.
 */
export function wantedFiles(vault: Vault, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  // What each collection's held files take now: a file that would not be kept is not asked for,
  // or it would be sent, refused and asked for again at every exchange.
  const refs = liveRefs(vault);
  const used = heldBytesByCollection(vault, refs);
  for (const [, places] of refsByHash(refs)) {
    const { collection, ref } = places[0]!;
    if (vault.storage.blobs.get(ref.hash) !== undefined) continue;
    const quota = quotaOf(vault, collection);
    const usedIn = used.get(collection) ?? 0;
    if (ref.size > quota.maxFile || usedIn + ref.size > quota.total) continue;
    const want = wantFor(vault, collection, ref.hash);
    if (want === undefined) continue;
    used.set(collection, usedIn + ref.size);
    out.push(want);
    if (out.length === max) break;
  }
  return out;
}

function syncDirectorySync(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } catch {
    // some file systems cannot sync a folder; the rename is then as durable as they make it
  } finally {
    closeSync(fd);
  }
}

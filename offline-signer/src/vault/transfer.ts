/**
 * Export and import as files: the sync engine (sync.ts) joined to USB drop folders, QR frame
 * folders and whatever `readSources` reads. Shared by `airlock export|import` and the TUI, which
 * differ only in how they show progress and the result.
 */
import { basename } from "node:path";
import { AirlockError, fingerprintBytes, fingerprintFile, formatBytes, reportStep, type ProgressLine, isAirlockError, prepareDropFolder, removeOwnBundles, readCamera, readSources, removeBundle, writeBundle, type AcceptedBundle, type LargeBundle, type SourceEvent, type SourceOptions, type QrRateReport } from "@airlock/shared";
import { receiptIdOf } from "@airlock/shared";
import { vaultError } from "./errors.js";
import { issueReceipts, mailboxTagOf, type IssuedReceipts } from "./receipt.js";
import { MAX_REQUEST_BYTES } from "./request.js";
import { applyAndRollBack, openDry, openLargeDry } from "./dry-run.js";
import { RecordChangeCollector, recordChangeLines } from "./record-changes.js";
import { exportQr, type QrExportOptions, type QrPreset } from "./qr-export.js";
import { acknowledgedFiles, forgetFiles, rememberExport, type LedgerFile } from "./outbox-ledger.js";
import { unhex } from "./hex.js";
import { contentOf, othersHold, othersHoldFile, type BundleContent, type BundleOutcome } from "./stick-removal.js";
import { applyPayloads, applyPayloadsParallel, emptyReport, exportBundles, type ExportedBundle, openForVault, type ExportOptions, type ImportReport, type OpenedPayload } from "./sync.js";
import type { Vault } from "./vault.js";
import { FILE_HEAD_LENGTH, MAX_RECIPIENTS, MAX_WANTS, sealedLength, toHex, type SyncPayload } from "@airlock/bundle-format";
import { largestAccepted } from "../attachments/quota.js";
import { sweep } from "../attachments/folder.js";
import { receiveFilePath, settleFiles, wantedFiles } from "../attachments/receive.js";
import { sendFilesUsb, type SentFile } from "../attachments/send.js";

const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export type { QrPreset } from "./qr-export.js";
export type ExportTarget = { readonly usb: string } | { readonly qr: string; readonly preset?: QrPreset };

export interface WrittenBundle {
  /** sync, welcome, or file (an attached file, docs/attachments.md). */
  readonly kind: string;
  readonly bytes: number;
  readonly changesets: number;
  readonly entries: number;
  /** The bundle file (USB) or its folder of frames (QR). */
  readonly path: string;
  readonly frames?: number;
  /** For a file: its name. */
  readonly file?: string;
  /** For a file not sent this time: why (too large for QR). */
  readonly skipped?: string;
}

export interface ExportFileOptions {
  /** Leave attached files out of this export (they go with a later one). */
  readonly noFiles?: boolean;
  /** Largest file sent as QR frames (default QR_FILE_BYTES); larger ones wait for a stick. */
  readonly qrFilesMax?: number;
}

/** Seals what the other devices are missing and writes it to a USB drop folder or as QR frame folders. */
export async function exportTo(vault: Vault, target: ExportTarget, progress: ProgressLine = () => {}, options: ExportOptions & ExportFileOptions & QrExportOptions = {}): Promise<WrittenBundle[]> {
  // Sealed only when they are to be written: a resumed QR export finishes what it sealed before.
  const bundles = (): ExportedBundle[] => exportBundles(vault, { ...options, wants: wantedFiles(vault, MAX_WANTS) });
  const written: WrittenBundle[] = [];
  const fileRow = (f: SentFile): WrittenBundle => ({
    kind: "file",
    bytes: f.bytes,
    changesets: 0,
    entries: 0,
    path: f.path ?? "",
    file: f.name,
    ...(f.frames === undefined ? {} : { frames: f.frames }),
    ...(f.skipped === undefined ? {} : { skipped: f.skipped }),
  });
  if ("usb" in target) {
    const drop = await prepareDropFolder(target.usb);
    const ledger: LedgerFile[] = [];
    try {
      // One task for all the bundles: a few lines in a log, one live line on a terminal.
      const sealed = bundles();
      const total = sealed.reduce((n, b) => n + b.bytes.length, 0);
      const task = `writing ${sealed.length} bundle(s)`;
      let before = 0;
      reportStep(progress, { task, done: 0, total, unit: "bytes" });
      for (const b of sealed) {
        const w = await writeBundle(drop.outbox, b.bytes, { onProgress: (p) => reportStep(progress, { task, done: before + p.written, total, unit: "bytes" }) });
        before += b.bytes.length;
        written.push({ kind: b.kind, bytes: b.bytes.length, changesets: b.changesets, entries: b.entries, path: w.path });
        ledger.push({ kind: b.kind, name: basename(w.path), size: b.bytes.length, fingerprint: fingerprintBytes(b.bytes) });
      }
      // Files after the records that name them, so a stick pulled half way leaves whole records.
      if (options.noFiles !== true) {
        for (const f of await sendFilesUsb(vault, drop.outbox, progress)) {
          written.push(fileRow(f));
          if (f.path !== undefined) ledger.push({ kind: "file", name: basename(f.path), ...(await fingerprintFile(f.path)) });
        }
      }
    } finally {
      // What reached the stick is remembered even if a later write failed, so it can be cleaned up.
      rememberExport(vault, ledger);
    }
  } else {
    const qr = await exportQr(vault, target, bundles, progress, options);
    written.push(...qr.written, ...qr.files.map(fileRow));
  }
  return written;
}

/**
 * Takes off the stick's outbox this vault's own earlier bundles that every recipient has
 * acknowledged (outbox-ledger.ts): the stick does not fill up with what the other side imported.
 * Returns how many files were removed.
 */
export async function cleanOutbox(vault: Vault, root: string): Promise<{ removed: number; bytes: number }> {
  const drop = await prepareDropFolder(root);
  const done = acknowledgedFiles(vault);
  const result = await removeOwnBundles(drop.outbox, done);
  const gone = new Set([...result.removed, ...result.changed]);
  forgetFiles(vault, gone);
  const removed = new Set(result.removed);
  return { removed: result.removed.length, bytes: done.filter((f) => removed.has(f.name)).reduce((n, f) => n + f.size, 0) };
}

export function exportLines(written: readonly WrittenBundle[]): string[] {
  return written.map((w) => {
    if (w.kind === "file") {
      const name = w.file ?? ""; // escaped with the rest of the line by the caller
      if (w.skipped !== undefined) return `file    not sent: ${name}: ${w.skipped}`;
      return `file    ${formatBytes(w.bytes).padStart(9)}  ${name}${w.frames === undefined ? "" : `, ${w.frames} frames`}  → ${w.path}`;
    }
    return `${w.kind.padEnd(7)} ${formatBytes(w.bytes).padStart(9)}  ${w.changesets} changeset(s), ${w.entries} team entries${w.frames === undefined ? "" : `, ${w.frames} frames`}  → ${w.path}`;
  });
}

export interface ImportOptions {
  /** Judge and summarize, keep nothing (dry-run.ts). */
  readonly dryRun?: boolean;
  /** Take off the stick the bundle files this import applied or already held (stick-removal.ts). */
  readonly remove?: boolean;
  /** Read a camera instead of `paths`, until `count` bundles or `signal` (docs/cli.md, "Cameras"). */
  readonly camera?: CameraSource;
  /** Stops reading (Ctrl-C): what was read whole is still applied, each bundle in its own transaction. */
  readonly signal?: AbortSignal;
}

/** A camera to read: its V4L2 device, and how many bundles to wait for (default: until stopped). */
export interface CameraSource {
  readonly device: string;
  readonly count?: number;
}

/** Files and folders, or a camera, as one stream of source events. */
function eventsOf(paths: readonly string[], camera: CameraSource | undefined, options: SourceOptions): AsyncGenerator<SourceEvent> {
  return camera === undefined ? readSources(paths, options) : readCamera({ ...options, device: camera.device, ...(camera.count === undefined ? {} : { count: camera.count }) });
}

export interface BundleResult {
  /** The file (USB, bundle file) or the QR folder, image list or video it came from. */
  readonly source: string;
  readonly outcome: BundleOutcome;
  /** Taken off the stick (`--remove`). */
  readonly removed: boolean;
}

export interface ImportResult {
  readonly read: number;
  readonly report: ImportReport;
  /** Every bundle read, with what became of it. */
  readonly bundles: readonly BundleResult[];
  readonly dryRun: boolean;
  /** Files taken off the stick, and files `--remove` left there because other devices may still need them. */
  readonly removed: number;
  readonly leftForOthers: number;
  /** The delivery receipts this import made for the couriers (receipt.ts); none on a dry run. */
  readonly receipts: IssuedReceipts | undefined;
  /** Reading a camera: per bundle, the rate achieved and the preset that would suit it (shared qr-rate.ts). */
  readonly rates: readonly QrRateReport[];
}

/** One bundle read, waiting to be applied. */
interface Pending {
  readonly source: string;
  readonly usb: AcceptedBundle | LargeBundle | undefined;
  outcome: BundleOutcome | undefined;
  opened?: OpenedPayload;
  content?: BundleContent;
  /** A file bundle: its content address when known (hex). */
  fileHash?: string;
  file?: boolean;
  /** Its receipt id (receipt.ts), for a bundle read whole. */
  id?: string;
  /** Its header's mailbox tag, for the receipt's team check (receipt.ts) when it did not open here. */
  tag?: Uint8Array;
}

/**
 * Reads bundles from files, drop folders, QR images or videos and applies them; damaged input
 * becomes report issues. With `dryRun` nothing is kept (dry-run.ts); with `remove` the stick's
 * bundle files that were applied or already held, and that no other device may still need, are
 * removed. `report.records` names the records changed.
 */
export async function importFrom(
  vault: Vault,
  paths: readonly string[],
  progress?: (line: string) => void,
  /** Bundles larger than this are streamed (attached files), not read into memory; tests lower it. */
  maxInMemoryBytes = MAX_BUNDLE_BYTES,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const events = eventsOf(paths, options.camera, sourceOptionsFor([vault], maxInMemoryBytes, progress, options));
  return importEvents(vault, events, progress, options);
}

/**
 * One import over several spaces of a vault (docs/spaces.md): the paths (or the camera) are read
 * once, and every space is given every bundle in turn; a bundle opens in at most one, since its
 * recipient slots are sealed to one space's device keys. Reading issues are reported with the
 * first space only. `open` gives each space's vault; `release` is called on each at the end.
 */
export async function importIntoSpaces<S>(
  spaces: readonly S[],
  /** A space's vault, or undefined to leave that space out (a damaged one the caller reported). */
  open: (space: S) => Promise<Vault | undefined> | Vault | undefined,
  paths: readonly string[],
  progress?: (line: string) => void,
  options: ImportOptions = {},
  /** What becomes of each vault `open` gave once all are done (default: closed); the TUI keeps the ones it shows. */
  release: (vault: Vault) => void = (v) => v.close(),
): Promise<{ space: S; result: ImportResult }[]> {
  // Sized for the space that accepts the largest files; each space checks its own limit on open.
  const vaults: Vault[] = [];
  const opened: S[] = [];
  try {
    for (const space of spaces) {
      const vault = await open(space);
      if (vault === undefined) continue;
      vaults.push(vault);
      opened.push(space);
    }
    const imports = vaults.map((v, i) => new SpaceImport(v, progress, options, i === 0));
    try {
      // Each bundle offered to every space as it is read: memory stays what one space's import needs.
      for await (const event of eventsOf(paths, options.camera, sourceOptionsFor(vaults, MAX_BUNDLE_BYTES, progress, options))) {
        const id = event.type === "bundle" ? receiptIdOf(event.bytes) : undefined;
        for (const space of imports) await space.take(event, id);
      }
    } catch (e) {
      for (const space of imports) space.abandon();
      throw e;
    }
    const out: { space: S; result: ImportResult }[] = [];
    for (const [i, space] of opened.entries()) out.push({ space, result: await imports[i]!.finish() });
    return out;
  } finally {
    for (const v of vaults) release(v);
  }
}

function sourceOptionsFor(vaults: readonly Vault[], maxInMemoryBytes: number, progress: ((line: string) => void) | undefined, options: ImportOptions): SourceOptions {
  // The largest bundle a file this vault accepts can come in: its padding grows with its size
  // (Padmé), so a fixed allowance would refuse large files once a quota is raised.
  const maxStreamBytes = Math.max(0, ...vaults.map((v) => (v.teamId === undefined ? 0 : sealedLength(largestAccepted(v) + FILE_HEAD_LENGTH, MAX_RECIPIENTS))));
  return { boxes: ["inbox", "outbox"] as const, maxBundleBytes: maxInMemoryBytes, maxStreamBytes, ...(progress === undefined ? {} : { progress }), ...(options.signal === undefined ? {} : { signal: options.signal }) };
}

async function importEvents(vault: Vault, events: AsyncIterable<SourceEvent>, progress: ((line: string) => void) | undefined, options: ImportOptions): Promise<ImportResult> {
  const space = new SpaceImport(vault, progress, options, true);
  try {
    for await (const event of events) await space.take(event);
  } catch (e) {
    space.abandon();
    throw e;
  }
  return space.finish();
}

/**
 * One space's side of an import: each bundle read is offered with take() as it arrives (opened
 * if it is for this space, an attached file received at once), then finish() applies what opened,
 * welcomes first, and settles the stick and the receipts. Several spaces take the same events in
 * turn, so a stick is read once and nothing is held but what a single-space import holds.
 */
class SpaceImport {
  readonly #vault: Vault;
  readonly #progress: ((line: string) => void) | undefined;
  readonly #options: ImportOptions;
  /** Reading issues are reported by one space only (the first), not once per space. */
  readonly #issues: boolean;
  readonly #dryRun: boolean;
  readonly #report = emptyReport();
  readonly #pending: Pending[] = [];
  readonly #collector: RecordChangeCollector;
  readonly #rates: QrRateReport[] = [];
  #read = 0;

  constructor(vault: Vault, progress: ((line: string) => void) | undefined, options: ImportOptions, issues: boolean) {
    this.#vault = vault;
    this.#progress = progress;
    this.#options = options;
    this.#issues = issues;
    this.#dryRun = options.dryRun === true;
    if (vault.teamId !== undefined && !this.#dryRun) sweep(vault);
    this.#collector = new RecordChangeCollector(vault);
  }

  /** Stops collecting record changes after a failed read (finish() is not called then). */
  abandon(): void {
    this.#collector.stop();
  }

  /** `id`: the bundle's receipt id when the caller already computed it (one SHA-256 per bundle, not one per space). */
  async take(event: SourceEvent, id?: string): Promise<void> {
    const vault = this.#vault;
    const report = this.#report;
    const dryRun = this.#dryRun;
    if (this.#options.camera !== undefined && event.type === "bundle" && event.rate !== undefined) this.#rates.push(event.rate);
    if (event.type === "issue") {
      if (this.#issues) report.issues.push({ source: event.from, code: event.code, reason: event.reason });
      return;
    }
    this.#read++;
    const before = snapshot(report);
    if (event.type === "large") {
      const p: Pending = { source: event.from, usb: event.usb, outcome: undefined, file: true };
      if (dryRun) await openLargeDry(vault, event.path, report);
      else await receiveFilePath(vault, event.path, report, (done) => this.#progress?.(`file ${event.from}: ${formatBytes(done)} of ${formatBytes(event.size)}`));
      p.outcome = outcomeOf(report, before, event.from);
      p.fileHash = report.files.hashes.length > before.hashes ? report.files.hashes[report.files.hashes.length - 1] : undefined;
      this.#pending.push(p);
      return;
    }
    const p: Pending = { source: event.from, usb: event.usb, outcome: undefined, id: id ?? receiptIdOf(event.bytes) };
    const o = dryRun ? openDry(vault, event.bytes, event.from, report) : openForVault(vault, event.bytes, event.from, report);
    if (o === undefined) {
      // Not for us, refused, or an attached file (received, or held already).
      p.outcome = outcomeOf(report, before, event.from);
      p.file = report.files.received + report.files.duplicates > before.files;
      p.fileHash = report.files.hashes.length > before.hashes ? report.files.hashes[report.files.hashes.length - 1] : undefined;
      if (p.file !== true) p.tag = mailboxTagOf(event.bytes);
    } else {
      p.opened = o;
      if (this.#options.remove === true) p.content = contentOf(o.sender, o.payload);
    }
    this.#pending.push(p);
  }

  async finish(): Promise<ImportResult> {
    const vault = this.#vault;
    const report = this.#report;
    const dryRun = this.#dryRun;
    const pending = this.#pending;
    const progress = this.#progress;
    const options = this.#options;
    const collector = this.#collector;
    try {
      // Welcomes first: they bring the team the sync bundles belong to.
      const order = pending.filter((p) => p.opened !== undefined).sort((a, b) => Number(b.opened!.payload.kind === "welcome") - Number(a.opened!.payload.kind === "welcome"));
      const applyEach = async (apply: (o: OpenedPayload) => void | Promise<void>): Promise<void> => {
        // A task of its own after reading: a log shows where reading ended and applying began.
        const task = `applying ${order.length === 1 ? "1 bundle" : `${order.length} bundles`}`;
        const step = (done: number): void => reportStep(progress, { task, done, total: order.length, unit: "bundles" });
        if (order.length > 0) step(0);
        for (const [i, p] of order.entries()) {
          const before = snapshot(report);
          await apply(p.opened!);
          p.outcome = outcomeOf(report, before, p.source);
          step(i + 1);
        }
      };
      if (dryRun) {
        // Synchronous inside the one transaction that is rolled back (a transaction cannot span an await).
        applyAndRollBack(
          vault,
          () => {
            for (const p of order) {
              const before = snapshot(report);
              applyPayloads(vault, [p.opened!], report);
              p.outcome = outcomeOf(report, before, p.source);
            }
          },
          () => (report.records = collector.stop()),
        );
      } else {
        await applyEach((o) => applyPayloadsParallel(vault, [o], report));
        if (vault.teamId !== undefined) {
          recordWants(vault, order.map((p) => p.opened!));
          settleFiles(vault, report);
        }
      }
    } finally {
      const records = collector.stop();
      if (!dryRun) report.records = records;
    }
    report.records ??= [];
    let removed = 0;
    let leftForOthers = 0;
    const results: BundleResult[] = [];
    for (const p of pending) {
      let gone = false;
      if (options.remove === true && !dryRun && p.usb !== undefined && (p.outcome === "applied" || p.outcome === "held")) {
        // A file is taken off the stick only while this vault still holds it: settling after the
        // import may have dropped one it received (a quota, a file no record names yet).
        const kept = p.file !== true || p.fileHash === undefined || vault.storage.blobs.get(unhex(p.fileHash)) !== undefined;
        const mayGo = kept && (p.file === true ? othersHoldFile(vault, p.fileHash) : p.content === undefined || othersHold(vault, p.content));
        if (!mayGo) leftForOthers++;
        else {
          try {
            gone = await removeBundle(p.usb);
            if (gone) removed++;
          } catch (e) {
            report.issues.push({ source: p.source, code: (e as { code?: string }).code ?? "USB_WRITE_FAILED", reason: `not removed: ${(e as Error).message}` });
          }
        }
      }
      results.push({ source: p.source, outcome: p.outcome ?? "refused", removed: gone });
    }
    const arrived = pending.flatMap((p) => (p.id === undefined ? [] : [{ id: p.id, opened: p.opened !== undefined || p.file === true, ...(p.tag === undefined ? {} : { tag: p.tag }), ...(p.usb === undefined ? {} : { stickFile: p.usb.path }) }]));
    const receipts = dryRun ? undefined : await issueReceipts(vault, arrived);
    return { read: this.#read, report, bundles: results, dryRun, removed, leftForOthers, receipts, rates: this.#rates };
  }
}

interface Counts {
  readonly notForMe: number;
  readonly issues: number;
  readonly quarantined: number;
  readonly news: number;
  readonly files: number;
  readonly hashes: number;
}

function snapshot(r: ImportReport): Counts {
  return {
    notForMe: r.notForMe,
    issues: r.issues.length,
    quarantined: r.quarantined,
    news: r.changesetsNew + r.entriesAdded + (r.welcomed === undefined ? 0 : 1) + r.files.received,
    files: r.files.received + r.files.duplicates,
    hashes: r.files.hashes.length,
  };
}

/** What one bundle came to, from how the report moved while it was read or applied. */
function outcomeOf(r: ImportReport, before: Counts, source: string): BundleOutcome {
  const now = snapshot(r);
  if (now.quarantined > before.quarantined || r.issues.slice(before.issues).some((i) => i.source === source)) return "refused";
  if (now.notForMe > before.notForMe) return "not-for-me";
  if (now.news > before.news) return "applied";
  return "held";
}

/**
 * What each sender asked for in its newest sync bundle (sync 1.3 `wants`): replaces what it asked
 * before, unless the bundle is older than the one its list came from (a replay, or two of its
 * bundles in one import): "newer" is a larger sum of the acks it carries, which only grow.
 */
function recordWants(vault: Vault, opened: readonly OpenedPayload[]): void {
  const state = vault.requireTeam();
  vault.tx(() => {
    for (const o of opened) {
      if (o.payload.kind !== "sync" || o.payload.minor < 3) continue;
      const device = toHex(o.sender);
      if (state.devices.get(device)?.active !== true) continue;
      const sync = o.payload as SyncPayload;
      const progress = sync.acks.reduce((n, a) => n + a.seq, 0);
      const key = `files.wants.${device}`;
      if (progress < Number(vault.storage.meta.get(key) ?? -1)) continue;
      vault.storage.meta.set(key, String(progress));
      vault.storage.blobs.setWants(o.sender, sync.wants ?? []);
    }
  });
}

export function importLines(read: number, report: ImportReport): string[] {
  const lines = [`Read ${read} bundle(s): ${report.bundles} for this device, ${report.notForMe} for others.`];
  if (report.records !== undefined && report.records.length > 0) lines.push(...recordChangeLines(report.records));
  if (report.files.received + report.files.duplicates > 0) lines.push(`Files: ${report.files.received} new (${formatBytes(report.files.bytes)}), ${report.files.duplicates} already here.`);
  if (report.welcomed !== undefined) lines.push(`Welcome to team "${report.welcomed}".`);
  lines.push(
    `Team entries: ${report.entriesAdded} new${report.entriesRejected > 0 ? `, ${report.entriesRejected} rejected` : ""}. Changesets: ${report.changesetsNew} new, ${report.applied} applied, ${report.locked} locked, ${report.rejected} rejected, ${report.duplicates} already had${report.waiting > 0 ? `, ${report.waiting} waiting for earlier ones` : ""}.`,
  );
  if (report.quarantined > 0) lines.push(`${report.quarantined} quarantined (see airlock status).`);
  for (const i of report.issues) lines.push(`  ! ${i.source}: ${i.reason} (${i.code})`);
  return lines;
}

/** A join request people carried in: its file, the same as QR images or a video of them, or a camera filming them. */
export async function readRequest(path: string | CameraSource, progress?: (line: string) => void, signal?: AbortSignal): Promise<Uint8Array> {
  const issues: string[] = [];
  const camera = typeof path === "string" ? undefined : { ...path, count: 1 };
  const options = { maxBundleBytes: MAX_REQUEST_BYTES, boxes: [], ...(progress === undefined ? {} : { progress }), ...(signal === undefined ? {} : { signal }) };
  for await (const event of eventsOf(typeof path === "string" ? [path] : [], camera, options)) {
    if (event.type === "bundle") return event.bytes;
    if (event.type === "issue") issues.push(`${event.code}: ${event.reason}`);
  }
  const detail = issues.length > 0 ? ` (${issues.join("; ")})` : "";
  if (camera !== undefined) {
    throw new AirlockError("CAMERA_STOPPED", `the camera ${camera.device} stopped before a whole join request was read${detail}`, {
      hint: "nothing was signed; run it again and hold the camera at the joiner's QR animation until it says received",
    });
  }
  throw vaultError("VAULT_BAD_ARGUMENT", `no join request could be read from ${path as string}${detail}`);
}

/**
 * The device ids a person means by `refs` for `export --welcome`: each is a member (name or id
 * prefix: all their active devices) or a device id prefix.
 */
export function welcomeTargets(vault: Vault, refs: readonly string[]): string[] {
  const state = vault.requireTeam();
  const ids = new Set<string>();
  for (const ref of refs) {
    let devices;
    try {
      const user = vault.findUser(ref);
      // A member's name means their other laptops (my own name: my second laptop).
      devices = [...state.devices.values()].filter((d) => d.user === user.id && d.active && d.id !== vault.deviceId);
      if (devices.length === 0) throw vaultError("VAULT_BAD_ARGUMENT", `${user.name} has no other active laptop to welcome`);
    } catch (e) {
      if (isAirlockError(e, "VAULT_BAD_ARGUMENT")) throw e;
      devices = [vault.findDevice(ref)];
    }
    for (const d of devices) {
      if (d.id === vault.deviceId) throw vaultError("VAULT_BAD_ARGUMENT", "this laptop does not need a welcome from itself");
      if (!d.active) throw vaultError("VAULT_BAD_ARGUMENT", `device ${d.id.slice(0, 12)} was revoked; it gets no welcome`);
      ids.add(d.id);
    }
  }
  return [...ids];
}

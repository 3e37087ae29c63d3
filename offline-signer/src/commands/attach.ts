/** `airlock attach …`: files on records of any app (docs/attachments.md). */
import { Args, Flags } from "@oclif/core";
import { formatBytes, safe } from "@airlock/shared";
import { toHex } from "@airlock/bundle-format";
import { refId } from "../apps/attachments/ref.js";
import { attachFile, detachFile, findFile, getFile, listFiles, locateRecord, prune, type FileEntry } from "../attachments/local.js";
import { DEFAULT_QUOTA, parseSize, quotaOf, setQuota } from "../attachments/quota.js";
import { VaultCommand } from "./base.js";
import { table } from "./format.js";

const collectionFlag = Flags.string({ description: "the record's collection (default: the one readable collection holding that id)" });

const entryJson = (f: FileEntry): Record<string, unknown> => ({
  collection: f.collection,
  record: f.record,
  id: toHex(f.ref.hash),
  name: f.ref.name,
  size: f.ref.size,
  type: f.ref.type,
  held: f.held,
});

export class AttachAdd extends VaultCommand {
  static override summary = "Attach a file to a record (a note, ticket, contact, event, secret or document).";
  static override description =
    "The file is sealed to this laptop in one pass (memory stays flat whatever its size) and its reference added to the record. It travels to the others with your next export: by USB stick, or as QR frames when small. The same file attached twice is stored and sent once.";
  static override examples = ["<%= config.bin %> attach add 3f2a scan.pdf", "<%= config.bin %> attach add 3f2a photo.jpg --collection tickets --name evidence-1.jpg"];
  static override args = {
    record: Args.string({ description: "record id (or a unique prefix)", required: true }),
    file: Args.string({ description: "the file to attach", required: true }),
  };
  static override flags = {
    collection: collectionFlag,
    name: Flags.string({ description: "the name others see (default: the file's own name)" }),
    type: Flags.string({ description: "media type, e.g. application/pdf (default: guessed from the name)" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AttachAdd);
    await this.withVault(flags, async (vault) => {
      const at = locateRecord(vault, args.record, flags.collection);
      const progress = this.progress();
      const a = await attachFile(vault, at.collection, at.record, args.file, {
        ...(flags.name === undefined ? {} : { name: flags.name }),
        ...(flags.type === undefined ? {} : { type: flags.type }),
        onProgress: (done, total) => progress(`sealing ${formatBytes(done)} of ${formatBytes(total)}`),
      });
      const text = safe`Attached ${a.ref.name} (${formatBytes(a.ref.size)}, id ${refId(a.ref)}) to ${a.record} in ${at.collection}${a.deduplicated ? "; the same file was already here, so it is stored once" : ""}.` + "\n";
      this.emit(flags.json, { collection: at.collection, record: a.record, id: toHex(a.ref.hash), name: a.ref.name, size: a.ref.size, type: a.ref.type, deduplicated: a.deduplicated }, text);
    });
  }
}

export class AttachList extends VaultCommand {
  static override summary = "List attached files: of one record, of a collection, or of everything you may read.";
  static override description = 'A file marked "not here yet" is named by a record that arrived before the file did; your next export asks for it.';
  static override examples = ["<%= config.bin %> attach list", "<%= config.bin %> attach list 3f2a", "<%= config.bin %> attach list --collection tickets --json"];
  static override args = { record: Args.string({ description: "only this record's files (id or unique prefix)" }) };
  static override flags = { collection: Flags.string({ description: "only this collection" }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AttachList);
    await this.withVault(flags, async (vault) => {
      vault.requireTeam();
      const where = args.record === undefined ? { ...(flags.collection === undefined ? {} : { collection: flags.collection }) } : locateRecord(vault, args.record, flags.collection);
      const files = listFiles(vault, where);
      const text =
        files.length === 0
          ? "no attached files\n"
          : table(files.map((f) => [toHex(f.ref.hash).slice(0, 12), f.collection, f.record, formatBytes(f.ref.size), f.held ? "here" : "not here yet", f.ref.name]));
      this.emit(flags.json, { files: files.map(entryJson) }, text);
    });
  }
}

export class AttachGet extends VaultCommand {
  static override summary = "Write an attached file out of the vault.";
  static override description = "The file is written whole or not at all (a temporary file renamed at the end), and never over an existing file unless --force.";
  static override examples = ["<%= config.bin %> attach get 3f2a --out scan.pdf", "<%= config.bin %> attach get 3f2a evidence-1.jpg --out ~/Desktop/e1.jpg"];
  static override args = {
    record: Args.string({ description: "record id (or a unique prefix)", required: true }),
    file: Args.string({ description: "file name or id prefix (needed when the record carries several)" }),
  };
  static override flags = {
    collection: collectionFlag,
    out: Flags.string({ description: "where to write it (default: its name, in the current folder)" }),
    force: Flags.boolean({ description: "replace a file already at --out", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AttachGet);
    await this.withVault(flags, async (vault) => {
      const at = locateRecord(vault, args.record, flags.collection);
      const placed = findFile(vault, at.collection, at.record, args.file);
      // Someone else chose the name: never let it become a dotfile or an option-like name by default.
      if (flags.out === undefined && /^[.-]/.test(placed.ref.name)) this.usage(`the file is named "${placed.ref.name}", which would write a hidden or option-like file here; say where with --out`);
      const out = flags.out ?? placed.ref.name;
      const progress = this.progress();
      await getFile(vault, placed, out, { force: flags.force, onProgress: (done, total) => progress(`opening ${formatBytes(done)} of ${formatBytes(total)}`) });
      this.emit(flags.json, { ...entryJson({ ...placed, held: true }), out }, safe`Wrote ${placed.ref.name} (${formatBytes(placed.ref.size)}) to ${out}.` + "\n");
    });
  }
}

export class AttachRm extends VaultCommand {
  static override summary = "Take a file off a record (for everyone, as any edit is).";
  static override description = "Its bytes stay on laptops while another record names them; `airlock attach prune` frees what nothing names.";
  static override examples = ["<%= config.bin %> attach rm 3f2a scan.pdf"];
  static override args = {
    record: Args.string({ description: "record id (or a unique prefix)", required: true }),
    file: Args.string({ description: "file name or id prefix (needed when the record carries several)" }),
  };
  static override flags = { collection: collectionFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AttachRm);
    await this.withVault(flags, async (vault) => {
      const at = locateRecord(vault, args.record, flags.collection);
      const placed = findFile(vault, at.collection, at.record, args.file);
      detachFile(vault, placed);
      this.emit(flags.json, { collection: at.collection, record: at.record, id: toHex(placed.ref.hash), name: placed.ref.name }, safe`Removed ${placed.ref.name} from ${at.record}.` + "\n");
    });
  }
}

export class AttachPrune extends VaultCommand {
  static override summary = "Free the disk space of files no record you may read names any more.";
  static override examples = ["<%= config.bin %> attach prune"];

  async run(): Promise<void> {
    const { flags } = await this.parse(AttachPrune);
    await this.withVault(flags, async (vault) => {
      vault.requireTeam();
      const freed = prune(vault);
      this.emit(flags.json, { freed }, `Freed ${formatBytes(freed)}.\n`);
    });
  }
}

export class AttachQuota extends VaultCommand {
  static override summary = "Show or set how much of a collection's attached files this laptop keeps.";
  static override description = `Limits are this laptop's own: a file over them is not kept here (its record is), and is not asked for. Defaults: files up to ${formatBytes(DEFAULT_QUOTA.maxFile)}, ${formatBytes(DEFAULT_QUOTA.total)} per collection.`;
  static override examples = ["<%= config.bin %> attach quota tickets", "<%= config.bin %> attach quota tickets --max-file 2GiB --total 20GiB"];
  static override args = { collection: Args.string({ description: "collection", required: true }) };
  static override flags = {
    "max-file": Flags.string({ description: "largest single file, e.g. 500MB or 2GiB" }),
    total: Flags.string({ description: "most bytes of files kept for the collection" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AttachQuota);
    await this.withVault(flags, async (vault) => {
      const change = {
        ...(flags["max-file"] === undefined ? {} : { maxFile: parseSize(flags["max-file"]) }),
        ...(flags.total === undefined ? {} : { total: parseSize(flags.total) }),
      };
      const q = Object.keys(change).length === 0 ? (vault.requireTeam().collections.has(args.collection) ? quotaOf(vault, args.collection) : setQuota(vault, args.collection, {})) : setQuota(vault, args.collection, change);
      this.emit(flags.json, { collection: args.collection, ...q }, safe`${args.collection}: files up to ${formatBytes(q.maxFile)}, ${formatBytes(q.total)} in all, on this laptop.` + "\n");
    });
  }
}

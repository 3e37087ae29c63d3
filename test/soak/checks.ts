/**
 * What the soak reads back after a kill, through the projects' own openers: the vault through
 * VaultStore (the encrypted store, opened as the CLI opens it), the spool through the courier's
 * Spool and openSqlite, drop folders and mailbox folders file by file. Each reader returns facts;
 * the scenarios decide what is a loss.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { inspectBundle } from "@airlock/bundle-format";
import { isBundleName, isTempName } from "@airlock/shared";
import { passphraseBytes, VaultStore } from "../../offline-signer/src/store/index.js";
import { isMailboxName } from "../../online-courier/src/mailbox/backend.js";
import { TEMP_PREFIX as MAILBOX_TEMP_PREFIX } from "../../online-courier/src/mailbox/dir.js";
import { openSqlite } from "../../online-courier/src/spool/sqlite.js";
import { Spool } from "../../online-courier/src/spool/spool.js";
import { PASSPHRASE } from "../e2e/support/cli.js";

const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

function integrity(rows: unknown): string {
  const lines = (rows as Record<string, unknown>[]).map((r) => String(Object.values(r)[0]));
  return lines.join("; ");
}

export interface VaultFacts {
  /** "ok", or what PRAGMA integrity_check found. */
  readonly integrity: string;
  /** Hashes (hex) of the changesets with status 'applied'. */
  readonly applied: ReadonlySet<string>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly ops: number;
  /** Applied changesets without a single op row, and op rows whose changeset is not applied. */
  readonly appliedWithoutOps: number;
  readonly orphanOps: number;
  /** Per device (hex), the newest sequence number this vault holds. */
  readonly heads: Readonly<Record<string, number>>;
  /** SHA-256 over every row of every table (with `tables: true`). */
  readonly tables?: string;
}

/** Opens the vault at `home` as the CLI does and reads what the checks need. */
export async function vaultFacts(home: string, options: { tables?: boolean } = {}): Promise<VaultFacts> {
  const store = await VaultStore.open(home, passphraseBytes(PASSPHRASE), { kdf: "test-insecure" });
  try {
    const db = store.connection();
    const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    const applied = new Set((db.prepare("SELECT hash FROM changesets WHERE status = 'applied'").all() as { hash: Buffer }[]).map((r) => r.hash.toString("hex")));
    const byStatus = Object.fromEntries((db.prepare("SELECT status, count(*) AS n FROM changesets GROUP BY status").all() as { status: string; n: number }[]).map((r) => [r.status, r.n]));
    const heads = Object.fromEntries((db.prepare("SELECT device, seq FROM device_heads").all() as { device: Buffer; seq: number }[]).map((r) => [r.device.toString("hex"), r.seq]));
    return {
      integrity: integrity(db.pragma("integrity_check")),
      applied,
      byStatus,
      ops: count("SELECT count(*) AS n FROM ops"),
      appliedWithoutOps: count("SELECT count(*) AS n FROM changesets c WHERE c.status = 'applied' AND NOT EXISTS (SELECT 1 FROM ops o WHERE o.cs = c.id)"),
      orphanOps: count("SELECT count(*) AS n FROM ops o WHERE NOT EXISTS (SELECT 1 FROM changesets c WHERE c.id = o.cs AND c.status = 'applied')"),
      heads,
      ...(options.tables === true ? { tables: tablesDigest(db) } : {}),
    };
  } finally {
    store.close();
  }
}

function tablesDigest(db: ReturnType<VaultStore["connection"]>): string {
  const h = createHash("sha256");
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  for (const t of tables) {
    const rows = (db.prepare(`SELECT * FROM "${t.replaceAll('"', '""')}"`).all() as Record<string, unknown>[]).map((r) =>
      JSON.stringify(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString("hex") : v])),
    );
    rows.sort();
    h.update(`${t}\n${rows.join("\n")}\n`);
  }
  return h.digest("hex");
}

export interface FolderFacts {
  /** Final-named files that hold a whole bundle (relative path → its SHA-256). */
  readonly complete: ReadonlyMap<string, string>;
  /** Temp files an interrupted writer left (allowed: never read as bundles). */
  readonly temps: number;
  /** A final-named file that is not a whole bundle, or something that should not be there. */
  readonly problems: readonly string[];
}

function walk(dir: string): { path: string; name: string; isFile: boolean }[] {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries.map((e) => ({ path: join(e.parentPath, e.name), name: e.name, isFile: e.isFile() }));
}

/** A USB drop folder: every file under a bundle name must be a whole bundle. */
export function dropFolderFacts(stick: string): FolderFacts {
  const complete = new Map<string, string>();
  const problems: string[] = [];
  let temps = 0;
  for (const e of walk(join(stick, "airlock"))) {
    if (!e.isFile) continue;
    const rel = relative(stick, e.path);
    if (isTempName(e.name)) {
      temps++;
      continue;
    }
    if (!isBundleName(e.name)) {
      problems.push(`${rel}: neither a bundle nor a temp name`);
      continue;
    }
    const bytes = readFileSync(e.path);
    try {
      inspectBundle(bytes);
      complete.set(rel, sha256(bytes));
    } catch (err) {
      problems.push(`${rel}: ${(err as Error).message}`);
    }
  }
  return { complete, temps, problems };
}

/** A `dir:` mailbox: every file under a bundle name must hash to its name. */
export function mailboxFacts(mailbox: string): FolderFacts & { readonly namespacesOf: ReadonlyMap<string, readonly string[]> } {
  const complete = new Map<string, string>();
  const namespacesOf = new Map<string, string[]>();
  const problems: string[] = [];
  let temps = 0;
  for (const e of walk(mailbox)) {
    if (!e.isFile) continue;
    const rel = relative(mailbox, e.path);
    if (e.name.startsWith(MAILBOX_TEMP_PREFIX)) {
      temps++;
      continue;
    }
    if (!isMailboxName(e.name)) {
      problems.push(`${rel}: neither a bundle nor a temp name`);
      continue;
    }
    const digest = sha256(readFileSync(e.path));
    if (`${digest}.airlock` !== e.name) {
      problems.push(`${rel}: does not hold the bytes its name promises`);
      continue;
    }
    complete.set(rel, digest);
    namespacesOf.set(digest, [...(namespacesOf.get(digest) ?? []), relative(mailbox, dirname(e.path))]);
  }
  return { complete, temps, problems, namespacesOf };
}

export interface SpoolRow {
  readonly digest: string;
  readonly direction: string;
  readonly state: string;
  readonly team: string | null;
}

export interface SpoolFacts {
  readonly integrity: string;
  /** digest → row. */
  readonly rows: ReadonlyMap<string, SpoolRow>;
}

/** The courier's spool: integrity, then its rows; then the courier's own opener must take it. */
export function spoolFacts(spoolFile: string): SpoolFacts {
  const db = openSqlite(spoolFile);
  let facts: SpoolFacts;
  try {
    const rows = db.prepare("SELECT digest, direction, state, team FROM bundles").all() as SpoolRow[];
    facts = { integrity: integrity(db.pragma("integrity_check")), rows: new Map(rows.map((r) => [r.digest, r])) };
  } finally {
    db.close();
  }
  Spool.open(spoolFile).close();
  return facts;
}

/** SHA-256 of every file under `dir` (relative path → hash): to see that an input was left alone. */
export function folderDigest(dir: string): string {
  const files = walk(dir)
    .filter((e) => e.isFile)
    .map((e) => `${relative(dir, e.path)} ${sha256(readFileSync(e.path))}`)
    .sort();
  return sha256(files.join("\n"));
}

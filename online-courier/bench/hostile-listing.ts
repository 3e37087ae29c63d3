/**
 * Measurement (issue #17, quotas): a hostile mailbox that lists `names` fresh junk names every
 * round (random bytes stored under their own digests, so every fetch succeeds and is refused).
 * Only today's namespace is hostile. Prints each round's time and the spool's size on disk
 * (file, WAL) after it, and the file's after a final checkpoint. The mailbox is
 * in-process, so the figures are the courier's own work (listing, fetching, judging,
 * remembering), not the network's.
 *
 *   node online-courier/dist/bench/hostile-listing.js [NAMES] [ROUNDS]
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TransportKey } from "@airlock/shared";
import { Courier } from "../src/courier/courier.js";
import { createHome, resolveHome } from "../src/home/paths.js";
import { saveTeams, type TeamId } from "../src/home/teams.js";
import type { MailboxBackend, MailboxName } from "../src/mailbox/backend.js";
import { MemoryMailbox } from "../src/mailbox/memory.js";

function hostile(count: number): MailboxBackend {
  const junk = new Map<string, Uint8Array>();
  const inner = new MemoryMailbox();
  return {
    maxBundleBytes: inner.maxBundleBytes,
    put: (name, bytes) => inner.put(name, bytes),
    async list() {
      junk.clear();
      for (let i = 0; i < count; i++) {
        const bytes = randomBytes(1024);
        junk.set(`${createHash("sha256").update(bytes).digest("hex")}.airlock`, bytes);
      }
      return { names: [...junk.keys()] as MailboxName[], cursor: "" };
    },
    async get(name) {
      return junk.get(name) ?? (await inner.get(name));
    },
    delete: (name) => inner.delete(name),
  };
}

const mib = (path: string): string => {
  try {
    return (statSync(path).size / 1024 / 1024).toFixed(2);
  } catch {
    return "0.00"; // no WAL right now
  }
};

async function main(): Promise<void> {
  const names = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-hostile-"));
  try {
    const home = resolveHome(join(dir, "home"));
    createHome(home);
    const tk = TransportKey.generate();
    const key = tk.exportKey();
    saveTeams(home, [
      { id: "11".repeat(32) as TeamId, name: "bench", transportKey: Buffer.from(key).toString("hex"), epochSeconds: tk.epochSeconds, mailboxes: ["memory:hostile"], sendPerRound: 4, bucketSizes: [65536] },
    ]);
    key.fill(0);
    const backends = new Map<string, MailboxBackend>();
    // Only today's namespace is hostile; the other namespaces of the pull window are empty.
    const today = tk.mailboxId(tk.epochAt(Date.now()));
    const open = (namespace: string): MailboxBackend => (namespace === today ? hostile(names) : new MemoryMailbox());
    const courier = Courier.open(home, { openBackend: (_url, ns) => backends.get(ns.namespace) ?? backends.set(ns.namespace, open(ns.namespace)).get(ns.namespace)! });
    for (let r = 1; r <= rounds; r++) {
      const started = performance.now();
      const reports = await courier.round();
      const ms = performance.now() - started;
      const pulled = reports.reduce((n, x) => n + (x.pull?.listed ?? 0), 0);
      const refused = reports.reduce((n, x) => n + (x.pull?.refused ?? 0), 0);
      console.log(`round ${r}: ${ms.toFixed(0)} ms; listed ${pulled}, fetched and refused ${refused}; spool ${mib(home.spoolFile)} MiB + WAL ${mib(`${home.spoolFile}-wal`)} MiB`);
    }
    courier.spool.checkpoint();
    console.log(`after a checkpoint: spool ${mib(home.spoolFile)} MiB`);
    courier.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * The two mailbox backends the loop runs through, behind what the story needs of them:
 * each courier's mailbox URL, "wait until what courier N pushed can be pulled by the other",
 * the folders where the mailbox keeps bundles (to search for plaintext), and stop().
 *
 * - `http`: the blind HTTP mailbox, `airlock-courier serve` on 127.0.0.1, in a server home that
 *   holds only the mailbox server key, exported by a third courier (c0) of the team with
 *   `mailbox-key` and imported with `serve-init`; both couriers use http://127.0.0.1:PORT.
 * - `syncthing`: a `dir:` mailbox per courier, two real Syncthing peers on 127.0.0.1 keeping the
 *   two folders in sync (online-courier/test-support/syncthing.ts). After a push the pushing
 *   peer is rescanned and we wait until the other peer holds every bundle file, complete.
 */
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { startSyncthingPair, type SyncthingPeers } from "../../../online-courier/test-support/syncthing.js";
import { airlock, courier, courierMany, freePort, startMailboxServer } from "./cli.js";

export type BackendKind = "http" | "syncthing";

export interface Mailboxes {
  readonly kind: BackendKind;
  /** The --mailbox URL of courier 1 or 2. */
  url(courierNo: 1 | 2): string;
  /** Resolves when everything courier `from` pushed is visible to the other courier. */
  carried(from: 1 | 2): Promise<void>;
  /** Folders holding the mailbox's stored bundles. */
  readonly stores: readonly string[];
  /**
   * After the team rotated its transport key (docs/transport-key.md, "Couriers"): http, the
   * operator step (its courier ingests the admin's stick with its enrollment, mailbox-key,
   * serve-init, serve restarted); syncthing, nothing.
   */
  newGeneration(stick: string): Promise<void>;
  stop(): Promise<void>;
}

async function bundleFiles(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !/^[0-9a-f]{64}\.airlock$/.test(e.name)) continue;
    const path = join(e.parentPath, e.name);
    out.set(relative(dir, path), (await stat(path)).size);
  }
  return out;
}

/** `vaultHome` enrolls the mailbox operator's courier (http only); `root` is where its home goes. */
export async function startMailboxes(kind: BackendKind, root: string, vaultHome: string): Promise<Mailboxes> {
  if (kind === "http") {
    const home = join(root, "courier-0-mailbox");
    courier(home, ["keygen", "--out", join(root, "courier-0.pub")]);
    airlock(vaultHome, ["courier-enroll", "--courier-key", join(root, "courier-0.pub"), "--out", join(root, "courier-0.enrollment")]);
    const port = await freePort();
    const serverHome = join(root, "mailbox-server");
    courierMany([
      { home, args: ["init", join(root, "courier-0.enrollment"), "--mailbox", `http://127.0.0.1:${port}`] },
      { home, args: ["mailbox-key", "--out", join(root, "mailbox-server.key")] },
      { home: serverHome, args: ["serve-init", join(root, "mailbox-server.key")] },
    ]);
    let server = await startMailboxServer(serverHome, port);
    return {
      kind,
      url: () => server.url,
      carried: async () => {}, // one server: a finished PUT is visible to every GET
      stores: [join(serverHome, "mailbox-store")],
      async newGeneration(stick) {
        courierMany([
          { home, args: ["ingest", stick, "--keep"] }, // the stick goes on to the couriers and laptops
          { home, args: ["mailbox-key", "--out", join(root, "mailbox-server.key")] },
          { home: serverHome, args: ["serve-init", join(root, "mailbox-server.key")] },
        ]);
        await server.stop();
        server = await startMailboxServer(serverHome, port);
      },
      stop: () => server.stop(),
    };
  }
  const peers: SyncthingPeers = await startSyncthingPair();
  return {
    kind,
    url: (n) => `dir:${peers.folders[n - 1]!}`,
    async carried(from) {
      const i = from - 1;
      const to = 1 - i;
      await peers.rescan(i);
      const want = await bundleFiles(peers.folders[i]!);
      await peers.waitUntil(`${want.size} bundle files carried from peer ${i} to peer ${to}`, async () => {
        const have = await bundleFiles(peers.folders[to]!);
        for (const [name, size] of want) if (have.get(name) !== size) return false;
        return true;
      }, 60_000);
    },
    stores: peers.folders,
    newGeneration: async () => {},
    stop: () => peers.stop(),
  };
}

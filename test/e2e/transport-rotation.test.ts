/**
 * Transport key generations through the real parts (docs/transport-key.md, "Generations"): real
 * vaults (test KDF), real couriers with a `dir:` mailbox and with `serve` on 127.0.0.1. Alice
 * (owner) removes Carol; the next export of Alice's vault carries a fresh enrollment for every
 * courier still enrolled; both remaining couriers ingest it and adopt generation 1. Afterwards
 * Carol's old key (her own courier, retired with her) lists nothing new in any namespace it can
 * compute, an old-key PUT is refused by the server once it has the new generation, and Alice and
 * Bob keep syncing both ways.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { isAirlockError, type TransportKey } from "@airlock/shared";
import { importInto, newVault, team, tempRoot } from "../../offline-signer/test-support/vaults.js";
import { exportBundles } from "../../offline-signer/src/vault/sync.js";
import { enrollCourier } from "../../offline-signer/src/vault/courier-enroll.js";
import type { Vault } from "../../offline-signer/src/vault/vault.js";
import { Courier } from "../../online-courier/src/courier/courier.js";
import { generateCourierKey } from "../../online-courier/src/home/courier-key.js";
import { openEnrollment } from "../../online-courier/src/home/enrollment.js";
import { loadServedMailboxes, saveServedMailboxes, serverKeysOf, servedMailboxOf } from "../../online-courier/src/home/mailbox-server.js";
import { createHome, resolveHome, type CourierHome } from "../../online-courier/src/home/paths.js";
import { loadTeams, saveTeams, transportKeyOf, upsertTeam } from "../../online-courier/src/home/teams.js";
import { MAILBOX_SUFFIX } from "../../online-courier/src/mailbox/backend.js";
import { httpMailboxCredentials } from "../../online-courier/src/mailbox/http.js";
import { startMailboxServer, type MailboxServer } from "../../online-courier/src/mailbox/http-server.js";
import { openMailbox } from "../../online-courier/src/mailbox/open.js";

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

interface World {
  a: Vault;
  b: Vault;
  c: Vault;
  root: string;
  now: () => number;
  home: (name: string) => CourierHome;
}

async function world(): Promise<World> {
  const t = tempRoot("airlock-rotation-e2e-");
  cleanup.push(t.cleanup);
  const { a, b, clock } = await team(t.root);
  const c = await newVault(t.root, "c", clock);
  a.addMember(c.joinRequest("carol").bytes, "viewer");
  for (const [from, to] of [[a, [b, c]], [b, [a, c]], [c, [a, b]]] as const) {
    const bundles = exportBundles(from);
    for (const v of to) importInto(v, bundles);
  }
  cleanup.push(() => {
    for (const v of [a, b, c]) v.close();
  });
  return { a, b, c, root: t.root, now: clock.now, home: (name) => resolveHome(join(t.root, name)) };
}

/** `keygen` in a new home, `courier-enroll` on `enroller`'s vault, `init` with `url`. */
function enrolledCourier(w: World, name: string, enroller: Vault, url: string): Courier {
  const home = w.home(name);
  createHome(home);
  const key = generateCourierKey(home);
  const enrollment = openEnrollment(enrollCourier(enroller, key.publicKey, name, url).bytes, key);
  saveTeams(home, upsertTeam(loadTeams(home), enrollment, url, { sendPerRound: 2, bucketSizes: [65536] }, w.now()).teams);
  key.secretKey.fill(0);
  return open(w, name);
}

function open(w: World, name: string): Courier {
  const courier = Courier.open(w.home(name), { now: w.now });
  cleanup.push(() => courier.close());
  return courier;
}

const outcomes = (c: Courier, bytes: Uint8Array[]): string[] => c.ingestMany(bytes).map((o) => (o.outcome === "enrollment" ? `enrollment:${o.generation}:${o.adopted}` : o.outcome));

/**
 * A vault's export ingested by its courier; `others` see only the stick's enrollment files (the
 * admin hands each courier operator its own, or the stick goes round): each courier's outcomes.
 */
function carry(vault: Vault, courier: Courier, ...others: Courier[]): string[][] {
  const exported = exportBundles(vault);
  const enrollments = exported.filter((b) => b.kind === "courier-enrollment").map((b) => b.bytes);
  return [outcomes(courier, exported.map((b) => b.bytes)), ...others.map((c) => outcomes(c, enrollments))];
}

/** What a courier pulled, handed to a vault; returns the titles the vault then shows. */
function deliver(courier: Courier, vault: Vault): string[] {
  const inbound = courier.spool.list({ direction: "inbound" }).map((e) => ({ bytes: courier.spool.get(e.digest)!, source: e.digest }));
  importInto(vault, inbound.map((x) => x.bytes));
  return vault.records("notes").map((r) => String(r.fields["title"] ?? ""));
}

const note = (v: Vault, title: string): void => {
  v.write("notes", [{ kind: "set", record: `n-${toHex(randomBytes(4))}`, field: "title", value: title }]);
};

/** Every bundle name in the namespaces `tk` computes for the last few epochs (what its holder can list). */
async function listable(url: string, tk: TransportKey, now: number): Promise<string[]> {
  const names: string[] = [];
  for (let e = tk.epochAt(now) - 2; e <= tk.epochAt(now) + 1; e++) {
    const box = openMailbox(url, httpMailboxCredentials(tk, e));
    try {
      names.push(...(await box.list()).names);
    } catch (err) {
      if (!isAirlockError(err, "MAILBOX_AUTH")) throw err;
    } finally {
      box.close?.();
    }
  }
  return names.sort();
}

async function scenario(w: World, url: string, afterRotation?: () => Promise<void>): Promise<{ carolKey: TransportKey }> {
  const { a, b, c } = w;
  const relay = enrolledCourier(w, "relay", a, url);
  const bobs = enrolledCourier(w, "bobs", a, url);
  const carols = enrolledCourier(w, "carols", c, url);
  // Before: Alice -> relay -> mailbox -> Bob's courier -> Bob.
  note(a, "before");
  carry(a, relay);
  await relay.round();
  await bobs.round();
  expect(deliver(bobs, b)).toContain("before");
  await carols.round(); // Carol's courier has seen everything of before

  a.removeMember("carol");
  expect(a.state().transport).toHaveLength(1);
  const carolKey = transportKeyOf(loadTeams(w.home("carols"))[0]!);
  cleanup.push(() => carolKey.wipe());
  const beforeNames = await listable(url, carolKey, w.now());

  // Alice's next export reaches both remaining couriers: each adopts generation 1 from it.
  note(a, "after");
  const [atRelay, atBobs, atCarols] = carry(a, relay, bobs, carols);
  expect(atRelay).toContain("enrollment:1:true");
  expect(atBobs).toContain("enrollment:1:true");
  // Carol's courier retired with her: nothing in the export is for it, its key stays generation 0.
  expect(atCarols!.filter((o) => o.startsWith("enrollment"))).toEqual([]);
  expect(loadTeams(w.home("bobs"))[0]!.generation).toBe(1);
  expect(loadTeams(w.home("carols"))[0]!.generation ?? 0).toBe(0);
  await afterRotation?.();

  await relay.round();
  await bobs.round();
  expect(deliver(bobs, b)).toContain("after");
  expect(b.state().transport).toHaveLength(1);
  // And back: Bob (editor) writes under generation 1, Alice receives it.
  note(b, "from bob");
  carry(b, bobs);
  await bobs.round();
  await relay.round();
  expect(deliver(relay, a)).toContain("from bob");

  // Carol's old key lists nothing new anywhere it can look, and her courier pulls nothing.
  // (On serve, once it has the new generation, her tokens open nothing at all.)
  const afterNames = await listable(url, carolKey, w.now());
  expect(afterNames.filter((n) => !beforeNames.includes(n))).toEqual([]);
  expect(beforeNames.length).toBeGreaterThan(0);
  const spooledBefore = carols.spool.list({ direction: "inbound" }).length;
  await carols.round();
  expect(carols.spool.list({ direction: "inbound" }).length).toBe(spooledBefore);
  return { carolKey };
}

describe("transport key rotation through real couriers", () => {
  it("dir: mailbox: after a removal the old key's namespaces get nothing new, the others keep syncing", async () => {
    const w = await world();
    const folder = join(w.root, "mailbox");
    mkdirSync(folder);
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    await scenario(w, `dir:${folder}`);
  }, 60_000);

  it("serve: once the server has the new generation, an old-key PUT is refused and the others keep syncing", async () => {
    const w = await world();
    const serverHome = w.home("mailbox-server");
    createHome(serverHome);
    let server: MailboxServer | undefined;
    const start = async (port: number): Promise<MailboxServer> => {
      const keys = serverKeysOf(loadServedMailboxes(serverHome));
      const s = await startMailboxServer({ listen: { host: "127.0.0.1", port }, storageDir: join(w.root, "mailbox-store"), teams: () => keys, now: w.now });
      return s;
    };
    // The operator's courier (alice enrolls it) writes the mailbox key file; serve-init takes it.
    const operator = enrolledCourier(w, "operator", w.a, "dir:/unused");
    saveServedMailboxes(serverHome, loadTeams(operator.home).map(servedMailboxOf));
    server = await start(0);
    const port = Number(new URL(server.url).port);
    cleanup.push(async () => server?.close());
    const url = `http://127.0.0.1:${port}`;

    const { carolKey } = await scenario(w, url, async () => {
      // The operator step: on a courier holding the new generation, mailbox-key; serve-init; restart serve.
      carry(w.a, operator);
      const replaced = saveServedMailboxes(serverHome, loadTeams(operator.home).map(servedMailboxOf));
      expect(replaced).toMatchObject({ replaced: 1, served: [expect.objectContaining({ generation: 1 })] });
      await server!.close();
      server = await start(port);
    });
    // Carol's old key can no longer put anything into any namespace it computes.
    const e = carolKey.epochAt(w.now());
    const box = openMailbox(url, httpMailboxCredentials(carolKey, e));
    const junk = randomBytes(64);
    const { createHash } = await import("node:crypto");
    const name = `${createHash("sha256").update(junk).digest("hex")}${MAILBOX_SUFFIX}`;
    await expect(box.put(name, junk)).rejects.toSatisfy((err: unknown) => isAirlockError(err, "MAILBOX_AUTH"));
    box.close?.();
  }, 60_000);
});


describe("a courier follows generations by lineage (review H2)", () => {
  it("adopts the honest generation after adopting a concurrent rotation the fold refused, although both are numbered 1", async () => {
    const { root, cleanup: remove } = tempRoot("airlock-e2e-lineage-");
    cleanup.push(remove);
    const { a, b, clock } = await team(root);
    const c = await newVault(root, "c", clock);
    const d = await newVault(root, "d", clock);
    a.addMember(c.joinRequest("carol").bytes, "admin");
    importInto(b, exportBundles(a));
    importInto(c, exportBundles(a));
    importInto(a, exportBundles(c));
    const home = resolveHome(join(root, "courier"));
    createHome(home);
    const key = generateCourierKey(home);
    const first = openEnrollment(enrollCourier(c, key.publicKey, "relay", "").bytes, key);
    saveTeams(home, upsertTeam([], first, "", {}, clock.now()).teams);
    importInto(a, exportBundles(c));
    a.removeMember("bob"); // generation 1 at Alice's vault
    c.addMember(d.joinRequest("dan").bytes, "editor");
    c.removeMember("dan"); // Carol, not knowing Alice's, rotates too: sealed to Bob as well, refused after the merge
    const courier = Courier.open(home, { now: () => clock.now() });
    try {
      const enrollments = (v: Vault): Uint8Array[] => exportBundles(v).filter((x) => x.kind === "courier-enrollment").map((x) => x.bytes);
      expect(courier.ingestMany(enrollments(c))).toContainEqual(expect.objectContaining({ outcome: "enrollment", generation: 1, adopted: true }));
      for (let i = 0; i < 2; i++) {
        importInto(a, exportBundles(c));
        importInto(c, exportBundles(a));
      }
      expect([...a.state().rejected.values()].some((why) => /not active/.test(why))).toBe(true);
      const honest = a.transportKey()!;
      cleanup.push(() => honest.wipe());
      expect(courier.ingestMany(enrollments(a))).toContainEqual(expect.objectContaining({ outcome: "enrollment", adopted: true }));
      expect(loadTeams(home)[0]!.transportKey).toBe(toHex(honest.exportKey()));
    } finally {
      courier.close();
    }
  });

  it("a member's own courier follows a rotation through that member's exports (review M1)", async () => {
    const { root, cleanup: remove } = tempRoot("airlock-e2e-member-courier-");
    cleanup.push(remove);
    const { a, b, clock } = await team(root);
    const c = await newVault(root, "c", clock);
    a.addMember(c.joinRequest("carol").bytes, "viewer");
    importInto(b, exportBundles(a));
    importInto(c, exportBundles(a));
    const home = resolveHome(join(root, "bobs-courier"));
    createHome(home);
    const key = generateCourierKey(home);
    const first = openEnrollment(enrollCourier(b, key.publicKey, "bobs", "").bytes, key); // Bob is an editor
    saveTeams(home, upsertTeam([], first, "", {}, clock.now()).teams);
    importInto(a, exportBundles(b));
    a.removeMember("carol"); // generation 1
    importInto(b, exportBundles(a));
    const courier = Courier.open(home, { now: () => clock.now() });
    try {
      // Only Bob's stick reaches his courier: its enrollment (signed by Bob's device) moves it, and Bob's bundles, tagged with generation 1, are taken.
      const out = courier.ingestMany(exportBundles(b).map((x) => x.bytes));
      expect(out).toContainEqual(expect.objectContaining({ outcome: "enrollment", generation: 1, adopted: true }));
      expect(out.filter((o) => o.outcome === "refused")).toEqual([]);
      expect(out.some((o) => o.outcome === "spooled")).toBe(true);
    } finally {
      courier.close();
    }
  });
});

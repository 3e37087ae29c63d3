/**
 * The whole loop between air-gapped vaults (issue #6), with the real CLIs as child processes,
 * real files, real QR pixels and real mailboxes on 127.0.0.1:
 *
 *   vault A --QR PNGs (camera-like damage, 20% of frames missed)--> courier 1 --mailbox--> courier 2
 *           --USB folder--> vaults B, A2, V        ... and the same way back from B to A.
 *
 * The team (alice on A and A2, bob on B, vera the viewer on V) is built once and copied for each
 * backend: once `dir:` mailboxes kept in sync by two real Syncthing peers, once the blind HTTP
 * mailbox (`airlock-courier serve`). The `it`s of one backend are steps of one story and run in
 * order. docs/threat-model.md points at the assertions here by their step names.
 *
 * A process costs about a second to start and the commands a few milliseconds, so where a step
 * runs several commands of one CLI in a row they run in one process (airlockMany, courierMany),
 * each still opening and closing its own home; the QR export runs alone.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSyncthing } from "../../online-courier/test-support/syncthing.js";
import { captureQrExport } from "./support/camera.js";
import { airlock, airlockMany, airlockRaw, airlockSteps, courier, courierMany, PASSPHRASE, type Json, type Run } from "./support/cli.js";
import { forgeNote } from "../../offline-signer/test-support/cli.js";
import { startMailboxes, type BackendKind, type Mailboxes } from "./support/mailboxes.js";
import { buildTeam, CANARY, copyTeam, digest, filesContaining, notesOf, notesStep, statusOf, statusStep, type Team } from "./support/team.js";

const syncthing = await ensureSyncthing();
if (!syncthing.ok) console.warn(`SKIPPED the loop through Syncthing: ${syncthing.reason}`);

const root = mkdtempSync(join(tmpdir(), "airlock-e2e-"));
let golden: Team | undefined;
beforeAll(() => {
  golden = buildTeam(join(root, "team"));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh USB-like folder name on the courier's side of a stick (`airlock/inbox`). */
const base32 = (n: number): string => Array.from(randomBytes(n), (b) => "abcdefghijklmnopqrstuvwxyz234567"[b % 32]).join("");

interface ImportReport {
  bundles: number;
  notForMe: number;
  applied: number;
  rejected: number;
  quarantined: number;
  duplicates: number;
  changesetsNew: number;
  issues: { source: string; code: string }[];
}
const PER_ROUND = 3;
const report = (j: Json): ImportReport => j["report"] as ImportReport;
/** A batch step's --json output, once it is known to have succeeded. */
function ok(r: Run): Json {
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

describe.each([
  { kind: "http" as BackendKind, skip: false },
  { kind: "syncthing" as BackendKind, skip: !syncthing.ok },
])("the loop through the $kind mailbox", ({ kind, skip }) => {
  let team: Team;
  let mailboxes: Mailboxes | undefined;
  let dir: string;
  const couriers = { 1: "", 2: "" };
  let step = 0;
  const folder = (name: string): string => {
    const p = join(dir, `${String(++step).padStart(2, "0")}-${name}`);
    mkdirSync(p, { recursive: true });
    return p;
  };

  beforeAll(async () => {
    if (skip) return;
    dir = join(root, kind);
    team = copyTeam(golden!, dir);
    mailboxes = await startMailboxes(kind, dir, team.home("a"));
    // Courier 1 is enrolled by alice's vault, courier 2 by bob's: any member can enroll one.
    const pairs = [[1, "a"], [2, "b"]] as const;
    for (const [n] of pairs) couriers[n] = join(dir, `courier-${n}`);
    courierMany(pairs.map(([n]) => ({ home: couriers[n], args: ["keygen", "--out", join(dir, `courier-${n}.pub`)] })));
    airlockMany(pairs.map(([n, enroller]) => ({ home: team.home(enroller), args: ["courier-enroll", "--courier-key", join(dir, `courier-${n}.pub`), "--out", join(dir, `courier-${n}.enrollment`)] })));
    courierMany(pairs.map(([n]) => ({ home: couriers[n], args: ["init", join(dir, `courier-${n}.enrollment`), "--mailbox", mailboxes!.url(n), "--send-per-round", String(PER_ROUND)] })));
  }, 120_000);
  afterAll(async () => {
    await mailboxes?.stop();
  }, 60_000);

  /**
   * Courier `from` ingests `sources` and pushes everything it spooled (rounds of N real + cover),
   * the mailbox carries it, the other courier pulls and delivers to the `usb` folder. Returns the
   * ingest result, the real bundles pulled and the bundles delivered.
   */
  async function relay(from: 1 | 2, sources: readonly string[], usb: string): Promise<{ ingested: Json; pulled: number; delivered: unknown[] }> {
    // Ingest and the first round in one courier process; each further round is one more.
    const [ingested, first] = courierMany([
      { home: couriers[from], args: ["ingest", ...sources] },
      { home: couriers[from], args: ["sync"] },
    ]);
    // A round pushes at most --send-per-round real bundles; fewer means the queue is empty.
    for (let round = 0, sync = first!; ; round++, sync = courier(couriers[from], ["sync"])) {
      const pushed = sync["reports"] as { push: { real: number; cover: number } }[];
      expect(pushed.every((r) => r.push.real + r.push.cover === PER_ROUND)).toBe(true); // constant rate
      if (pushed.every((r) => r.push.real < PER_ROUND)) break;
      if (round > 5) throw new Error(`courier ${from} still has bundles pending`);
    }
    await mailboxes!.carried(from);
    const to = from === 1 ? 2 : 1;
    const [pull, deliver] = courierMany([
      { home: couriers[to], args: ["sync"] },
      { home: couriers[to], args: ["deliver", "--usb", usb] },
    ]);
    const pulled = (pull!["reports"] as { pull: { spooled: number; cover: number } }[]).reduce((n, r) => n + r.pull.spooled, 0);
    return { ingested: ingested!, pulled, delivered: deliver!["delivered"] as unknown[] };
  }

  /** The vault exports QR frames; a camera captures them badly; the courier will scan the captures. */
  async function overQr(vault: "a" | "b", by: 1 | 2, seed: number): Promise<{ bundles: number; folders: string[] }> {
    const shown = folder(`qr-from-${vault}`);
    const exported = airlock(team.home(vault), ["export", "--qr", shown])["bundles"] as { kind: string; frames: number }[];
    expect(exported.map((b) => b.kind)).toEqual(["sync"]);
    const capture = await captureQrExport(shown, folder(`camera-of-courier-${by}`), seed);
    expect(capture.captured).toBe(capture.shown - Math.round(capture.shown * 0.2));
    return { bundles: exported.length, folders: capture.folders };
  }

  let reverseStick = "";

  it.skipIf(skip)("2. alice and bob edit two fields of the same editor-only note, each offline", () => {
    const [, , onB, onA] = airlockMany([
      { home: team.home("b"), args: ["notes", "edit", team.routeNote, "--collection", "sources", "--title", CANARY.bobTitle] },
      { home: team.home("a"), args: ["notes", "edit", team.routeNote, "--collection", "sources", "--body", CANARY.aliceBody] },
      notesStep(team.home("b"), "sources"),
      notesStep(team.home("a"), "sources"),
    ]);
    // Each laptop sees only its own edit so far.
    expect(notesOf(onB!).find((n) => n.id === team.routeNote)).toMatchObject({ title: CANARY.bobTitle, body: CANARY.routeBody });
    expect(notesOf(onA!).find((n) => n.id === team.routeNote)).toMatchObject({ title: CANARY.routeTitle, body: CANARY.aliceBody });
  });

  it.skipIf(skip)("3a. A → degraded QR frames → courier 1 → mailbox → courier 2 → USB → B, A2, V", async () => {
    const sent = await overQr("a", 1, 11);
    const stick = folder("usb-to-b");
    const { ingested, pulled, delivered } = await relay(1, sent.folders, stick);
    expect(ingested).toMatchObject({ spooled: sent.bundles, refused: [] });
    expect(pulled).toBe(sent.bundles);
    expect(delivered).toHaveLength(sent.bundles); // cover never reaches a vault
    const [onB, onA2, onV, listB] = airlockMany([
      { home: team.home("b"), args: ["import", stick] },
      { home: team.home("a2"), args: ["import", stick] },
      { home: team.home("v"), args: ["import", stick] },
      notesStep(team.home("b"), "sources"),
    ]);
    expect(report(onB!)).toMatchObject({ applied: 1, rejected: 0, issues: [] });
    expect(report(onA2!)).toMatchObject({ applied: 1, rejected: 0, issues: [] });
    // The viewer's laptop opens the bundle, but the editor-only changeset stays locked.
    expect(report(onV!)).toMatchObject({ bundles: 1, applied: 0, rejected: 0 });
    expect(notesOf(listB!).find((n) => n.id === team.routeNote)).toMatchObject({ title: CANARY.bobTitle, body: CANARY.aliceBody });
  });

  it.skipIf(skip)("3b. and back: B → degraded QR frames → courier 2 → mailbox → courier 1 → USB → A2", async () => {
    const sent = await overQr("b", 2, 22);
    reverseStick = folder("usb-to-a");
    const { ingested, pulled, delivered } = await relay(2, sent.folders, reverseStick);
    expect(ingested).toMatchObject({ spooled: sent.bundles, refused: [] });
    expect(pulled).toBe(sent.bundles);
    expect(delivered).toHaveLength(sent.bundles);
    expect(report(airlock(team.home("a2"), ["import", reverseStick]))).toMatchObject({ applied: 1, issues: [] });
  });

  it.skipIf(skip)("5. a corrupted and a replayed bundle on the USB folder are reported and ignored; nothing is lost", async () => {
    const inbox = join(reverseStick, "airlock", "inbox");
    const [real] = readdirSync(inbox);
    const bytes = readFileSync(join(inbox, real!));
    const corrupted = Buffer.from(bytes);
    corrupted[Math.floor(corrupted.length * 0.75)]! ^= 0x40;
    const corruptName = `${base32(26)}.airlock`;
    writeFileSync(join(inbox, corruptName), corrupted);
    copyFileSync(team.oldBundle, join(inbox, `${base32(26)}.airlock`)); // one A imported long ago
    copyFileSync(join(inbox, real!), join(inbox, `${base32(26)}.airlock`)); // and the new one, twice

    const [imported, listA] = airlockMany([{ home: team.home("a"), args: ["import", reverseStick], status: 3 }, notesStep(team.home("a"), "sources")]);
    const first = report(imported!);
    expect(first.issues).toEqual([expect.objectContaining({ code: "BUNDLE_AUTH", source: expect.stringContaining(corruptName) })]);
    expect(first).toMatchObject({ applied: 1, rejected: 0, quarantined: 0 }); // bob's edit, once
    expect(first.duplicates).toBeGreaterThanOrEqual(2);
    expect(notesOf(listA!).find((n) => n.id === team.routeNote)).toMatchObject({ title: CANARY.bobTitle, body: CANARY.aliceBody });

    const before = await digest(team.home("a"));
    const again = report(airlock(team.home("a"), ["import", reverseStick], 3)); // 3: the corrupted one is refused again
    expect(again).toMatchObject({ applied: 0, changesetsNew: 0, rejected: 0 });
    expect(again.issues.map((i) => i.code)).toEqual(["BUNDLE_AUTH"]);
    expect(await digest(team.home("a"))).toBe(before);
  });

  it.skipIf(skip)("4a. every vault converges; the viewer reads the open notes only", async () => {
    const [a, a2, b] = [await digest(team.home("a")), await digest(team.home("a2")), await digest(team.home("b"))];
    expect(a2).toBe(a);
    expect(b).toBe(a);
    const [sourcesB, sourcesA, notesV, notesA, hidden, statusV] = airlockSteps([
      notesStep(team.home("b"), "sources"),
      notesStep(team.home("a"), "sources"),
      notesStep(team.home("v"), "notes"),
      notesStep(team.home("a"), "notes"),
      { home: team.home("v"), args: ["notes", "list", "--collection", "sources", "--json"], json: false },
      statusStep(team.home("v")),
    ]);
    // The digest covers members, devices, collections and every readable record; the lists are what a person sees.
    expect(notesOf(ok(sourcesB!))).toEqual(notesOf(ok(sourcesA!)));
    expect(notesOf(ok(notesV!))).toEqual(notesOf(ok(notesA!)));
    // A collection she may not read is refused by name, not shown as empty.
    expect(hidden!.status).toBe(1);
    expect(JSON.parse(hidden!.stdout)).toMatchObject({ ok: false, error: { code: "VAULT_NOT_ALLOWED" } });
    expect(statusOf(ok(statusV!)).collections.find((c) => c.id === "sources")).toMatchObject({ canRead: false });
  });

  it.skipIf(skip)("4b. the viewer cannot write: refused locally, and its forged edit lands in quarantine everywhere", async () => {
    const refused = airlockRaw(team.home("v"), ["notes", "edit", team.openNote, "--title", "vera was here"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/airlock: error: a viewer may not write "notes"/);
    // Her modified client signs the edit anyway and exports it (offline-signer/test-support/forge-note.ts).
    const stick = folder("usb-from-v");
    forgeNote(team.home("v"), stick, "forged by vera", { record: team.openNote, env: { AIRLOCK_PASSPHRASE: PASSPHRASE } });
    const out = folder("usb-forged-to-all");
    const { ingested, pulled } = await relay(2, [stick], out);
    expect(ingested).toMatchObject({ spooled: 1, refused: [] });
    expect(pulled).toBe(1);
    const vaults = ["a", "a2", "b"] as const;
    const before = await Promise.all(vaults.map((v) => digest(team.home(v))));
    const runs = airlockMany(vaults.flatMap((v) => [{ home: team.home(v), args: ["import", out] }, statusStep(team.home(v))]));
    for (const [i, v] of vaults.entries()) {
      const r = report(runs[2 * i]!);
      expect(r.applied).toBe(0);
      expect(r.rejected + r.quarantined).toBeGreaterThanOrEqual(1);
      expect(await digest(team.home(v))).toBe(before[i]); // the open note kept its title
      expect(statusOf(runs[2 * i + 1]!).quarantine.some((q) => /viewer may not write/.test(q.reason))).toBe(true);
    }
  });

  it.skipIf(skip)("4c. alice removes bob: keys rotate, bob cannot open what is written after, and his later writes are refused", async () => {
    const stick = folder("usb-after-removal");
    airlockMany([
      { home: team.home("a"), args: ["members", "remove", "bob"] },
      { home: team.home("a"), args: ["notes", "add", "--collection", "sources", "--title", CANARY.afterRemoval, "--body", CANARY.afterRemoval] },
      { home: team.home("a"), args: ["export", "--usb", stick] },
    ]);
    // The transport key rotated too (decisions #51): alice's courier takes generation 1 from her
    // stick and puts only under it; bob's courier (he enrolled it) retired with him, so the
    // namespaces it can list get nothing new (on http the server then refuses its tokens).
    await mailboxes!.newGeneration(stick);
    const [ingested, synced] = courierMany([
      { home: couriers[1], args: ["ingest", stick, "--keep"] },
      { home: couriers[1], args: ["sync"] },
    ]);
    expect(ingested).toMatchObject({ refused: [] });
    expect((synced!["reports"] as { error?: unknown; push: { real: number } }[]).every((r) => r.error === undefined && r.push.real >= 1)).toBe(true);
    if (kind === "syncthing") {
      await mailboxes!.carried(1);
      const pulled = (courier(couriers[2], ["sync"])["reports"] as { pull: { spooled: number } }[]).reduce((n, r) => n + r.pull.spooled, 0);
      expect(pulled).toBe(0);
    }
    const out = stick; // what reaches bob and alice's second laptop now: alice's stick itself

    const fromBob = folder("usb-from-removed-bob");
    const [onB, listB, onA2, listA2, statusA2, , , fromBobOnA, listA] = airlockMany([
      { home: team.home("b"), args: ["import", out] },
      notesStep(team.home("b"), "sources"),
      { home: team.home("a2"), args: ["import", out] },
      notesStep(team.home("a2"), "sources"),
      statusStep(team.home("a2")),
      // Bob, not knowing, keeps writing; alice's vault refuses it.
      { home: team.home("b"), args: ["notes", "edit", team.sourceNote, "--collection", "sources", "--title", "bob after removal"] },
      { home: team.home("b"), args: ["export", "--usb", fromBob] },
      { home: team.home("a"), args: ["import", fromBob] },
      notesStep(team.home("a"), "sources"),
    ]);
    const bob = report(onB!);
    expect(bob).toMatchObject({ bundles: 0, applied: 0 });
    expect(bob.notForMe).toBeGreaterThanOrEqual(1);
    expect(notesOf(listB!).some((n) => n.title === CANARY.afterRemoval)).toBe(false);

    expect(report(onA2!).applied).toBeGreaterThanOrEqual(1);
    expect(notesOf(listA2!).some((n) => n.title === CANARY.afterRemoval)).toBe(true);
    expect(statusOf(statusA2!).members.find((m) => m.name === "bob")).toMatchObject({ active: false });

    const r = report(fromBobOnA!);
    expect(r.applied).toBe(0);
    expect(notesOf(listA!).find((n) => n.id === team.sourceNote)).toMatchObject({ title: CANARY.sourceTitle });
  });

  it.skipIf(skip)("4d. no courier spool, courier home or mailbox store holds a canary in plaintext", () => {
    const places = [couriers[1], couriers[2], ...mailboxes!.stores];
    if (kind === "http") places.push(join(dir, "courier-0-mailbox"));
    // The stores are not empty: they really held the team's bundles.
    for (const p of mailboxes!.stores) expect(readdirSync(p, { recursive: true }).some((n) => String(n).endsWith(".airlock"))).toBe(true);
    expect(filesContaining(places, Object.values(CANARY))).toEqual([]);
  });
});

/** The courier CLI as users and scripts meet it: the real bin as a child process, real files. */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { prepareDropFolder, writeBundle, writeBundleQrFolder } from "@airlock/shared";
import { makeEnrollment, makeTeam, teamBundle } from "../../test-support/enrollment.js";
import { tempDir } from "../../test-support/courier-home.js";
import { parsePublicKey } from "../home/courier-key.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const dir = tempDir("courier-cli");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (r: { stdout: string }): Record<string, unknown> => JSON.parse(r.stdout) as Record<string, unknown>;

describe("airlock-courier, end to end", () => {
  const team = makeTeam("Newsroom");
  const store = join(dir, "store");
  mkdirSync(store);
  const homeA = join(dir, "courier-a");
  const homeB = join(dir, "courier-b");

  it("keygen → init → ingest (USB and QR images) → sync → deliver → status", async () => {
    for (const [home, pub] of [[homeA, "a.pub"], [homeB, "b.pub"]] as const) {
      const k = cli(["keygen", "--home", home, "--out", join(dir, pub), "--json"]);
      expect(k.status, k.stderr).toBe(0);
      const line = readFileSync(join(dir, pub), "utf8");
      expect(line).toMatch(/^airlock-courier-key:v1:[0-9a-f]{64}\n$/);
      expect(statSync(join(home, "courier.key")).mode & 0o777).toBe(0o600);
      writeFileSync(join(dir, `${pub}.enrollment`), makeEnrollment(team, parsePublicKey(line), "dir:/nowhere"));
    }
    expect(cli(["keygen", "--home", homeA, "--out", join(dir, "again.pub")]).stderr).toMatch(/^airlock-courier: error: .*already exists\nairlock-courier: hint: /);
    // Each enrollment opens only with its own courier's key.
    const wrong = cli(["init", join(dir, "b.pub.enrollment"), "--mailbox", `dir:${store}`, "--json"], { AIRLOCK_COURIER_HOME: homeA });
    expect(wrong.status).toBe(1);
    expect(json(wrong)).toMatchObject({ ok: false, error: { code: "COURIER_NOT_FOR_ME" } });
    for (const [home, file] of [[homeA, "a.pub.enrollment"], [homeB, "b.pub.enrollment"]] as const) {
      const init = cli(["init", join(dir, file), "--mailbox", `dir:${store}`, "--send-per-round", "3", "--json"], { AIRLOCK_COURIER_HOME: home });
      expect(init.status, init.stderr).toBe(0);
      expect(json(init)).toMatchObject({ ok: true, added: true, team: { name: "Newsroom", sendPerRound: 3, mailboxes: [`dir:${store}`] } });
    }
    expect(json(cli(["init", join(dir, "a.pub.enrollment"), "--mailbox", `dir:${store}`, "--json"], { AIRLOCK_COURIER_HOME: homeA }))).toMatchObject({ added: false });

    // The vault's side: one bundle on a USB stick, one as QR frame images.
    const epoch = team.tk.epochAt(Date.now());
    const usbBundle = teamBundle(team, epoch, randomBytes(3000));
    const qrBundle = teamBundle(team, epoch, randomBytes(500));
    const stick = join(dir, "stick");
    mkdirSync(stick);
    await writeBundle((await prepareDropFolder(stick)).outbox, usbBundle);
    const frames = join(dir, "frames");
    mkdirSync(frames);
    await writeBundleQrFolder(frames, qrBundle, { html: false });

    const ingest = cli(["ingest", stick, frames, "--home", homeA, "--json"]);
    expect(ingest.status, ingest.stderr).toBe(0);
    expect(json(ingest)).toMatchObject({ ok: true, spooled: 2, duplicates: 0, cover: 0, refused: [] });
    expect(readdirSync(join(stick, "airlock", "outbox"))).toEqual([]);
    expect(ingest.stderr).toMatch(/usb .*1 bundles/);

    for (const home of [homeA, homeB]) {
      const sync = cli(["sync", "--home", home, "--json"]);
      expect(sync.status, sync.stdout + sync.stderr).toBe(0);
    }
    const inbox = join(dir, "stick-b");
    mkdirSync(inbox);
    const deliver = cli(["deliver", "--usb", inbox, "--home", homeB, "--json"]);
    expect(deliver.status, deliver.stderr).toBe(0);
    expect((json(deliver)["delivered"] as unknown[]).length).toBe(2);
    const delivered = readdirSync(join(inbox, "airlock", "inbox")).map((n) => readFileSync(join(inbox, "airlock", "inbox", n)));
    expect(delivered.map((b) => b.length).sort()).toEqual([usbBundle.length, qrBundle.length].sort());

    const status = cli(["status", "--home", homeB, "--json"]);
    expect(status.status).toBe(0);
    const s = json(status)["status"] as { counts: { inbound: { delivered: number } }; syncs: { lastOk?: string }[]; dropped: { outcome: string; n: number }[] };
    expect(s.counts.inbound.delivered).toBe(2);
    expect(s.syncs[0]!.lastOk).toBeDefined();
    const sa = json(cli(["status", "--home", homeA, "--json"]))["status"] as { counts: { outbound: { delivered: number } } };
    expect(sa.counts.outbound.delivered).toBe(2);
    expect(cli(["status", "--home", homeB]).stdout).toContain("team Newsroom");
    const qr = cli(["deliver", "--qr", join(dir, "qr-out"), "--home", homeB, "--json"]);
    expect(json(qr)).toMatchObject({ ok: true, delivered: [] });
  });

  it("fails with one line and a hint, or JSON", () => {
    const none = cli(["sync", "--home", join(dir, "nope")]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^airlock-courier: error: no courier home at .*\nairlock-courier: hint: /);
    const bad = cli(["sync", "--home", homeA, "--every", "soon", "--json"]);
    expect(bad.status).toBe(1);
    expect(json(bad)).toMatchObject({ ok: false, error: { code: "COURIER_BAD_DURATION" } });
    const unknown = cli(["fly"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    const help = cli(["ingest", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("EXAMPLES");
  });
});

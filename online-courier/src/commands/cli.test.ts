/** The courier CLI as users and scripts meet it: the real bin as a child process, real files. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHmac, hkdfSync } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { inspectBundle, randomBytes } from "@airlock/bundle-format";
import { prepareDropFolder, TransportKey, writeBundle, writeBundleQrFolder } from "@airlock/shared";
import { makeEnrollment, makeTeam, teamBundle } from "../../test-support/enrollment.js";
import { setupCourierHome, setupServerHome, tempDir } from "../../test-support/courier-home.js";
import { loadCourierKey, parsePublicKey } from "../home/courier-key.js";
import { resolveHome } from "../home/paths.js";
import { loadTeams } from "../home/teams.js";
import { bashComplete, hasShell } from "../../../shared/test-support/bash-complete.js";
import { onionClientAuthKeys } from "../tor/client-auth.js";
import { ONION_REQUESTS_PER_MINUTE } from "./serve.js";
import { findTor, launchTor } from "../tor/launch.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const dir = tempDir("courier-cli");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000, stdio: ["ignore", "pipe", "pipe"], ...(cwd === undefined ? {} : { cwd }) });
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
    expect(ingest.stderr).toMatch(/usb .*1 bundle\b/);
    expect(cli(["ingest", stick, "--home", homeA]).stdout).toBe("ingested 0 new bundles (0 already spooled, 0 cover dropped, 0 refused)\n");

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
    const s = json(status)["status"] as { counts: { inbound: { pending: number } }; teams: { awaitingReceipt: { bundles: number } }[]; syncs: { lastOk?: string }[]; dropped: { outcome: string; n: number }[] };
    // Written to the stick, not yet confirmed by the vault's receipt (docs/receipts.md).
    expect(s.counts.inbound.pending).toBe(2);
    expect(s.teams[0]!.awaitingReceipt.bundles).toBe(2);
    expect(s.syncs[0]!.lastOk).toBeDefined();
    const sa = json(cli(["status", "--home", homeA, "--json"]))["status"] as { counts: { outbound: { delivered: number } } };
    expect(sa.counts.outbound.delivered).toBe(2);
    expect(cli(["--home", homeB, "status"]).stdout).toContain("team Newsroom"); // global flags before the command
    // Still deliverable until a receipt or --mark-delivered: not handed over twice unless --again.
    expect(json(cli(["deliver", "--qr", join(dir, "qr-out-1"), "--home", homeB, "--json"]))).toMatchObject({ delivered: [], awaitingReceipt: 2 });
    const qr = cli(["deliver", "--qr", join(dir, "qr-out"), "--again", "--home", homeB, "--json"]);
    expect((json(qr)["delivered"] as unknown[]).length).toBe(2);
    expect(json(cli(["deliver", "--mark-delivered", "--home", homeB, "--json"]))).toMatchObject({ ok: true, awaitingReceipt: 0 });
    expect(json(cli(["deliver", "--qr", join(dir, "qr-out-2"), "--again", "--home", homeB, "--json"]))).toMatchObject({ ok: true, delivered: [] });
  });

  it("fails with one line and a hint, or JSON", () => {
    const none = cli(["sync", "--home", join(dir, "nope")]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^airlock-courier: error: no courier home at .*\nairlock-courier: hint: /);
    // A flag value the command refuses itself is a usage error too (exit 2), with its own hint.
    const bad = cli(["sync", "--home", homeA, "--every", "soon", "--json"]);
    expect(bad.status).toBe(2);
    expect(json(bad)).toEqual({ ok: false, error: { code: "USAGE", message: '"soon" is not a duration', hint: "write durations like 30s, 15m, 1h or 1d" } });
    const help = cli(["ingest", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("EXAMPLES");
  });
});

describe("airlock-courier, the CLI contract (docs/cli.md)", () => {
  const team = makeTeam("Desk");
  const root = join(dir, "contract");
  mkdirSync(root);
  const home = join(root, "courier");
  setupCourierHome(home, [team], `dir:${join(root, "store")}`);

  /** Exactly `airlock-courier: error: …` then `airlock-courier: hint: …` on stderr, nothing on stdout, and `status`. */
  function expectReport(r: ReturnType<typeof cli>, status: number, error: RegExp, hint: RegExp): void {
    expect(r.status, r.stdout + r.stderr).toBe(status);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    expect(lines, r.stderr).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^airlock-courier: error: ${error.source}$`));
    expect(lines[1]).toMatch(new RegExp(`^airlock-courier: hint: ${hint.source}$`));
  }

  it("usage errors: code USAGE, exit 2, one error line and one hint line with the nearest command or flag", () => {
    const table: [args: string[], error: RegExp, hint: RegExp][] = [
      [["sycn"], /no command "sycn"/, /did you mean "airlock-courier sync"\?/],
      [["fly"], /no command "fly"/, /see airlock-courier help for the commands/],
      [["help", "ingset"], /no command "ingset"/, /did you mean "airlock-courier ingest"\?/],
      [["sync", "--evry", "5m"], /unknown flag --evry for "airlock-courier sync"/, /did you mean "--every"\? \(see airlock-courier sync --help\)/],
      [["init", "--mailbox", "dir:/x"], /"airlock-courier init" needs ENROLLMENT/, /see airlock-courier init --help/],
      [["sync", "--retries", "abc"], /--retries: Expected an integer but received: abc/, /see airlock-courier sync --help/],
      [["ingest", "--home", home], /name at least one PATH, or --camera/, /see airlock-courier ingest --help/],
    ];
    for (const [args, error, hint] of table) expectReport(cli(args), 2, error, hint);
    const asJson = cli(["sycn", "--json"]);
    expect(asJson.status).toBe(2);
    expect(json(asJson)).toEqual({ ok: false, error: { code: "USAGE", message: 'no command "sycn"', hint: 'did you mean "airlock-courier sync"?' } });
  });

  it("ingest exits 0 when it took everything, 3 when it refused all or part of its input", () => {
    const good = join(root, "good.airlock");
    writeFileSync(good, teamBundle(team, team.tk.epochAt(Date.now()), randomBytes(700)));
    const ok = cli(["ingest", good, "--home", home]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("ingested 1 new bundle (0 already spooled, 0 cover dropped, 0 refused)\n");
    // A folder of documents, not bundles: nothing taken, everything refused.
    const docs = join(root, "docs");
    mkdirSync(docs);
    writeFileSync(join(docs, "README.md"), "# notes\n");
    writeFileSync(join(docs, "guide.txt"), "words\n".repeat(100));
    const none = cli(["ingest", docs, "--home", home, "--json"]);
    expect(none.status, none.stderr).toBe(3);
    expect(json(none)).toMatchObject({ ok: true, spooled: 0 });
    expect((json(none)["refused"] as unknown[]).length).toBeGreaterThan(0);
    const other = join(root, "other.airlock");
    writeFileSync(other, teamBundle(team, team.tk.epochAt(Date.now()), randomBytes(900)));
    const part = cli(["ingest", other, join(docs, "README.md"), "--home", home, "--json"]);
    expect(part.status, part.stderr).toBe(3);
    expect(json(part)).toMatchObject({ ok: true, spooled: 1, refused: [{ from: join(docs, "README.md") }] });
  });

  it("init refuses a dir: mailbox whose folder is missing, naming it, and stores nothing (exit 1)", () => {
    const initHome = join(root, "init-courier");
    setupCourierHome(initHome, [], `dir:${join(root, "store")}`);
    const key = loadCourierKey(resolveHome(initHome));
    const enrollment = join(root, "desk.enrollment");
    writeFileSync(enrollment, makeEnrollment(team, key.publicKey, "dir:/nowhere"));
    key.secretKey.fill(0);
    const missing = join(root, "stick-not-mounted", "airlock-mailbox");
    expectReport(cli(["init", enrollment, "--mailbox", `dir:${missing}`, "--home", initHome]), 1, new RegExp(`the mailbox folder ${missing} does not exist`), /create the folder \(mkdir -p PATH\) or mount the stick or share it is on, then run init again/);
    expect(json(cli(["init", enrollment, "--mailbox", `dir:${missing}`, "--home", initHome, "--json"]))).toMatchObject({ ok: false, error: { code: "COURIER_NO_MAILBOX_FOLDER" } });
    expect(loadTeams(resolveHome(initHome))).toEqual([]);
  });

  it("init records a relative dir: mailbox as its full path, says so, and a sync from another folder uses that folder (R15)", () => {
    const initHome = join(root, "relative-courier");
    setupCourierHome(initHome, [], `dir:${join(root, "store")}`);
    const key = loadCourierKey(resolveHome(initHome));
    const enrollment = join(root, "relative.enrollment");
    // The vault's suggestion is relative too: it is resolved the same way as --mailbox.
    writeFileSync(enrollment, makeEnrollment(team, key.publicKey, "dir:suggested-store"));
    key.secretKey.fill(0);
    const work = join(root, "work");
    mkdirSync(join(work, "relative-store"), { recursive: true });
    mkdirSync(join(work, "suggested-store"));
    const store = join(work, "relative-store");
    const init = cli(["init", enrollment, "--mailbox", "dir:relative-store", "--home", initHome], {}, work);
    expect(init.status, init.stderr).toBe(0);
    expect(init.stdout).toContain(`the mailbox dir:relative-store is recorded as dir:${store}, its full path from this folder, so later runs use it from any folder\n`);
    expect(loadTeams(resolveHome(initHome))[0]!.mailboxes).toEqual([`dir:${store}`]);
    const suggested = cli(["init", enrollment, "--home", initHome, "--json"], {}, work);
    expect(json(suggested)).toMatchObject({ ok: true, mailboxResolved: { given: "dir:suggested-store", recorded: `dir:${join(work, "suggested-store")}` } });
    expect(loadTeams(resolveHome(initHome))[0]!.mailboxes).toEqual([`dir:${store}`, `dir:${join(work, "suggested-store")}`]);
    // ~ is the home folder (no shell expands it after "dir:"), not a folder named ~ here.
    const fakeHome = join(root, "fake-home");
    mkdirSync(join(fakeHome, "tilde-store"), { recursive: true });
    const tilde = cli(["init", enrollment, "--mailbox", "dir:~/tilde-store", "--home", initHome, "--json"], { HOME: fakeHome }, work);
    expect(json(tilde)).toMatchObject({ ok: true, mailboxResolved: { given: "dir:~/tilde-store", recorded: `dir:${join(fakeHome, "tilde-store")}` } });
    expect(loadTeams(resolveHome(initHome))[0]!.mailboxes).toEqual([`dir:${store}`, `dir:${join(work, "suggested-store")}`, `dir:${join(fakeHome, "tilde-store")}`]);
    // An absolute path is recorded as given, with nothing to say about it.
    expect(json(cli(["init", enrollment, "--mailbox", `dir:${store}`, "--home", initHome, "--json"], {}, work))).not.toHaveProperty("mailboxResolved");

    // A sync started in another folder (which has a relative-store of its own) puts into the recorded one.
    const elsewhere = join(root, "elsewhere");
    mkdirSync(join(elsewhere, "relative-store"), { recursive: true });
    const sync = cli(["sync", "--home", initHome, "--json", "--retries", "0"], {}, elsewhere);
    expect(sync.status, sync.stdout + sync.stderr).toBe(0);
    expect(readdirSync(join(elsewhere, "relative-store"))).toEqual([]);
    expect(readdirSync(store)).toEqual([team.tk.mailboxId(team.tk.epochAt(Date.now()))]);
  });

  it("help [COMMAND] and completion bash|zsh|fish", () => {
    const top = cli(["help"]);
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/COMMANDS[\s\S]*completion[\s\S]*ingest[\s\S]*sync/);
    expect(cli(["help", "sync"]).stdout).toMatch(/USAGE\n {2}\$ airlock-courier sync/);
    const bash = cli(["completion", "bash"]);
    expect(bash.status).toBe(0);
    const complete = (...line: string[]): string[] => bashComplete(bash.stdout, "_airlock_courier", ["airlock-courier", ...line]);
    expect(complete("sy")).toEqual(["sync"]);
    expect(complete("in")).toEqual(["ingest", "init", "inspect"]);
    expect(complete("sync", "--ev")).toEqual(["--every"]);
    expect(complete("deliver", "--")).toEqual(expect.arrayContaining(["--usb", "--qr", "--show", "--home", "--json"]));
    for (const shell of ["zsh", "fish"]) {
      const r = cli(["completion", shell]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(shell === "zsh" ? "#compdef airlock-courier" : "complete -c airlock-courier");
      for (const word of ["ingest", "deliver", "every", "mailbox"]) expect(r.stdout).toContain(word);
      if (hasShell(shell)) expect(spawnSync(shell, ["-n"], { input: r.stdout, encoding: "utf8" }).status).toBe(0);
    }
  });
});

/**
 * Every value in a home (outside its bundle store) that could be a 32-byte key: 64-digit hex
 * strings, 52-character base32 strings, and every 32-byte window of every file's raw bytes.
 */
function keyCandidates(home: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "mailbox-store") walk(path);
        continue;
      }
      const bytes = readFileSync(path);
      const text = bytes.toString("latin1");
      for (const m of text.match(/[0-9a-fA-F]{64}/g) ?? []) out.push(new Uint8Array(Buffer.from(m, "hex")));
      for (const m of text.match(/[A-Z2-7]{52}/g) ?? []) out.push(base32Decode(m));
      for (let i = 0; i + 32 <= bytes.length; i++) out.push(new Uint8Array(bytes.subarray(i, i + 32)));
    }
  };
  walk(home);
  return out;
}

function base32Decode(text: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out.slice(0, 32));
}

/** Whether `candidate`, as a transport key or as a tag key, recognises any of `tags` as real or cover. */
function classifiesAny(candidate: Uint8Array, tags: readonly Uint8Array[], epoch: number): boolean {
  const asTransport = new TransportKey(candidate);
  const tagKey = Buffer.from(hkdfSync("sha256", candidate, Buffer.alloc(0), Buffer.from("airlock/v1/transport/tag-key"), 32));
  try {
    return tags.some((tag) => {
      if (asTransport.classify(tag, epoch) !== undefined) return true;
      return [candidate, tagKey].some((k) =>
        [1, 2].some((kind) => {
          for (let e = epoch - 1; e <= epoch + 1; e++) {
            const e8 = Buffer.alloc(8);
            e8.writeBigUInt64BE(BigInt(e));
            const mac = createHmac("sha256", k).update("airlock/v1/transport/tag").update(Buffer.from([kind])).update(e8).update(tag.subarray(0, 8)).digest();
            if (mac.subarray(0, 8).equals(tag.subarray(8))) return true;
          }
          return false;
        }),
      );
    });
  } finally {
    asTransport.wipe();
  }
}

/** `serve` as a child process: resolves with its first stdout line (the bound URL or JSON). */
async function startServe(args: string[]): Promise<{ child: ChildProcess; first: string; stdout: () => string; stderr: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before printing its URL: ${err}`)));
  });
  return { child, first, stdout: () => out, stderr: () => err, exit };
}

describe("airlock-courier serve", () => {
  const team = makeTeam("Field office");
  const stranger = makeTeam("Someone else");
  // Homes are set up in-process (keygen + init through the same modules, test-support/courier-home.ts):
  // the child processes under test are serve and sync, and each CLI start costs a second here.
  const enroll = (home: string, t: typeof team, mailbox: string): void => void setupCourierHome(home, [t], mailbox);

  it("serves the mailbox to two couriers of its team over http://, refuses other teams, and stops on SIGTERM with exit 0", async () => {
    const root = join(dir, "serve");
    mkdirSync(join(root, "own-store"), { recursive: true });
    // A courier of the team writes the mailbox server key file; the server's home is made from it alone.
    const keys = join(root, "keys-courier");
    enroll(keys, team, `dir:${join(root, "own-store")}`);
    const keyFile = join(root, "mailbox-server.key");
    const exported = cli(["mailbox-key", "--home", keys, "--out", keyFile, "--json"]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const server = join(root, "server");
    const imported = cli(["serve-init", keyFile, "--home", server, "--json"]);
    expect(json(imported)).toMatchObject({ ok: true, added: 1, teams: 1 });
    expect(json(cli(["serve-init", keyFile, "--home", server, "--json"]))).toMatchObject({ ok: true, added: 0, teams: 1 });
    const serve = await startServe(["--home", server, "--listen", "127.0.0.1:0", "--json"]);
    try {
      const { ok, url } = JSON.parse(serve.first) as { ok: boolean; url: string };
      expect(ok).toBe(true);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toBe("http://127.0.0.1:0");
      const [a, b, c] = ["a", "b", "c"].map((n) => join(root, n)) as [string, string, string];
      enroll(a, team, url);
      enroll(b, team, url);
      enroll(c, stranger, url);

      const bundle = teamBundle(team, team.tk.epochAt(Date.now()), randomBytes(2000));
      const file = join(root, "from-vault.airlock");
      writeFileSync(file, bundle);
      expect(json(cli(["ingest", file, "--home", a, "--json"]))).toMatchObject({ ok: true, spooled: 1 });
      for (const home of [a, b]) {
        const sync = cli(["sync", "--home", home, "--json", "--retries", "0"]);
        expect(sync.status, sync.stdout + sync.stderr).toBe(0);
      }
      const inbox = join(root, "stick-b");
      mkdirSync(inbox);
      expect(json(cli(["deliver", "--usb", inbox, "--home", b, "--json"]))).toMatchObject({ ok: true });
      const delivered = readdirSync(join(inbox, "airlock", "inbox")).map((n) => readFileSync(join(inbox, "airlock", "inbox", n)));
      expect(delivered).toEqual([Buffer.from(bundle)]);
      // Stored in the serving home, per namespace: a's 4 puts (1 real + 3 cover) and b's 4 cover.
      const epoch = team.tk.epochAt(Date.now());
      const namespaces = readdirSync(join(server, "mailbox-store")).sort();
      expect([team.tk.mailboxId(epoch), team.tk.mailboxId(epoch - 1)]).toEqual(expect.arrayContaining(namespaces));
      const stored = readdirSync(join(server, "mailbox-store", team.tk.mailboxId(epoch)))
        .filter((n) => n.endsWith(".airlock"))
        .map((n) => new Uint8Array(readFileSync(join(server, "mailbox-store", team.tk.mailboxId(epoch), n))));
      expect(stored).toHaveLength(8);

      // What the server holds cannot tell real from cover: the team's key sorts the 8 bundles into
      // 1 real and 7 cover; every key-sized value in the server's home, tried as a transport key and
      // as a tag key, classifies none of them.
      const tags = stored.map((bytes) => inspectBundle(bytes).mailboxTag);
      expect(tags.map((t) => team.tk.classify(t, epoch)?.kind).sort()).toEqual(["cover", "cover", "cover", "cover", "cover", "cover", "cover", "real"]);
      const candidates = keyCandidates(server);
      expect(candidates.length).toBeGreaterThan(0);
      for (const candidate of candidates) expect(classifiesAny(candidate, tags, epoch)).toBe(false);
      expect(existsSync(join(server, "teams.json"))).toBe(false);

      // The server knows only its home's teams: another team's courier is refused, nothing stored.
      const refused = cli(["sync", "--home", c, "--json", "--retries", "0"]);
      expect(refused.status).toBe(1);
      const report = json(refused) as { ok: boolean; error: { code: string }; reports: { error?: { code: string } }[] };
      expect(report).toMatchObject({ ok: false, error: { code: "COURIER_SYNC_FAILED" } });
      expect(report.reports.map((r) => r.error?.code)).toEqual(["MAILBOX_AUTH"]);
      expect(readdirSync(join(server, "mailbox-store")).sort()).toEqual(namespaces);
    } finally {
      serve.child.kill("SIGTERM");
    }
    expect(await serve.exit).toBe(0);
    expect(serve.stdout().trim().split("\n")).toHaveLength(1);
    expect(serve.stderr()).toContain("stopping");
    expect(serve.stderr()).not.toMatch(/error/i);
  });

  it("init with an onion: mailbox writes the team's tor client authorization into the home", () => {
    const root = join(dir, "onion-init");
    mkdirSync(root);
    const home = join(root, "courier");
    const k = cli(["keygen", "--home", home, "--out", join(root, "c.pub")]);
    expect(k.status, k.stderr).toBe(0);
    writeFileSync(join(root, "c.enrollment"), makeEnrollment(team, parsePublicKey(readFileSync(join(root, "c.pub"), "utf8")), "dir:/nowhere"));
    const address = "b".repeat(56);
    const init = cli(["init", join(root, "c.enrollment"), "--mailbox", `onion:${address}.onion`, "--home", home, "--json"]);
    expect(init.status, init.stderr).toBe(0);
    const file = join(home, "onion-auth", `${address}.auth_private`);
    expect(json(init)).toMatchObject({ ok: true, onionAuth: file });
    expect(readFileSync(file, "utf8")).toBe(`${address}:descriptor:x25519:${onionClientAuthKeys(team.tk).privateKeyBase32}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "onion-auth")).mode & 0o777).toBe(0o700);
  });

  it.skipIf(findTor() === undefined)("serve --onion publishes through tor's control port, keeps its address across restarts, and exits 0 on SIGTERM", async () => {
    const root = join(dir, "serve-onion");
    mkdirSync(join(root, "store"), { recursive: true });
    const server = join(root, "server");
    setupServerHome(server, [team]);
    // An offline tor (DisableNetwork): ADD_ONION works, nothing is published or contacted.
    const tor = await launchTor({ dataDir: join(root, "tor"), torrc: ["DisableNetwork 1", "SocksPort 0"] });
    try {
      const control = "host" in tor.control ? `${tor.control.host}:${tor.control.port}` : "";
      const args = ["--home", server, "--listen", "127.0.0.1:0", "--onion", "--tor-control", control, "--tor-cookie", tor.cookieFile, "--json"];
      const addresses: string[] = [];
      for (let run = 0; run < 2; run++) {
        const serve = await startServe(args);
        serve.child.kill("SIGTERM");
        expect(await serve.exit, serve.stderr()).toBe(0);
        const { onion } = JSON.parse(serve.first) as { onion: string };
        expect(onion).toMatch(/^onion:[a-z2-7]{56}\.onion$/);
        addresses.push(onion);
      }
      expect(addresses[1]).toBe(addresses[0]);
      expect(statSync(join(server, "onion-service.key")).mode & 0o777).toBe(0o600);
    } finally {
      await tor.stop();
    }
  });

  /** Sequential GETs without a token (counted before authentication): how many were answered 429. */
  async function rateLimited(url: string, requests: number): Promise<number> {
    let limited = 0;
    for (let i = 0; i < requests; i++) {
      const res = await fetch(`${url}/v1/${"0".repeat(32)}`);
      await res.arrayBuffer();
      expect([401, 429]).toContain(res.status);
      if (res.status === 429) limited++;
    }
    return limited;
  }

  it("serve --max-requests-per-address sets the per-address request limit (R12)", async () => {
    const root = join(dir, "serve-rate");
    const server = join(root, "server");
    setupServerHome(server, [team]);
    const serve = await startServe(["--home", server, "--listen", "127.0.0.1:0", "--max-requests-per-address", "3"]);
    try {
      // 7 requests: however a minute's edge falls among them, one window holds 4 or more.
      expect(await rateLimited(serve.first, 7)).toBeGreaterThan(0);
    } finally {
      serve.child.kill("SIGTERM");
    }
    expect(await serve.exit, serve.stderr()).toBe(0);
    const help = cli(["serve", "--help"]);
    expect(help.stdout).toMatch(/--max-requests-per-address=<value>\s+requests one client address may make per minute/);
    expect(help.stdout.replace(/\s+/g, " ")).toContain(`with --onion all clients share tor's address, so the default is then ${ONION_REQUESTS_PER_MINUTE}`);
  });

  it.skipIf(findTor() === undefined)("serve --onion raises the per-address request limit by default, since every onion client shares tor's address (R12)", async () => {
    const root = join(dir, "serve-onion-rate");
    const server = join(root, "server");
    setupServerHome(server, [team]);
    const tor = await launchTor({ dataDir: join(root, "tor"), torrc: ["DisableNetwork 1", "SocksPort 0"] });
    try {
      const control = "host" in tor.control ? `${tor.control.host}:${tor.control.port}` : "";
      const serve = await startServe(["--home", server, "--listen", "127.0.0.1:0", "--onion", "--tor-control", control, "--tor-cookie", tor.cookieFile, "--json"]);
      try {
        const { url } = JSON.parse(serve.first) as { url: string };
        // 2 x 600 + 1: with the plain default one minute's window would hold more than 600 of them.
        expect(ONION_REQUESTS_PER_MINUTE).toBeGreaterThan(2 * 600 + 1);
        expect(await rateLimited(url, 2 * 600 + 1)).toBe(0);
      } finally {
        serve.child.kill("SIGTERM");
      }
      expect(await serve.exit, serve.stderr()).toBe(0);
    } finally {
      await tor.stop();
    }
  });

  it("prints just the URL without --json, and refuses a home that serves no team", async () => {
    const root = join(dir, "serve-text");
    mkdirSync(join(root, "store"), { recursive: true });
    const server = join(root, "server");
    setupServerHome(server, [team]);
    const serve = await startServe(["--home", server, "--listen", "127.0.0.1:0"]);
    serve.child.kill("SIGTERM");
    expect(await serve.exit).toBe(0);
    expect(serve.first).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);

    const empty = join(root, "empty");
    setupCourierHome(empty, [], `dir:${join(root, "store")}`);
    const none = cli(["serve", "--home", empty, "--listen", "127.0.0.1:0", "--json"]);
    expect(none.status).toBe(1);
    expect(json(none)).toMatchObject({ ok: false, error: { code: "COURIER_NO_SERVER_KEYS" } });
    // A courier's home holds transport keys: serve does not read them.
    const courierHome = join(root, "courier");
    enroll(courierHome, team, `dir:${join(root, "store")}`);
    expect(json(cli(["serve", "--home", courierHome, "--listen", "127.0.0.1:0", "--json"]))).toMatchObject({ ok: false, error: { code: "COURIER_NO_SERVER_KEYS" } });
    const damaged = join(root, "damaged.key");
    writeFileSync(damaged, JSON.stringify({ kind: "airlock-mailbox-server-key", version: 1, teams: [{ serverKey: "00" }] }));
    expect(json(cli(["serve-init", damaged, "--home", join(root, "other"), "--json"]))).toMatchObject({ ok: false, error: { code: "COURIER_BAD_SERVER_KEY" } });
    const bad = cli(["serve", "--home", server, "--listen", "nowhere", "--json"]);
    expect(bad.status).toBe(2);
    expect(json(bad)).toMatchObject({ ok: false, error: { code: "USAGE", message: expect.stringMatching(/^--listen wants HOST:PORT/), hint: "see airlock-courier serve --help" } });
  });
});

describe("airlock-courier output hygiene", () => {
  /** Anything a terminal acts on, newlines aside (what the escaper must never let through). */
  const RAW = /(?![\n\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

  it("reports a refused file whose name would clear the screen with the name escaped, as text and as JSON", () => {
    const root = join(dir, "hygiene");
    mkdirSync(root);
    const home = join(root, "courier");
    setupCourierHome(home, [makeTeam("Newsroom")], `dir:${join(root, "store")}`);
    const file = join(root, "evil\x1b[2J\u202e.airlock");
    writeFileSync(file, randomBytes(4096));
    const text = cli(["ingest", file, "--home", home]);
    expect(text.status, text.stderr).toBe(3);
    expect(text.stdout).toContain("refused");
    expect(text.stdout).toContain("evil\\x1b[2J\\u202e.airlock");
    expect(text.stdout + text.stderr).not.toMatch(RAW);
    const asJson = cli(["ingest", file, "--home", home, "--json"]);
    expect(asJson.stdout).not.toMatch(RAW);
    expect((json(asJson)["refused"] as { from: string }[])[0]!.from).toBe(file);
  });
});

#!/usr/bin/env node
// `npm run demo`: the whole Airlock loop in a fresh temp folder, narrated, with the real built
// CLIs as child processes. No network beyond 127.0.0.1 (the blind HTTP mailbox). It leaves the
// folders in place and prints commands to poke at them by hand.
//
// Plain ESM JavaScript on purpose: the test workspace has no build step, and this only drives
// the two CLIs that `npm run build` compiles.
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const AIRLOCK = join(repo, "offline-signer", "bin", "airlock.js");
const FORGE_NOTE = join(repo, "offline-signer", "dist", "test-support", "forge-note.js");
const COURIER = join(repo, "online-courier", "bin", "airlock-courier.js");
const PASSPHRASE = "demo passphrase";
const started = Date.now();
const root = mkdtempSync(join(tmpdir(), "airlock-demo-"));
const at = (...p) => join(root, ...p);
const home = { a: at("alice-laptop"), a2: at("alice-second-laptop"), b: at("bob-laptop"), v: at("vera-laptop") };
const CANARY = "canary-7c1e: the safe house is on Rue Oberkampf";

const vaultEnv = { ...process.env, AIRLOCK_PASSPHRASE: PASSPHRASE, AIRLOCK_INSECURE_TEST_KDF: "1" };
function run(bin, args, env) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json(bin, args, env) {
  const r = run(bin, [...args, "--json"], env);
  if (r.status !== 0) {
    console.error(`\n${relative(repo, bin)} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout);
}
const vault = (who, ...args) => json(AIRLOCK, [...args, "--home", home[who]], vaultEnv);
const courier = (h, ...args) => json(COURIER, [...args, "--home", h], process.env);

const secs = () => ((Date.now() - started) / 1000).toFixed(1).padStart(5);
let stepNo = 0;
const step = (title) => console.log(`\n[${secs()} s] ${++stepNo}. ${title}`);
const say = (text) => console.log(`          ${text}`);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const bundlesText = (bs) => bs.map((b) => `${b.kind} ${kib(b.bytes)}${b.frames === undefined ? "" : ` (${b.frames} QR frames)`}`).join(", ");
const mkdir = (...p) => {
  mkdirSync(at(...p), { recursive: true });
  return at(...p);
};
const files = (dir) => readdirSync(dir).filter((n) => !n.startsWith("."));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

console.log(`Airlock demo: two air-gapped laptops for alice (A, A2), one for bob (B), one for vera the viewer (V),
two couriers on connected machines, and a blind mailbox on 127.0.0.1. Everything lives in
  ${root}
NOTE: these vaults use a test-only key derivation (AIRLOCK_INSECURE_TEST_KDF=1) so the demo is fast.
Real vaults derive their key with Argon2id, about 1 s per unlock, and must never use that setting.`);

step("Alice creates the team on her laptop A.");
const init = vault("a", "init", "--team", "Field office", "--name", "alice");
say(`Team "Field office" (id ${init.team.id.slice(0, 12)}…); A holds alice's identity key and A's device keys.`);

step("Bob (laptop B) and Alice's second laptop (A2) ask to join; their requests travel as QR images.");
const bobReq = vault("b", "join", "--name", "bob", "--out", at("bob.request"), "--qr", at("bob-request-qr"));
const a2Req = vault("a2", "join", "--name", "alice", "--out", at("a2.request"), "--qr", at("a2-request-qr"));
const veraReq = vault("v", "join", "--name", "vera", "--out", at("vera.request"));
say(`bob's request: ${bobReq.bytes} bytes, ${bobReq.frames} QR frames in bob-request-qr/, fingerprint ${bobReq.fingerprint}`);
say(`A2's request: ${a2Req.bytes} bytes, ${a2Req.frames} QR frames, fingerprint ${a2Req.fingerprint}; vera's came as a file.`);
const bobAdded = vault("a", "members", "add", at("bob-request-qr"), "--role", "editor", "--fingerprint", bobReq.fingerprint);
const a2Added = vault("a", "devices", "add", at("a2-request-qr"), "--fingerprint", a2Req.fingerprint);
vault("a", "members", "add", at("vera.request"), "--role", "viewer", "--fingerprint", veraReq.fingerprint);
say(`A scanned the images and checked each code read from the joiner's screen (--fingerprint; a different one is refused):`);
say(`bob is an editor (fingerprint ${bobAdded.fingerprint}, same as on B's screen),`);
say(`A2 is certified as alice's second device (${a2Added.fingerprint}), vera is a viewer.`);

step("Alice creates a collection only editors may read, and writes notes.");
vault("a", "collections", "add", "sources", "--name", "Sources", "--read", "editor", "--write", "editor");
const secret = vault("a", "notes", "add", "--collection", "sources", "--title", "Safe house", "--body", CANARY);
vault("a", "notes", "add", "--title", "Team meeting", "--body", "Thursday, usual place");
say(`"Safe house" (note ${secret.id}) is in Sources (editors and up); "Team meeting" is in Notes (everyone).`);

step("Welcomes travel on a USB stick, walked from laptop to laptop.");
const stick1 = mkdir("usb-stick-1");
const welcome = vault("a", "export", "--usb", stick1);
say(`A wrote ${welcome.bundles.length} sealed bundles to usb-stick-1/airlock/outbox: ${bundlesText(welcome.bundles)}.`);
for (const who of ["b", "a2", "v"]) {
  const r = vault(who, "import", stick1).report;
  say(`${who.toUpperCase().padEnd(2)} imported: ${r.bundles} bundle(s) for it, ${r.notForMe} for others (opened by trial, no names on them).`);
}
const stickAcks = mkdir("usb-stick-acks");
for (const who of ["b", "a2", "v"]) vault(who, "export", "--usb", stickAcks);
for (const who of ["a", "b", "a2", "v"]) vault(who, "import", stickAcks);
say("Each new laptop sent its acknowledgements back on a second stick; now everyone has heard from everyone.");
const vStatus = vault("v", "status").status;
say(`What vera's laptop can read: ${vStatus.collections.map((c) => `${c.id} ${c.canRead ? "yes" : "NO (no key for it)"}`).join(", ")}.`);

step("Two couriers and a blind mailbox, on connected machines (here: all on 127.0.0.1).");
const c = { 0: at("mailbox-courier"), 1: at("courier-1"), 2: at("courier-2") };
const port = await freePort();
for (const [n, who] of [[0, "a"], [1, "a"], [2, "b"]]) {
  courier(c[n], "keygen", "--out", at(`courier-${n}.pub`));
  vault(who, "courier-enroll", "--courier-key", at(`courier-${n}.pub`), "--out", at(`courier-${n}.enrollment`));
}
courier(c[0], "init", at("courier-0.enrollment"), "--mailbox", `http://127.0.0.1:${port}`);
// The mailbox server gets only the mailbox server key (token checks), never the transport key.
courier(c[0], "mailbox-key", "--out", at("mailbox-server.key"));
const serverHome = at("mailbox-server");
courier(serverHome, "serve-init", at("mailbox-server.key"));
const server = spawn(process.execPath, [COURIER, "serve", "--home", serverHome, "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
await new Promise((resolve, reject) => {
  let out = "";
  const seen = (d) => {
    out += d.toString();
    if (out.includes(`127.0.0.1:${port}`)) resolve();
  };
  server.stdout.on("data", seen);
  server.stderr.on("data", seen);
  server.once("exit", () => reject(new Error(`the mailbox did not start:\n${out}`)));
});
server.removeAllListeners("exit");
const mailbox = `http://127.0.0.1:${port}`;
for (const n of [1, 2]) courier(c[n], "init", at(`courier-${n}.enrollment`), "--mailbox", mailbox, "--send-per-round", "3");
say(`Mailbox at ${mailbox} (airlock-courier serve, holding only a mailbox server key: it checks tokens, it cannot tell real bundles from cover). Courier 1 was enrolled by A, courier 2 by B.`);
say("An enrollment holds the team's transport key (routing, cover traffic, mailbox tokens) and no content key.");

step("Offline, bob and alice edit different fields of the same note.");
vault("b", "notes", "edit", secret.id, "--collection", "sources", "--title", "Safe house (moved)");
vault("a", "notes", "edit", secret.id, "--collection", "sources", "--body", `${CANARY}, 3rd floor`);
say("B changed the title, A changed the body. Neither laptop has seen the other's change.");

step("A shows its export as animated QR frames; courier 1's camera misses a fifth of them.");
const qrA = mkdir("qr-from-A");
const exportA = vault("a", "export", "--qr", qrA);
say(`A: ${bundlesText(exportA.bundles)}, as PNG files in qr-from-A/ (index.html plays them).`);
let dropped = 0;
let shown = 0;
for (const d of readdirSync(qrA, { withFileTypes: true }).filter((e) => e.isDirectory())) {
  const frames = readdirSync(join(qrA, d.name)).filter((n) => n.endsWith(".png")).sort();
  shown += frames.length;
  frames.forEach((f, i) => {
    if (i % 5 === 2) {
      rmSync(join(qrA, d.name, f));
      dropped++;
    }
  });
}
const ing = courier(c[1], "ingest", ...readdirSync(qrA, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(qrA, e.name)));
say(`Deleted ${dropped} of ${shown} frames; courier 1 still rebuilt ${ing.spooled} bundle(s) from the rest (fountain code).`);

step("Courier 1 pushes to the mailbox; courier 2 pulls and writes to a USB stick for B.");
const push1 = courier(c[1], "sync").reports[0].push;
say(`Courier 1 pushed ${push1.real} real + ${push1.cover} cover bundle(s): every round sends the same number, so activity does not show.`);
const pull2 = courier(c[2], "sync").reports[0].pull;
say(`Courier 2 listed ${pull2.listed}, kept ${pull2.spooled} real, dropped ${pull2.cover} cover (it can tell them apart, the mailbox cannot).`);
const stickB = mkdir("usb-stick-to-B");
const d2 = courier(c[2], "deliver", "--usb", stickB).delivered;
say(`Courier 2 wrote ${d2.length} bundle(s) (${d2.map((d) => kib(d.bytes)).join(", ")}) to usb-stick-to-B/airlock/inbox.`);
for (const who of ["b", "a2", "v"]) {
  const r = vault(who, "import", stickB).report;
  say(`${who.toUpperCase().padEnd(2)} imported: ${r.applied} change(s) applied${r.locked > 0 ? `, ${r.locked} kept locked (no key to read Sources)` : ""}.`);
}

step("And back: B → USB → courier 2 → mailbox → courier 1 → USB → A.");
const stickFromB = mkdir("usb-stick-from-B");
const exportB = vault("b", "export", "--usb", stickFromB);
say(`B: ${bundlesText(exportB.bundles)}.`);
courier(c[2], "ingest", stickFromB);
courier(c[2], "sync");
courier(c[1], "sync");
const stickA = mkdir("usb-stick-to-A");
courier(c[1], "deliver", "--usb", stickA);
vault("a", "import", stickA);
vault("a2", "import", stickA);
for (const who of ["a", "a2", "b"]) {
  const n = vault(who, "notes", "show", secret.id, "--collection", "sources").note;
  say(`${who.toUpperCase().padEnd(2)} sees: "${n.title}" / "${n.body}"`);
}
say("Same note everywhere: bob's title and alice's body, merged field by field.");

step("Vera (viewer) tries to write.");
const refused = run(AIRLOCK, ["notes", "add", "--title", "vera was here", "--home", home.v], vaultEnv);
say(`Her own vault refuses: ${refused.stderr.split("\n").find((l) => l.startsWith("airlock: error"))}`);
// Her modified client (offline-signer/test-support/forge-note.ts) signs the edit with her own key anyway.
const stickV = mkdir("usb-stick-from-V");
const forged = run(FORGE_NOTE, ["--home", home.v, "--usb", stickV, "--title", "forged by vera"], vaultEnv);
if (forged.status !== 0) throw new Error(`forge-note failed: ${forged.stderr}`);
courier(c[2], "ingest", stickV);
courier(c[2], "sync");
courier(c[1], "sync");
const stickForged = mkdir("usb-stick-forged");
courier(c[1], "deliver", "--usb", stickForged);
const q = vault("a", "import", stickForged).report;
const qReason = vault("a", "status").status.quarantine.at(-1)?.reason ?? "?";
say(`A modified client (a test program that signs with her own key) exports the edit anyway.`);
say(`A received it through both couriers and quarantined ${q.quarantined + q.rejected} change(s): "${qReason}".`);

step("Alice removes bob: every collection he could read gets a new key.");
vault("a", "members", "remove", "bob");
vault("a", "notes", "add", "--collection", "sources", "--title", "New contact", "--body", `after bob: ${CANARY}`);
const stickX = mkdir("usb-stick-after-removal");
const exportX = vault("a", "export", "--usb", stickX);
say(`A: ${bundlesText(exportX.bundles)}, sealed to A2 and V only.`);
const bobX = vault("b", "import", stickX).report;
const a2X = vault("a2", "import", stickX).report;
say(`B: ${bobX.bundles} bundle(s) it can open, ${bobX.notForMe} not for it. A2: ${a2X.applied} change(s) applied.`);

step("What did the couriers and the mailbox see?");
const needles = [CANARY, "Safe house", "Team meeting"].map((s) => Buffer.from(s));
let scanned = 0;
const leaks = [];
for (const dir of [c[0], c[1], c[2], serverHome]) {
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    scanned++;
    const bytes = readFileSync(path);
    for (const n of needles) if (bytes.includes(n)) leaks.push(`${path}: ${n}`);
  }
}
const stored = readdirSync(join(serverHome, "mailbox-store"), { recursive: true }).filter((n) => String(n).endsWith(".airlock"));
const storedBytes = stored.reduce((s, n) => s + statSync(join(serverHome, "mailbox-store", String(n))).size, 0);
say(`The mailbox stores ${stored.length} bundles (${kib(storedBytes)}), real and cover alike, named by hash.`);
say(leaks.length === 0 ? `No note text in any of the ${scanned} files of the courier and mailbox homes.` : `LEAK: ${leaks.join("; ")}`);
const inspect = run(COURIER, ["inspect", join(stickA, "airlock", "inbox", files(join(stickA, "airlock", "inbox"))[0])], process.env);
say("A courier's whole view of a bundle (airlock-courier inspect):");
for (const line of inspect.stdout.trim().split("\n")) say(`  ${line}`);

server.kill("SIGTERM");
await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once("exit", resolve)));

console.log(`\n[${secs()} s] Done. The folders stay in ${root}. To poke at them (same test-only settings):
  export AIRLOCK_PASSPHRASE='${PASSPHRASE}' AIRLOCK_INSECURE_TEST_KDF=1
  node ${relative(process.cwd(), AIRLOCK) || AIRLOCK} --home ${home.a}      # alice's vault in the terminal UI (q quits)
  node ${relative(process.cwd(), AIRLOCK) || AIRLOCK} status --home ${home.a}
  node ${relative(process.cwd(), AIRLOCK)} notes list --collection sources --home ${home.a2}
  node ${relative(process.cwd(), AIRLOCK)} notes list --collection sources --home ${home.v}     # vera: refused, she may not read it
  node ${relative(process.cwd(), AIRLOCK)} log --home ${home.b}
  node ${relative(process.cwd(), COURIER)} status --home ${c[1]}
  node ${relative(process.cwd(), COURIER)} inspect ${join(stickA, "airlock", "inbox")}/*.airlock
  open ${join(qrA, "01-sync", "index.html")} in a browser to watch A's QR animation
  rm -rf ${root}      # when you are done`);

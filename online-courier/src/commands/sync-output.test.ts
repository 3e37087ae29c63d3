/**
 * What `airlock-courier sync` says (docs/cli.md, "sync"): its help names only flags it has and
 * the order a round runs in; a round where one mailbox failed still shows what the others did,
 * and `--every --json` says which rounds failed. The real bin as a child process, real dir:
 * mailboxes (one of them missing, so it fails).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { makeTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import Sync from "./sync.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const dir = tempDir("sync-output");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = join(dir, "good");
mkdirSync(good);
const missing = join(dir, "missing");
const home = setupCourierHome(join(dir, "c"), [makeTeam("Desk")], `dir:${good}`, { sendPerRound: 2, bucketSizes: [4096] });
saveTeams(home, loadTeams(home).map((t) => ({ ...t, mailboxes: [`dir:${good}`, `dir:${missing}`] })));

describe("airlock-courier sync output", () => {
  it("help names only flags sync has, and says a round pulls before it pushes", () => {
    // Another command's flag is named with its command ("init --send-per-round").
    const text = `${Sync.summary ?? ""} ${Sync.description ?? ""}`.replace(/\binit --[a-z-]+/g, "");
    const flags = new Set(Object.keys({ ...Sync.baseFlags, ...Sync.flags }));
    const named = [...text.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!);
    expect(named).toContain("every");
    expect(named.filter((f) => !flags.has(f))).toEqual([]);
    expect(text.indexOf("pulls")).toBeLessThan(text.indexOf("pushes"));
  });

  it("one mailbox failed: exit 1, and stdout still shows what the other mailbox did", () => {
    const r = spawnSync(process.execPath, [BIN, "sync", "--home", home.root, "--retries", "0"], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`Desk dir:${good}: pushed 0 real + 2 cover; pulled 0 new`);
    expect(r.stdout).toMatch(new RegExp(`Desk dir:${missing}: failed: [A-Z_]+: .*; its bundles stay spooled`));
    expect(r.stderr).toMatch(/^airlock-courier: error: 1 of 2 mailboxes failed; /);
  });

  it("--every --json: one line per round, ok:false with COURIER_SYNC_FAILED when a mailbox of the round failed", async () => {
    const child = spawn(process.execPath, [BIN, "sync", "--home", home.root, "--every", "1h", "--retries", "0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
      });
      child.on("exit", (code) => reject(new Error(`sync exited ${code} before a round was reported`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const round = JSON.parse(line) as { ok: boolean; error?: { code: string; message: string }; round: { backend: string; error?: unknown }[] };
    expect(round).toMatchObject({ ok: false, error: { code: "COURIER_SYNC_FAILED", message: "1 of 2 mailboxes failed" } });
    expect(round.round.map((r) => [r.backend, r.error === undefined])).toEqual([
      [`dir:${good}`, true],
      [`dir:${missing}`, false],
    ]);
  });
});

/**
 * `airlock backup` and `airlock restore` of a vault with several spaces, as people run them: the
 * real bin as child processes, real files (docs/sync.md "Restoring a backup", docs/spaces.md).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlock, airlockBatch, airlockJsonBatch } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";

const { root, cleanup } = tempRoot("airlock-backup-spaces-cli-");
afterAll(cleanup);
const home = (n: string): string => join(root, n);
const titlesOf = (json: Record<string, unknown>): string[] => (json["notes"] as { title: string }[]).map((n) => n.title).sort();

describe("airlock backup / restore with spaces", () => {
  it("backs up every space, says which it left out, and restores each as a new device", () => {
    const a = home("a");
    const setup = airlockJsonBatch([
      ["init", "--team", "Field office", "--name", "alice", "--home", a],
      ["spaces", "create", "Board", "--home", a],
      ["notes", "add", "--title", "in the first space", "--home", a],
      ["notes", "add", "--title", "in Board", "--space", "Board", "--home", a],
      ["spaces", "join", "Pending", "--out", join(root, "pending.airlock-join"), "--home", a],
      ["spaces", "list", "--home", a],
    ]);
    const board = (setup[1]!["space"] as { id: string }).id;
    const boardDevice = setup[1]!["device"] as string;
    const file = join(root, "alice.airlock-backup");
    const made = airlock(["backup", "--out", file, "--home", a]);
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/2 spaces' databases/);
    expect(made.stdout).toMatch(/Not in the backup: space "Pending", whose join request still waits for its welcome/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const r = airlockBatch([
      ["restore", file, "--home", home("a2"), "--json"],
      ["spaces", "list", "--home", home("a2"), "--json"],
      ["notes", "list", "--home", home("a2"), "--json"],
      ["notes", "list", "--space", "Board", "--home", home("a2"), "--json"],
      ["status", "--space", "Board", "--home", home("a2"), "--json"],
      ["restore", file, "--home", home("a3")],
    ]);
    expect(r.map((x) => x.status)).toEqual([0, 0, 0, 0, 0, 0]);
    const restored = JSON.parse(r[0]!.stdout) as Record<string, unknown>;
    expect(restored).toMatchObject({ ok: true, team: "Field office", spaces: [{ id: board, name: "Board", team: "Board", oldDevice: boardDevice }], dropped: [{ name: "Pending" }] });
    expect((restored["spaces"] as { device: string }[])[0]!.device).not.toBe(boardDevice);
    const listed = (JSON.parse(r[1]!.stdout) as { spaces: { name: string; state: string }[] }).spaces;
    expect(listed.map((s) => [s.name, s.state])).toEqual([
      ["Field office", "joined"],
      ["Board", "joined"],
    ]);
    expect(titlesOf(JSON.parse(r[2]!.stdout) as Record<string, unknown>)).toEqual(["in the first space"]);
    expect(titlesOf(JSON.parse(r[3]!.stdout) as Record<string, unknown>)).toEqual(["in Board"]);
    const status = (JSON.parse(r[4]!.stdout) as { status: { alerts: string[] } }).status;
    expect(status.alerts.some((x) => /restored from a backup of device/.test(x))).toBe(true);
    expect(r[5]!.stdout).toMatch(/Restored space "Board" as a new device [0-9a-f]{12} in Board/);
    expect(r[5]!.stdout).toMatch(/Space "Pending" was not in the backup/);
    expect(readdirSync(join(home("a3"), "spaces"))).toEqual([board]);
    expect(existsSync(join(home("a3"), "spaces", board, "vault.db"))).toBe(true);
  });
});

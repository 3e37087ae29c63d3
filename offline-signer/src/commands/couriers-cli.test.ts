/**
 * `airlock courier-enroll`, `couriers list` and `couriers revoke` as people run them: the real bin
 * as a child process, a real vault folder (docs/cli.md, "Couriers and transport key generations").
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toHex, x25519KeyPair } from "@airlock/bundle-format";
import { airlockBatch } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";

const { root, cleanup } = tempRoot("airlock-couriers-cli-");
afterAll(cleanup);

describe("airlock couriers", () => {
  it("enrolls with a name, lists, revokes (a new generation), and refuses to enroll the revoked key again", () => {
    const home = join(root, "a");
    const keys = ["relay", "laptop"].map((n) => {
      const path = join(root, `${n}.pub`);
      writeFileSync(path, `airlock-courier-key:v1:${toHex(x25519KeyPair().publicKey)}\n`);
      return path;
    });
    const run = airlockBatch(
      [
        ["init", "--team", "Field office", "--name", "alice"],
        ["courier-enroll", "--courier-key", keys[0]!, "--name", "relay", "--out", join(root, "relay.enrollment")],
        ["courier-enroll", "--courier-key", keys[1]!, "--name", "laptop", "--out", join(root, "laptop.enrollment")],
        ["couriers", "list"],
        ["couriers", "revoke", "laptop"],
        ["couriers", "list"],
        ["courier-enroll", "--courier-key", keys[1]!, "--out", join(root, "again.enrollment")],
      ].map((c) => [...c, "--home", home, "--json"]),
    );
    expect(run.slice(0, 6).map((r) => r.status)).toEqual([0, 0, 0, 0, 0, 0]);
    const json = run.map((r) => (r.stdout === "" ? {} : (JSON.parse(r.stdout) as Record<string, unknown>)));
    expect(json[1]).toMatchObject({ name: "relay", recorded: true });
    expect(readFileSync(join(root, "relay.enrollment")).length).toBeGreaterThan(0);
    expect(json[3]).toMatchObject({ generation: 0, couriers: [expect.objectContaining({ name: "relay", enrolledBy: "alice", revoked: false }), expect.objectContaining({ name: "laptop", revoked: false })] });
    expect(json[4]).toMatchObject({ revoked: "laptop", generation: 1 });
    expect(json[5]).toMatchObject({
      generation: 1,
      couriers: [expect.objectContaining({ name: "relay", generation: 1, revoked: false }), expect.objectContaining({ name: "laptop", generation: 0, revoked: true, retired: "revoked" })],
    });
    expect(run[6]!.status).toBe(1);
    expect(run[6]!.stdout + run[6]!.stderr).toMatch(/VAULT_NOT_ALLOWED[\s\S]*retired/);
  });
});

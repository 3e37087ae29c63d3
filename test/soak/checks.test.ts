/**
 * The soak's checks must see damage, or a clean soak proves nothing: each reader is shown the
 * kind of damage it exists to find (a cut bundle under a final name, a mailbox file that does
 * not hash to its name, a changeset without its ops) next to what it must let pass (temp files).
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fillerBundle, MIN_BUCKET } from "@airlock/bundle-format";
import { passphraseBytes } from "../../offline-signer/src/store/index.js";
import { Vault } from "../../offline-signer/src/vault/vault.js";
import { PASSPHRASE } from "../e2e/support/cli.js";
import { dropFolderFacts, mailboxFacts, vaultFacts } from "./checks.js";

const root = mkdtempSync(join(tmpdir(), "airlock-soak-checks-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bundle = fillerBundle({ mailboxTag: new Uint8Array(16).fill(7), length: MIN_BUCKET });

describe("soak checks", () => {
  it("a drop folder: whole bundles pass, temp files are counted, a cut bundle under a final name is a problem", () => {
    const outbox = join(root, "stick", "airlock", "outbox");
    mkdirSync(outbox, { recursive: true });
    writeFileSync(join(outbox, "aaaaaaaaaaaaaaaaaaaaaaaaaa.airlock"), bundle);
    writeFileSync(join(outbox, ".tmp-bbbbbbbbbbbbbbbbbbbbbbbbbb.partial"), bundle.subarray(0, 100));
    expect(dropFolderFacts(join(root, "stick"))).toMatchObject({ temps: 1, problems: [] });
    writeFileSync(join(outbox, "cccccccccccccccccccccccccc.airlock"), bundle.subarray(0, bundle.length - 1));
    const facts = dropFolderFacts(join(root, "stick"));
    expect(facts.complete.size).toBe(1);
    expect(facts.problems).toEqual([expect.stringMatching(/cccc.*cut short/)]);
  });

  it("a dir: mailbox: a file must hash to its name", () => {
    const ns = join(root, "mailbox", "ns1");
    mkdirSync(ns, { recursive: true });
    const name = `${createHash("sha256").update(bundle).digest("hex")}.airlock`;
    writeFileSync(join(ns, name), bundle);
    writeFileSync(join(ns, ".airlock-tmp-00.tmp"), bundle.subarray(0, 10));
    expect(mailboxFacts(join(root, "mailbox"))).toMatchObject({ temps: 1, problems: [] });
    writeFileSync(join(ns, name), bundle.subarray(0, bundle.length - 1));
    expect(mailboxFacts(join(root, "mailbox")).problems).toEqual([expect.stringContaining("does not hold the bytes its name promises")]);
  });

  it("a vault: an applied changeset without its ops is seen", async () => {
    const home = join(root, "vault");
    const vault = await Vault.create(home, passphraseBytes(PASSPHRASE), { kdf: "test-insecure" });
    vault.init("Soak check team", "alice");
    vault.write("notes", [{ kind: "set", record: "n1", field: "title", value: "t" }]);
    vault.close();
    const clean = await vaultFacts(home, { tables: true });
    expect(clean).toMatchObject({ integrity: "ok", appliedWithoutOps: 0, orphanOps: 0, ops: 1 });
    expect(clean.applied.size).toBe(1);

    const damaged = await Vault.open(home, passphraseBytes(PASSPHRASE), { kdf: "test-insecure" });
    damaged.store.transaction((db) => db.prepare("DELETE FROM ops").run());
    damaged.close();
    const after = await vaultFacts(home, { tables: true });
    expect(after).toMatchObject({ integrity: "ok", appliedWithoutOps: 1, ops: 0 });
    expect(after.tables).not.toBe(clean.tables);
  });
});

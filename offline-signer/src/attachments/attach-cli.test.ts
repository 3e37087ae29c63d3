/**
 * `airlock attach …` as a child process: --json shapes, exit status and typed errors for what a
 * person gets wrong (a file not here yet, an existing --out, a file over the quota), and nothing
 * stored when a command is refused. The other typed errors are checked in-process
 * (attachments.test.ts), where they cost no process start.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { passphraseBytes } from "../store/index.js";
import { Vault } from "../vault/vault.js";
import { addNote } from "../apps/notes/index.js";
import { exportBundles, importBundles } from "../vault/sync.js";
import { airlock, airlockJson, cliFailure, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { tempRoots } from "../../test-support/vaults.js";

const root = tempRoots("airlock-attach-cli-");

describe("airlock attach", () => {
  it("adds, lists, gets and removes files, and refuses what cannot be right with a typed error", async () => {
    const dir = root();
    const a = await Vault.create(join(dir, "a"), passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
    a.init("Clinic", "alice");
    const b = await Vault.create(join(dir, "b"), passphraseBytes(CLI_PASSPHRASE), { kdf: "test-insecure" });
    a.addMember(b.joinRequest("bob").bytes, "editor");
    const note = addNote(a, "notes", { title: "Intake forms" }).id;
    importBundles(b, exportBundles(a).map((x) => ({ bytes: x.bytes, source: "setup" })));
    a.close();
    b.close();
    const home = ["--home", join(dir, "a")];
    writeFileSync(join(dir, "form.pdf"), "%PDF-1.4 intake form");

    const added = airlockJson(["attach", "add", note.slice(0, 6), join(dir, "form.pdf"), ...home]);
    expect(added).toMatchObject({ ok: true, collection: "notes", record: note, name: "form.pdf", size: 20, type: "application/pdf", deduplicated: false });
    const listed = airlockJson(["attach", "list", ...home]) as { files: { name: string; held: boolean; id: string }[] };
    expect(listed.files).toMatchObject([{ name: "form.pdf", held: true }]);
    const out = join(dir, "out.pdf");
    airlockJson(["attach", "get", note, "--out", out, ...home]);
    expect(readFileSync(out, "utf8")).toBe("%PDF-1.4 intake form");

    expect(cliFailure(airlock(["attach", "get", note, "--out", out, "--json", ...home])).code).toBe("VAULT_FILE_EXISTS");
    // Limits refuse before anything is stored (the other typed errors: attachments.test.ts).
    expect(airlockJson(["attach", "quota", "notes", "--max-file", "1KiB", ...home])).toMatchObject({ maxFile: 1024 });
    writeFileSync(join(dir, "big.bin"), Buffer.alloc(4096, 1));
    expect(cliFailure(airlock(["attach", "add", note, join(dir, "big.bin"), "--json", ...home])).code).toBe("VAULT_FILE_QUOTA");
    expect(readdirSync(join(dir, "a", "blobs"))).toHaveLength(1);

    // Bob holds the record before the file: listed as not here yet, and get says so.
    const usb = join(dir, "usb");
    mkdirSync(usb);
    airlockJson(["export", "--usb", usb, "--no-files", ...home]);
    airlockJson(["import", usb, "--home", join(dir, "b")]);
    const bobs = airlockJson(["attach", "list", note, "--home", join(dir, "b")]) as { files: { held: boolean }[] };
    expect(bobs.files).toMatchObject([{ held: false }]);
    const missing = cliFailure(airlock(["attach", "get", note, "--out", join(dir, "x.pdf"), "--json", "--home", join(dir, "b")]));
    expect(missing.code).toBe("VAULT_FILE_MISSING");
    expect(missing.hint).toMatch(/next export asks for it/);
    expect(airlockJson(["status", "--home", join(dir, "b")])).toMatchObject({ files: { held: 0, bytes: 0, missing: 1 } });

    expect(airlockJson(["attach", "rm", note, "form.pdf", ...home])).toMatchObject({ name: "form.pdf" });
    expect(airlockJson(["attach", "prune", ...home])).toMatchObject({ freed: 20 });
  });
});

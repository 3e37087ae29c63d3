/**
 * `airlock contacts import` through the real bin: a file with cards that have no name imports the
 * others, names each card it left out (stderr, and `--json`'s `skipped`), and exits 3.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { airlockBatch } from "../../../test-support/cli.js";
import { tempRoot } from "../../../test-support/vaults.js";

const { root, cleanup } = tempRoot("airlock-contacts-import-cli-");
afterAll(cleanup);
const home = ["--home", join(root, "alice")];
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe("contacts import through the airlock CLI", () => {
  it("cards with no name are left out and listed; the rest are imported; exit 3", () => {
    const [init, json, text, list] = airlockBatch([
      ["init", "--team", "Desk", "--name", "alice", "--json", ...home],
      ["contacts", "import", fixture("missing-fn.vcf"), "--json", ...home],
      ["contacts", "import", fixture("android-2.1.vcf"), ...home],
      ["contacts", "list", "--json", ...home],
    ]);
    expect(init!.status, init!.stderr).toBe(0);

    expect(json!.status, json!.stderr).toBe(3);
    expect(JSON.parse(json!.stdout)).toMatchObject({
      ok: true,
      added: 3,
      skipped: [
        { card: 2, line: 6, code: "CONTACTS_CARD_NO_NAME", message: "vCard card 2, line 6, FN: card has no name: no FN, and no N to take one from" },
        { card: 4, line: 17, code: "CONTACTS_CARD_NO_NAME", message: "vCard card 4, line 17, FN: card has no name: no FN, and no N to take one from" },
      ],
    });
    expect(json!.stderr).toContain("airlock: warning: card left out: vCard card 2, line 6, FN: card has no name");
    expect(json!.stderr).toContain("airlock: warning: card left out: vCard card 4, line 17, FN: card has no name");

    expect(text!.status, text!.stderr).toBe(3);
    expect(text!.stdout).toMatch(/^Imported 2 contacts into .* \(2 new, 0 updated, 0 unchanged\)\. 1 card left out \(no name\)\.\n$/);
    expect(text!.stderr).toContain("airlock: warning: card left out: vCard card 3, line 34, FN: card has no name");

    const names = (JSON.parse(list!.stdout) as { contacts: { name: string }[] }).contacts.map((c) => c.name).sort();
    // Named from N where FN was missing; never from a phone number or an address.
    expect(names).toEqual(["Dr. Chidi Okoye", "Lina Farah", "Maria Santos", "Rania Haddad", "张伟"]);
  }, 120_000);
});

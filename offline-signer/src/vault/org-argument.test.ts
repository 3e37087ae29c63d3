/**
 * `members add --org TEXT` (review F9): the help says "name or number", and a number was taken for
 * a name (VAULT_NOT_FOUND, or an organization literally called "1"). orgOfArgument takes a name
 * (ASCII case ignored) first, else a decimal index bounded by the organizations the space has.
 * Real vault, real genesis; the CLI path is in test/e2e/shared-space.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { newVault, tempRoots } from "../../test-support/vaults.js";
import { thrownAirlockError } from "../../test-support/errors.js";
import { initShared, orgOfArgument } from "./orgs.js";
import type { Vault } from "./vault.js";

const roots = tempRoots("airlock-org-arg-");
const open: Vault[] = [];
afterEach(() => {
  for (const v of open.splice(0)) v.close();
});

describe("members add --org: a name or a number", () => {
  it("takes a decimal index within the space's organizations, names as before, and a name before a number", async () => {
    const alice = await newVault(roots(), "alice");
    open.push(alice);
    // An organization literally named "2" sits at index 1: its name wins, index 2 is Cedar.
    const s = initShared(alice, "Joint", "alice", ["Acme", "2", "Cedar"]);
    expect(orgOfArgument(s, "0")).toBe(0);
    expect(orgOfArgument(s, "2")).toBe(1);
    expect(orgOfArgument(s, "02")).toBe(2);
    expect(orgOfArgument(s, "cedar")).toBe(2);
    expect(orgOfArgument(s, "ACME")).toBe(0);
    const beyond = thrownAirlockError(() => orgOfArgument(s, "3"));
    expect(beyond).toMatchObject({ code: "VAULT_NOT_FOUND", message: 'no organization #3 in Joint (it has #0 "Acme", #1 "2", #2 "Cedar")' });
    expect(beyond.hint).toBeTruthy();
    for (const bad of ["-1", "1.0", "0x1", " 1", "100"]) expect(thrownAirlockError(() => orgOfArgument(s, bad)).code).toBe("VAULT_NOT_FOUND");
  });
});

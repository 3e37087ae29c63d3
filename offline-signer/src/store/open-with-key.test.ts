/** VaultStore.unlockKey and openWithKey (the unlock session's way in): real encrypted files, test-only KDF. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempRoots } from "../../test-support/vaults.js";
import { passphraseBytes, readParams, writeParamsAtomic } from "./params.js";
import { PARAMS_FILE, VaultStore } from "./vault-store.js";

const root = tempRoots("airlock-open-with-key-");
const PASS = "open with key test passphrase";
const insecure = { kdf: "test-insecure" } as const;

describe("VaultStore.openWithKey", () => {
  it("opens with the key unlockKey returns, wipes it, refuses a wrong key and a pending passphrase change", async () => {
    const dir = join(root(), "v");
    const made = await VaultStore.create(dir, passphraseBytes(PASS), insecure);
    made.setMeta("marker", "here");
    made.close();

    const { key, salt } = await VaultStore.unlockKey(dir, passphraseBytes(PASS), insecure);
    expect(salt).toEqual(readParams(join(dir, PARAMS_FILE)).current.salt);
    const copy = key.slice();
    const store = VaultStore.openWithKey(dir, key, insecure);
    expect(store.getMeta("marker")).toBe("here");
    store.close();
    expect(key.every((b) => b === 0)).toBe(true);

    expect(() => VaultStore.openWithKey(dir, copy.slice(), {})).toThrow(expect.objectContaining({ code: "VAULT_INSECURE_KDF" }));
    const wrong = copy.slice();
    wrong[31]! ^= 0x80;
    expect(() => VaultStore.openWithKey(dir, wrong, insecure)).toThrow(expect.objectContaining({ code: "VAULT_WRONG_KEY" }));

    const params = readParams(join(dir, PARAMS_FILE));
    writeParamsAtomic(join(dir, PARAMS_FILE), { ...params, pending: { ...params.current, salt: new Uint8Array(16).fill(9) } });
    expect(() => VaultStore.openWithKey(dir, copy.slice(), insecure)).toThrow(expect.objectContaining({ code: "VAULT_PASSPHRASE_PENDING" }));
    // The passphrase still settles it, after which the session's key works again.
    (await VaultStore.open(dir, passphraseBytes(PASS), insecure)).close();
    VaultStore.openWithKey(dir, copy, insecure).close();
  });
});

/** Bench vaults: created in one temp folder with the test-only KDF and one shared clock, closed together. */
import { join } from "node:path";
import { passphraseBytes } from "../src/store/index.js";
import { Vault } from "../src/vault/vault.js";

export const BENCH_PASS = "bench passphrase";

export function benchVaults(root: string, now: () => number): { open(name: string): Promise<Vault>; closeAll(): void } {
  const vaults: Vault[] = [];
  return {
    async open(name) {
      const v = await Vault.create(join(root, name), passphraseBytes(BENCH_PASS), { kdf: "test-insecure", now });
      vaults.push(v);
      return v;
    },
    closeAll() {
      for (const v of vaults.splice(0)) v.close();
    },
  };
}

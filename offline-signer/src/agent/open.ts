/**
 * How a command opens its vault through an unlock session (docs/unlock-session.md): the key from
 * the agent, if one runs for this vault home, else undefined and the caller asks for the
 * passphrase. A key that no longer opens the vault ends the session.
 */
import { escapeLine, isAirlockError } from "@airlock/shared";
import { Vault, type VaultOpenOptions } from "../vault/vault.js";
import { keyFromAgent, lockAgent } from "./client.js";

export async function openFromAgent(home: string, options: VaultOpenOptions): Promise<Vault | undefined> {
  let key: Uint8Array | undefined;
  try {
    key = await keyFromAgent(home);
  } catch (e) {
    if (!isAirlockError(e, "AGENT_UNSAFE_DIR") && !isAirlockError(e, "AGENT_BAD_MESSAGE")) throw e;
    // Not used, and said so: whoever set up that folder may be listening there.
    process.stderr.write(`airlock: warning: unlock session not used: ${escapeLine(e.message)}\n`);
    return undefined;
  }
  if (key === undefined) return undefined;
  try {
    return Vault.openWithKey(home, key, options);
  } catch (e) {
    if (!isAirlockError(e, "VAULT_WRONG_KEY")) throw e;
    await lockAgent(home);
    return undefined;
  }
}

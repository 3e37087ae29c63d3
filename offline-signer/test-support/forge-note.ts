/**
 * The hostile member as a program, for the demo and the end-to-end test: opens a *test* vault
 * (test-only KDF) and writes a note edit that its own role does not allow, signed with the
 * member's own device key, as a real sync bundle in a USB drop folder — what a modified client
 * would export. The vault's own commands never do this; every other vault must refuse it.
 *
 *   AIRLOCK_PASSPHRASE=… AIRLOCK_INSECURE_TEST_KDF=1 \
 *   node offline-signer/dist/test-support/forge-note.js --home DIR --usb STICK --title T [--record ID] [--collection C]
 *
 * Prints one JSON line: { "bundle": path, "record": id }.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { prepareDropFolder, writeBundle } from "@airlock/shared";
import { passphraseBytes } from "../src/store/index.js";
import { Vault } from "../src/vault/vault.js";
import { HostileMember } from "./hostile.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { home: { type: "string" }, usb: { type: "string" }, title: { type: "string" }, record: { type: "string" }, collection: { type: "string", default: "notes" } },
  });
  if (values.home === undefined || values.usb === undefined || values.title === undefined) throw new Error("usage: forge-note --home DIR --usb DIR --title T [--record ID] [--collection C]");
  if (process.env["AIRLOCK_INSECURE_TEST_KDF"] !== "1") throw new Error("forge-note only opens test vaults (AIRLOCK_INSECURE_TEST_KDF=1)");
  const passphrase = process.env["AIRLOCK_PASSPHRASE"];
  if (passphrase === undefined) throw new Error("set AIRLOCK_PASSPHRASE");
  const vault = await Vault.open(values.home, passphraseBytes(passphrase), { kdf: "test-insecure" });
  try {
    const evil = new HostileMember(vault);
    const record = values.record ?? randomBytes(8).toString("hex");
    const cs = evil.changeset({ collection: values.collection, ops: [{ record, field: "title", value: values.title }] });
    const tk = vault.transportKey();
    if (tk === undefined) throw new Error("the vault has no transport key yet");
    const bundle = evil.bundle({ changesets: [cs] }, undefined, tk.tag("real", tk.epochAt(vault.now())));
    tk.wipe();
    const drop = await prepareDropFolder(values.usb);
    const written = await writeBundle(drop.outbox, bundle);
    process.stdout.write(`${JSON.stringify({ bundle: written.path, record })}\n`);
  } finally {
    vault.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`forge-note: ${(e as Error).message}\n`);
  process.exit(1);
});

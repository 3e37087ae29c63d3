import { Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { generateCourierKey, writePublicKeyFile, formatPublicKey } from "../home/courier-key.js";
import { createHome } from "../home/paths.js";
import { CourierCommand } from "./base.js";

export default class Keygen extends CourierCommand {
  static override summary = "Make this courier's key pair and write its public key for the vault.";
  static override description =
    "The secret key stays in the courier home (courier.key, mode 0600); the public key file is what the vault's `airlock courier-enroll --courier-key FILE` reads. Creates the home if needed; refuses to replace an existing key.";
  static override examples = ["<%= config.bin %> keygen --out courier.pub", "<%= config.bin %> keygen --home /srv/courier --out /media/usb/courier.pub"];
  static override flags = {
    out: Flags.string({ description: "where to write the public key file", required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Keygen);
    const home = this.homeFrom(flags.home);
    createHome(home);
    const pair = generateCourierKey(home);
    pair.secretKey.fill(0);
    writePublicKeyFile(flags.out, pair.publicKey);
    const line = formatPublicKey(pair.publicKey).trim();
    const text = [
      safe`courier key made in ${home.root}`,
      safe`public key written to ${flags.out}: ${line}`,
      safe`next: have the vault run \`airlock courier-enroll --courier-key ${flags.out} --out enrollment.airlock\``,
    ];
    this.emit(flags.json, { home: home.root, publicKeyFile: flags.out, publicKey: line }, `${text.join("\n")}\n`);
  }
}

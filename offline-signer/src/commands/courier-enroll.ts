import { readFileSync, writeFileSync } from "node:fs";
import { Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { enrollCourier, parseCourierKey } from "../vault/courier-enroll.js";
import { vaultError } from "../vault/errors.js";
import { VaultCommand } from "./base.js";

export class CourierEnroll extends VaultCommand {
  static override summary = "Enroll a courier (admins): record it in the team log and write what it needs (transport key, mailbox), sealed to the courier's key.";
  static override description =
    "It holds no content key and no signing key: a courier can route and pad this team's bundles, never read them. Every admin sees the courier in `airlock couriers list`; after the transport key is rotated, admins' exports carry its next enrollment until it is revoked. Carry --out to the courier and run `airlock-courier init FILE --mailbox URL` there.";
  static override examples = ["<%= config.bin %> courier-enroll --courier-key /media/usb/courier.pub --name relay --out /media/usb/team.enrollment --mailbox dir:/srv/mailbox"];
  static override flags = {
    "courier-key": Flags.string({ description: "the file `airlock-courier keygen --out FILE` wrote", required: true }),
    out: Flags.string({ description: "where to write the enrollment", required: true }),
    name: Flags.string({ description: "a name for the courier (lowercase letters, digits, . _ -); default courier-<key prefix>" }),
    mailbox: Flags.string({ description: "suggested mailbox URL (dir:PATH, http://HOST:PORT, onion:ADDR, s3://BUCKET?endpoint=...)", default: "" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CourierEnroll);
    let text: string;
    try {
      text = readFileSync(flags["courier-key"], "utf8");
    } catch (e) {
      throw vaultError("VAULT_BAD_COURIER_KEY", `cannot read ${flags["courier-key"]}`, e);
    }
    const pub = parseCourierKey(text.slice(0, 200));
    await this.withVault(flags, async (vault) => {
      const { bytes, courier, entry } = enrollCourier(vault, pub, flags.name, flags.mailbox);
      writeFileSync(flags.out, bytes);
      this.emit(
        flags.json,
        { out: flags.out, bytes: bytes.length, name: courier.name, recorded: entry !== undefined },
        safe`Wrote the courier enrollment for ${courier.name} to ${flags.out} (${String(bytes.length)} bytes). It opens only with that courier's key.` + "\n",
      );
    });
  }
}

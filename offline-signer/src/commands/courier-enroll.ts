import { readFileSync, writeFileSync } from "node:fs";
import { Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { courierEnrollment, parseCourierKey } from "../vault/courier-enroll.js";
import { vaultError } from "../vault/errors.js";
import { VaultCommand } from "./base.js";

export class CourierEnroll extends VaultCommand {
  static override summary = "Write what a courier needs for this team (transport key, mailbox), sealed to the courier's key.";
  static override description = "It holds no content key and no signing key: a courier can route and pad this team's bundles, never read them. Carry --out to the courier and run `airlock-courier init FILE --mailbox URL` there.";
  static override examples = ["<%= config.bin %> courier-enroll --courier-key /media/usb/courier.pub --out /media/usb/team.enrollment --mailbox dir:/srv/mailbox"];
  static override flags = {
    "courier-key": Flags.string({ description: "the file `airlock-courier keygen --out FILE` wrote", required: true }),
    out: Flags.string({ description: "where to write the enrollment", required: true }),
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
      const bytes = courierEnrollment(vault, pub, flags.mailbox);
      writeFileSync(flags.out, bytes);
      this.emit(flags.json, { out: flags.out, bytes: bytes.length }, safe`Wrote the courier enrollment to ${flags.out} (${bytes.length} bytes). It opens only with that courier's key.` + "\n");
    });
  }
}

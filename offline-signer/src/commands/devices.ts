import { Args, Flags } from "@oclif/core";
import { quoted } from "@airlock/shared";
import { VaultCommand } from "./base.js";
import { admitted, short, table } from "./format.js";
import { checkRequest, confirmAtPrompt, readRequestFrom, refuseKnown } from "./admission.js";
import { CAMERA_FLAGS } from "./camera-flags.js";
import { restoreWaitingFor } from "../vault/backup-status.js";

export class DevicesAdd extends VaultCommand {
  static override summary = "Add another laptop of yours, certified by your identity key (run on your first device), after checking its fingerprint.";
  static override description =
    "On the new laptop run `airlock join --name YOU --out FILE`; carry FILE here. Before anything is signed, the request's fingerprint is compared with the one the new laptop shows: on a terminal you are asked to confirm it; otherwise pass it with --fingerprint CODE, and a different code is refused. The new device gets your role and the keys you hold.";
  static override examples = ["<%= config.bin %> devices add /media/usb/laptop2.airlock-join", "<%= config.bin %> devices add ./laptop2-request-qr --fingerprint e76h-33ro-xern-7rjs", "<%= config.bin %> devices add --camera"];
  static override args = { request: Args.string({ description: "join request: file, QR image folder or video (none with --camera)" }) };
  static override flags = { fingerprint: Flags.string({ description: "the code shown on the new laptop (required without a terminal); a different one is refused" }), ...CAMERA_FLAGS };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesAdd);
    const bytes = await readRequestFrom(args.request, flags, this.progress(), "devices add", (m) => this.usage(m));
    const admission = checkRequest(bytes, flags.fingerprint, "devices add");
    await this.withVault(flags, async (vault) => {
      refuseKnown(vault.requireTeam(), admission.request, true);
      this.refuseLinked(vault, [admission.request.device.sign, admission.request.device.enc]);
      await confirmAtPrompt(admission, undefined);
      const { request, entry } = vault.addDevice(bytes);
      const fp = admission.fingerprint;
      this.emit(flags.json, { entry: entry.hashHex, device: Buffer.from(request.device.sign).toString("hex"), fingerprint: fp }, admitted(`Added a device of yours, requested as ${quoted(request.name)}.`, fp, "Next: airlock export."));
    });
  }
}

export class DevicesList extends VaultCommand {
  static override summary = "List devices with their owners and state.";
  static override examples = ["<%= config.bin %> devices list"];

  async run(): Promise<void> {
    const { flags } = await this.parse(DevicesList);
    await this.withVault(flags, async (vault) => {
      const state = vault.requireTeam();
      const devices = [...state.devices.values()].map((d) => ({ id: d.id, user: state.users.get(d.user)?.name ?? "?", active: d.active, thisDevice: d.id === vault.deviceId }));
      this.emit(flags.json, { devices }, table(devices.map((d) => [short(d.id), d.user, d.active ? "active" : "revoked", d.thisDevice ? "(this device)" : ""])));
    });
  }
}

export class DevicesRevoke extends VaultCommand {
  static override summary = "Revoke a lost or retired device: its later changesets are refused and keys it could read are rotated.";
  static override examples = ["<%= config.bin %> devices revoke 3f2a9c0d"];
  static override args = { device: Args.string({ description: "device id prefix (airlock devices list)", required: true }) };
  static override flags = {
    force: Flags.boolean({
      description: "revoke the device this vault was restored from before every teammate caught up (docs/sync.md): what it wrote after the backup that this vault lacks is then refused everywhere",
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesRevoke);
    await this.withVault(flags, async (vault) => {
      const forced = flags.force ? restoreWaitingFor(vault, vault.findDevice(args.device).id) : undefined;
      const entry = vault.revokeDevice(args.device, { force: flags.force });
      if (forced !== undefined) process.stderr.write(`airlock: warning: revoked before ${forced} caught up with the restore: what the old device wrote after the backup and this vault did not hold is refused on every vault\n`);
      this.emit(flags.json, { entry: entry.hashHex }, "Revoked. Export to tell the team.\n");
    });
  }
}

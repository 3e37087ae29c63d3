import { Courier } from "../courier/courier.js";
import { courierStatus, formatStatus } from "../courier/status.js";
import { CourierCommand } from "./base.js";

export default class Status extends CourierCommand {
  static override summary = "Show bundles per team and direction, last sync per mailbox, and what was dropped or refused.";
  static override examples = ["<%= config.bin %> status", "<%= config.bin %> status --json"];

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    const courier = Courier.open(this.homeFrom(flags.home));
    try {
      const status = courierStatus(courier, Date.now());
      this.emit(flags.json, { status }, formatStatus(status));
    } finally {
      courier.close();
    }
  }
}

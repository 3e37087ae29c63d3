import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { Flags } from "@oclif/core";
import type { TransportKey } from "@airlock/shared";
import { courierError } from "../errors.js";
import { Courier } from "../courier/courier.js";
import { CourierCommand } from "./base.js";

interface ServerModule {
  startMailboxServer(o: {
    listen: { host: string; port: number };
    storageDir: string;
    teams: () => readonly TransportKey[];
    log?: (line: string) => void;
  }): Promise<{ url: string; port: number; close(): Promise<void> }>;
}
interface TorModule {
  publishOnion(o: { control: { host: string; port: number }; cookieFile?: string; targetPort: number; clientAuthPublicKeys: readonly string[] }): Promise<{ address: string }>;
}
interface ClientAuthModule {
  onionClientAuthKeys(tk: TransportKey): { publicKeyBase32: string };
}

async function load<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (e) {
    throw courierError("COURIER_BACKEND_MISSING", `${specifier} cannot be loaded: ${(e as Error).message}`, e);
  }
}

export default class Serve extends CourierCommand {
  static override summary = "Run the blind HTTP mailbox for the teams this courier serves (optionally as a Tor onion service).";
  static override description =
    "Stores opaque bundles under each team's rotating namespace in the courier home (mailbox-store/), accepting only requests that carry the namespace's token (derived from the transport key). Runs until SIGINT/SIGTERM. Other couriers use it as --mailbox http://HOST:PORT (or onion:ADDR).";
  static override examples = ["<%= config.bin %> serve --listen 127.0.0.1:8800", "<%= config.bin %> serve --listen 127.0.0.1:8800 --onion --tor-control 127.0.0.1:9051"];
  static override flags = {
    listen: Flags.string({ description: "HOST:PORT to listen on", default: "127.0.0.1:8800" }),
    onion: Flags.boolean({ description: "also publish it as a Tor onion service (needs a running tor with a control port)", default: false }),
    "tor-control": Flags.string({ description: "tor control port HOST:PORT", default: "127.0.0.1:9051" }),
    "tor-cookie": Flags.string({ description: "tor control auth cookie file" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const listen = hostPort(flags.listen, "--listen");
    const courier = Courier.open(this.homeFrom(flags.home));
    try {
      courier.requireTeams();
      const storageDir = join(courier.home.root, "mailbox-store");
      mkdirSync(storageDir, { recursive: true, mode: 0o700 });
      const { startMailboxServer } = await load<ServerModule>("../mailbox/http-server.js");
      const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const server = await startMailboxServer({ listen, storageDir, teams: () => courier.teams.map((t) => t.tk), log });
      let onion: string | undefined;
      if (flags.onion) {
        const { publishOnion } = await load<TorModule>("../tor/onion.js");
        const { onionClientAuthKeys } = await load<ClientAuthModule>("../tor/client-auth.js");
        const published = await publishOnion({
          control: hostPort(flags["tor-control"], "--tor-control"),
          ...(flags["tor-cookie"] === undefined ? {} : { cookieFile: flags["tor-cookie"] }),
          targetPort: server.port,
          clientAuthPublicKeys: courier.teams.map((t) => onionClientAuthKeys(t.tk).publicKeyBase32),
        });
        onion = `onion:${published.address}`;
      }
      this.emit(flags.json, { url: server.url, ...(onion === undefined ? {} : { onion }) }, `mailbox listening on ${server.url}${onion === undefined ? "" : ` and ${onion}`}; stop with Ctrl-C\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve).once("SIGTERM", resolve);
      });
      await server.close();
    } finally {
      courier.close();
    }
  }
}

function hostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port < 1 || port > 65_535) throw courierError("COURIER_BAD_ARGUMENT", `${flag} wants HOST:PORT, got ${JSON.stringify(text.slice(0, 80))}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

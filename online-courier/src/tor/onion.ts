/**
 * Publishes the courier's HTTP mailbox as a v3 onion service through tor's control port
 * (ADD_ONION), with client authorization: only holders of one of `clientAuthPublicKeys` (the
 * team's key from client-auth.ts) can fetch the descriptor and so reach the service. The
 * service lives as long as the control connection (no Detach flag): if the courier dies, tor
 * takes the onion down rather than leaving an orphan pointing at a dead port.
 */
import { torError, TorControl, type TorControlEndpoint } from "./control.js";

export interface PublishOnionOptions {
  control: TorControlEndpoint;
  cookieFile?: string;
  password?: string;
  targetPort: number;
  clientAuthPublicKeys: readonly string[];
  /** Target host (default 127.0.0.1): the mailbox server should listen on loopback only. */
  targetHost?: string;
  /** A key from an earlier run ("ED25519-V3:<base64>") to keep the same address; default: a new one. */
  privateKey?: string;
}

export interface PublishedOnion {
  /** `<56 base32>.onion` */
  readonly address: string;
  /** The service's key ("ED25519-V3:…") when a new one was made: store it (secret) to keep the address. */
  readonly privateKey: string | undefined;
  /** Resolves once tor has uploaded the service descriptor to at least one HSDir. */
  descriptorUploaded(timeoutMs: number): Promise<void>;
  remove(): Promise<void>;
}

/** The virtual port clients use: the URL is plain http://<address>.onion. */
export const ONION_VIRTUAL_PORT = 80;

export async function publishOnion(o: PublishOnionOptions): Promise<PublishedOnion> {
  if (!Number.isSafeInteger(o.targetPort) || o.targetPort < 1 || o.targetPort > 65_535) throw new RangeError(`targetPort must be a TCP port, got ${o.targetPort}`);
  if (o.clientAuthPublicKeys.length === 0) throw new TypeError("an Airlock onion mailbox needs at least one client authorization key");
  for (const key of o.clientAuthPublicKeys) {
    if (!/^[A-Z2-7]{52}$/i.test(key)) throw new TypeError("a client authorization key is 52 base32 characters (x25519)");
  }
  const targetHost = o.targetHost ?? "127.0.0.1";
  if (!/^[0-9a-zA-Z.:[\]-]{1,255}$/.test(targetHost)) throw new TypeError("targetHost must be a host name or address");
  if (o.privateKey !== undefined && !/^ED25519-V3:[A-Za-z0-9+/]{86}==$/.test(o.privateKey)) throw new TypeError("privateKey must be ED25519-V3:<base64 of 64 bytes>");

  const control = await TorControl.open(o.control, { cookieFile: o.cookieFile, password: o.password });
  const uploads: string[] = [];
  const recent: string[] = [];
  const waiters = new Set<() => void>();
  control.onEvent((event) => {
    // Kept for the timeout message: FAILED events name tor's reason (no secrets in HS_DESC).
    recent.push(event.slice(0, 200));
    if (recent.length > 6) recent.shift();
    // "HS_DESC UPLOADED <address> UNKNOWN <hsdir> …"
    const m = /^HS_DESC UPLOADED ([a-z2-7]{56}) /.exec(event);
    if (m !== null) {
      uploads.push(m[1]!);
      for (const w of waiters) w();
    }
  });
  try {
    await control.ok("SETEVENTS HS_DESC");
    const key = o.privateKey ?? "NEW:ED25519-V3";
    const auth = o.clientAuthPublicKeys.map((k) => ` ClientAuthV3=${k.toUpperCase()}`).join("");
    const flags = o.privateKey === undefined ? "V3Auth" : "V3Auth,DiscardPK";
    const reply = await control.ok(`ADD_ONION ${key} Flags=${flags} Port=${ONION_VIRTUAL_PORT},${targetHost}:${o.targetPort}${auth}`, "ADD_ONION");
    const serviceId = reply.lines.find((l) => l.startsWith("ServiceID="))?.slice("ServiceID=".length);
    if (serviceId === undefined || !/^[a-z2-7]{56}$/.test(serviceId)) throw torError("TOR_CONTROL_PROTOCOL", "tor's ADD_ONION answer lacks a v3 ServiceID");
    const privateKey = reply.lines.find((l) => l.startsWith("PrivateKey="))?.slice("PrivateKey=".length);
    let removed = false;
    return {
      address: `${serviceId}.onion`,
      privateKey,
      descriptorUploaded: (timeoutMs) =>
        new Promise<void>((resolve, reject) => {
          if (uploads.includes(serviceId)) return resolve();
          const timer = setTimeout(() => {
            waiters.delete(check);
            const seen = recent.length === 0 ? "no HS_DESC events" : `last HS_DESC events:\n${recent.join("\n")}`;
            reject(torError("TOR_TIMEOUT", `tor did not upload the onion service descriptor within ${timeoutMs} ms; ${seen}`));
          }, timeoutMs);
          const check = (): void => {
            if (!uploads.includes(serviceId)) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
        }),
      remove: async () => {
        if (removed) return;
        removed = true;
        try {
          await control.ok(`DEL_ONION ${serviceId}`, "DEL_ONION");
        } finally {
          control.close();
        }
      },
    };
  } catch (e) {
    control.close();
    throw e;
  }
}

/**
 * `airlock` with no command, until the vault and its TUI land: proves on this machine that
 * the bundle format works end to end (seal for three devices, open on one, refuse a
 * stranger and a tampered copy) and says what each step revealed.
 */
import {
  BundleError,
  decodePayload,
  ed25519KeyPair,
  encodePayload,
  inspectBundle,
  openBundle,
  randomBytes,
  sealBundle,
  x25519KeyPair,
} from "@airlock/bundle-format";

export interface SelfCheckStep {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

export function runSelfCheck(): SelfCheckStep[] {
  const steps: SelfCheckStep[] = [];
  const sender = ed25519KeyPair();
  const devices = [x25519KeyPair(), x25519KeyPair(), x25519KeyPair()];
  const stranger = x25519KeyPair();
  const team = randomBytes(32);
  const body = encodePayload({ kind: "sync", team, entries: [], changesets: [randomBytes(300)], acks: [] });
  const bundle = sealBundle(body, {
    recipients: devices.map((d) => d.publicKey),
    sender,
    mailboxTag: randomBytes(16),
  });
  const header = inspectBundle(bundle);
  steps.push({
    step: "seal",
    ok: true,
    detail: `sealed a ${body.length}-byte sync payload for ${devices.length} devices into a ${bundle.length}-byte bundle (${header.slotCount} anonymous recipient slots)`,
  });
  steps.push({
    step: "courier view",
    ok: true,
    detail: `a courier sees only: format ${header.version}, mailbox tag, ${header.length} bytes, ${header.slotCount} slots`,
  });
  const opened = openBundle(bundle, { recipient: devices[1]! });
  const payload = decodePayload(opened.body);
  const same = Buffer.compare(opened.body, body) === 0 && Buffer.compare(opened.sender, sender.publicKey) === 0;
  steps.push({ step: "open", ok: same && payload.kind === "sync", detail: "device 2 opened it and verified the sender's signature" });
  steps.push(expectFailure("stranger", "BUNDLE_NOT_FOR_ME", () => openBundle(bundle, { recipient: stranger })));
  const tampered = bundle.slice();
  tampered[tampered.length - 1]! ^= 1;
  steps.push(expectFailure("tampered copy", "BUNDLE_AUTH", () => openBundle(tampered, { recipient: devices[0]! })));
  return steps;
}

function expectFailure(step: string, code: string, action: () => unknown): SelfCheckStep {
  try {
    action();
    return { step, ok: false, detail: `expected ${code}, but it opened` };
  } catch (e) {
    const ok = e instanceof BundleError && e.code === code;
    return { step, ok, detail: ok ? `refused as expected (${code})` : `unexpected failure: ${String(e)}` };
  }
}

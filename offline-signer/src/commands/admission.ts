/**
 * What `members add` and `devices add` check before they sign anything: that the request is the
 * one made on the joiner's laptop. Both screens show the same fingerprint (vault/request.ts, the
 * function the TUI uses too); the admin either confirms it at a prompt or passes the code read
 * from the joiner's screen with --fingerprint. Without either, nothing is signed: a script that
 * admits whatever file it is handed would let anyone who swaps the file on the stick join.
 */
import { AirlockError, escapeLine, quoted, type ProgressLine } from "@airlock/shared";
import { promptLine } from "../cli/passphrase.js";
import { fingerprint, parseJoinRequest, type JoinRequest } from "../vault/request.js";
import { readRequest } from "../vault/transfer.js";
import { cameraSource } from "./camera-flags.js";
import type { Role } from "../team/entry.js";
import type { TeamState } from "../team/state.js";

const CODE = /^[a-z2-7]{16}$/;

/** A code as people type it: case, spaces and dashes do not matter. */
export function normalizeFingerprint(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}

export interface Admission {
  readonly request: JoinRequest;
  readonly fingerprint: string;
  /** True when --fingerprint already matched; false when a person must confirm at the prompt. */
  readonly confirmed: boolean;
}

/**
 * Parses the request and settles what can be settled before the vault is opened: a given code
 * that does not match is refused here (nothing opened, nothing signed), and with no code and no
 * terminal to ask on the command line cannot be right.
 */
export function checkRequest(bytes: Uint8Array, given: string | undefined, command: string): Admission {
  const request = parseJoinRequest(bytes);
  const fp = fingerprint(request.device);
  if (given === undefined) {
    if (process.stdin.isTTY !== true) {
      throw new AirlockError("USAGE", `${command} needs the fingerprint shown on ${escapeLine(request.name)}'s laptop, and there is no terminal to ask on`, {
        hint: `pass --fingerprint CODE with the code read from the joiner's screen (airlock join printed it; \`airlock join --show\` there prints it again)`,
      });
    }
    return { request, fingerprint: fp, confirmed: false };
  }
  const typed = normalizeFingerprint(given);
  if (!CODE.test(typed)) {
    throw new AirlockError("USAGE", `--fingerprint ${quoted(given.slice(0, 40))} is not a fingerprint: it has 16 letters a-z and digits 2-7, like abcd-efgh-ijkl-mnop`, {
      hint: "copy the code exactly as the joiner's screen shows it (dashes and spaces may be left out)",
    });
  }
  if (typed !== normalizeFingerprint(fp)) {
    throw new AirlockError("JOIN_FINGERPRINT_MISMATCH", `the request's fingerprint is ${fp}, not the ${quoted(given.trim().slice(0, 40))} given: this is not the request made on ${escapeLine(request.name)}'s laptop`, {
      hint: "do not admit it; nothing was signed. Ask them for a fresh request (airlock join), carried by hand, and compare the code on their screen",
    });
  }
  return { request, fingerprint: fp, confirmed: true };
}

/**
 * The request's bytes from REQUEST, or from the camera with --camera (one request, then the
 * camera stops; Ctrl-C stops it sooner, CAMERA_STOPPED, nothing signed). Read before the vault
 * is opened, as from a file.
 */
export async function readRequestFrom(
  request: string | undefined,
  flags: { camera: boolean; device?: string | undefined },
  progress: ProgressLine,
  command: string,
  usage: (message: string) => never,
): Promise<Uint8Array> {
  const camera = cameraSource(flags, usage);
  if (camera !== undefined && request !== undefined) usage(`read the request from REQUEST or from --camera, not both`);
  if (camera === undefined) {
    // As oclif says of a missing argument (docs/cli.md); --help names --camera.
    if (request === undefined) usage(`"airlock ${command}" needs REQUEST`);
    return readRequest(request, progress);
  }
  const stop = new AbortController();
  const interrupt = (): void => stop.abort();
  process.once("SIGINT", interrupt).once("SIGTERM", interrupt);
  try {
    return await readRequest(camera, progress, stop.signal);
  } finally {
    process.off("SIGINT", interrupt).off("SIGTERM", interrupt);
    progress.end?.();
  }
}

/** Refuses a request whose person or laptop the team already has, naming who it is and what to do instead. */
export function refuseKnown(state: TeamState, request: JoinRequest, own: boolean): void {
  const deviceId = Buffer.from(request.device.sign).toString("hex");
  const device = state.devices.get(deviceId);
  const user = state.users.get(device?.user ?? Buffer.from(request.user).toString("hex"));
  if (device !== undefined) {
    if (user !== undefined && user.active && device.active) {
      throw new AirlockError("VAULT_ALREADY_MEMBER", `this laptop is already in the team: ${quoted(user.name)}, ${user.role}`, {
        hint: own ? "nothing to add; `airlock devices list` shows your devices" : `nothing to add; change their role with \`airlock members role ${quoted(user.name)} ROLE\``,
      });
    }
    throw new AirlockError("VAULT_ALREADY_MEMBER", `this laptop was in the team and was ${user?.active === false ? "removed with its member" : "revoked"}: it cannot be admitted again`, {
      hint: "on that laptop, run `airlock join` with a new --home (a fresh vault folder) and admit the new request",
    });
  }
  if (!own && user !== undefined && user.active) {
    throw new AirlockError("VAULT_ALREADY_MEMBER", `${quoted(user.name)} is already a member, as ${user.role} (this request is for another laptop of theirs)`, {
      hint: `a member's second laptop is added by them with \`airlock devices add\` on their first laptop; change their role with \`airlock members role ${quoted(user.name)} ROLE\``,
    });
  }
}

/** On a terminal: shows who and the code, and asks. Anything but yes signs nothing. */
/** `role` undefined: a laptop of the admin's own (devices add). */
export async function confirmAtPrompt(admission: Admission, role: Role | undefined): Promise<void> {
  if (admission.confirmed) return;
  const laptop = role === undefined ? "the new laptop" : `${escapeLine(admission.request.name)}'s laptop`;
  process.stderr.write(`Join request from ${quoted(admission.request.name)}${role === undefined ? ", a laptop of yours" : `, to be admitted as ${role}`}.\nFingerprint: ${admission.fingerprint}\n`);
  const answer = await promptLine(`Does the code on ${laptop} read ${admission.fingerprint}? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) {
    throw new AirlockError("JOIN_NOT_CONFIRMED", `${quoted(admission.request.name)} was not admitted: the fingerprint was not confirmed`, {
      hint: "nothing was signed; if the codes differ, someone may have swapped the request: ask for a fresh one, carried by hand",
    });
  }
}

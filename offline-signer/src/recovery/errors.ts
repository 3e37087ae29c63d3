/** Typed errors of recovery (docs/recovery.md): stable codes, one-line reasons, hints. */
import { AirlockError } from "@airlock/shared";

export const RECOVERY_HINTS = {
  RECOVERY_SETUP: "see `airlock recovery setup --help`: any K of N shares restore you, 2 <= K <= N <= 16, holders are other active members",
  RECOVERY_BAD_REQUEST: "ask for a fresh request: on the new laptop, `airlock recover start NAME --out FILE`, carried by hand",
  RECOVERY_BAD_BUNDLE: "ask the holder to write the release again (airlock recovery release --for NAME REQUEST) from this laptop's own request",
  RECOVERY_BAD_CARD: "scan or photograph the whole card again, flat and sharp; the QR code must be fully visible",
  RECOVERY_FORGED_SHARE: "do not use it: it is not one of the shares your recovery set committed to. Ask its holder for a fresh release, or use another share",
  RECOVERY_WRONG_TEAM: "this share belongs to another team's recovery; use the shares of the team you are recovering into",
  RECOVERY_WRONG_MEMBER: "this share or release is for another person's recovery; use your own",
  RECOVERY_OLD_SET: "only your newest recovery set enrols a device: use the shares made with it (`airlock recovery held` on a holder's vault says which set it holds)",
  RECOVERY_SET_USED: "this set already enrolled a device: ask an admin to check `airlock log`; if that was not you, ask them to remove and re-admit you",
  RECOVERY_NOT_ENOUGH: "give more shares in the same command: releases from more holders (airlock recovery release) or more paper cards",
  RECOVERY_NO_LOG: "a paper card alone does not carry the team: add at least one teammate's release (any member can write one: airlock recovery release --for NAME REQUEST)",
  RECOVERY_NOT_STARTED: "start on this laptop with `airlock recover start NAME --out FILE`",
  RECOVERY_MISMATCH: "the shares do not combine into your identity: report this to your admins, and do not use this set",
  RECOVERY_WAITING: "an admin approves the enrolment (airlock approvals list, then approve); import their next export here and run `airlock recover finish`",
} as const;
export type RecoveryErrorCode = keyof typeof RECOVERY_HINTS;

export function recoveryError(code: RecoveryErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: RECOVERY_HINTS[code], cause });
}

/**
 * Sorting a bundle by its cleartext header and the served teams' transport keys: a team's
 * real bundle (spool it), a team's cover (drop it, count it: cover never reaches a vault), or
 * nobody's (refuse it with a reason). Malformed bytes are refused with the codec's code.
 */
import { inspectBundle, isBundleError, type BundleHeader } from "@airlock/bundle-format";
import type { TransportKey } from "@airlock/shared";
import type { TeamId } from "../home/teams.js";

export interface KeyedTeam {
  readonly id: TeamId;
  readonly tk: TransportKey;
}

export type Verdict =
  | { readonly kind: "real"; readonly team: TeamId; readonly header: BundleHeader; readonly epoch: number }
  | { readonly kind: "cover"; readonly team: TeamId; readonly epoch: number }
  | { readonly kind: "refused"; readonly team: TeamId | undefined; readonly code: string; readonly reason: string };

export const UNKNOWN_TAG = "COURIER_UNKNOWN_TAG";

export function classifyBundle(bytes: Uint8Array, teams: readonly KeyedTeam[], nowMs: number, maxLength: number): Verdict {
  let header: BundleHeader;
  try {
    header = inspectBundle(bytes, maxLength);
  } catch (e) {
    if (isBundleError(e)) return { kind: "refused", team: undefined, code: e.code, reason: e.message };
    throw e;
  }
  for (const team of teams) {
    const match = team.tk.classify(header.mailboxTag, team.tk.epochAt(nowMs));
    if (match === undefined) continue;
    return match.kind === "real" ? { kind: "real", team: team.id, header, epoch: match.epoch } : { kind: "cover", team: team.id, epoch: match.epoch };
  }
  return {
    kind: "refused",
    team: undefined,
    code: UNKNOWN_TAG,
    reason: "its mailbox tag belongs to no team this courier serves (or is from outside the accepted epoch window)",
  };
}

/** log2 of a header's slot count: the tier a cover bundle copies. */
export const slotTierOf = (header: BundleHeader): number => Math.round(Math.log2(header.slotCount));

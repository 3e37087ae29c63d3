/** A contacts record <-> Contact: what the CLI, the TUI and vCard import write and read. */
import type { Intent, RecordView } from "../app.js";
import { diffRecord, textOf, textsOf } from "../record-diff.js";
import { LABELED_FIELDS, SENSITIVITIES, decodeLabeled, encodeLabeled, type Contact, type Labeled, type Sensitivity } from "./contact.js";

function labeled(values: readonly string[]): Labeled[] {
  const out: Labeled[] = [];
  for (const v of values) {
    try {
      out.push(decodeLabeled(v));
    } catch {
      // The schema check let it in; an unreadable value is skipped here, never fatal to a listing.
    }
  }
  return out;
}

export function contactOf(r: RecordView): Contact {
  const given = textOf(r.fields["given"]);
  const family = textOf(r.fields["family"]);
  const notes = textOf(r.fields["notes"]);
  const uid = textOf(r.fields["uid"]);
  const s = textOf(r.fields["sensitivity"]);
  const sensitivity = s !== undefined && (SENSITIVITIES as readonly string[]).includes(s) ? (s as Sensitivity) : undefined;
  return {
    name: textOf(r.fields["name"]) ?? "",
    ...(given === undefined ? {} : { given }),
    ...(family === undefined ? {} : { family }),
    organisations: textsOf(r.sets["organisations"]),
    phones: labeled(textsOf(r.sets["phones"])),
    emails: labeled(textsOf(r.sets["emails"])),
    messengers: labeled(textsOf(r.sets["messengers"])),
    addresses: labeled(textsOf(r.sets["addresses"])),
    ...(notes === undefined ? {} : { notes }),
    ...(sensitivity === undefined ? {} : { sensitivity }),
    ...(uid === undefined ? {} : { uid }),
  };
}

/** The intents that make record `id` say `c` (only what differs from `have`). */
export function contactIntents(id: string, c: Contact, have?: RecordView): Intent[] {
  const sets: Record<string, readonly string[]> = { organisations: c.organisations };
  for (const f of LABELED_FIELDS) sets[f] = c[f].map(encodeLabeled);
  return diffRecord(
    id,
    { fields: { name: c.name, given: c.given, family: c.family, notes: c.notes, sensitivity: c.sensitivity === "normal" ? undefined : c.sensitivity, uid: c.uid }, sets },
    have,
  );
}

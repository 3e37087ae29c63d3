/**
 * CSV reading for the importers: RFC 4180 through csv-parse, bounded (record size, record
 * count), every record with the line it starts on, and a header checked against the columns a
 * format defines. csv-parse's own messages are not passed on: some quote the record.
 */
import { CsvError, parse } from "csv-parse/sync";
import { IMPORT_LIMITS, malformed } from "./common.js";

export interface CsvRow {
  /** 1-based line the record starts on. */
  readonly line: number;
  /** Cells by column name. */
  readonly cells: ReadonlyMap<string, string>;
}

type Info = { lines: number; empty_lines: number };

const REASONS: Readonly<Record<string, string>> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: "has a different number of columns than the header",
  CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH: "has a different number of columns than the header",
  CSV_MAX_RECORD_SIZE: `is longer than ${IMPORT_LIMITS.csvRecordChars} characters`,
  CSV_QUOTE_NOT_CLOSED: "opens a quote that is never closed (the file is truncated?)",
  CSV_INVALID_CLOSING_QUOTE: "has text right after a closing quote",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "has text right after a closing quote",
  CSV_INVALID_OPENING_QUOTE: "has a quote inside an unquoted cell",
};

/**
 * Rows of `text` under a header whose every name is in `known` and which holds all of
 * `required`; a header cell outside `known`, a repeated one, or a missing required one is refused.
 */
export function readCsv(text: string, what: string, known: readonly string[], required: readonly string[]): CsvRow[] {
  let parsed: { record: string[]; info: Info }[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      max_record_size: IMPORT_LIMITS.csvRecordChars,
      // Header plus one over the limit is enough to know the file is too big.
      to: IMPORT_LIMITS.items + 2,
    }) as unknown as { record: string[]; info: Info }[];
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      throw malformed(`${what}, line ${line ?? "?"}`, REASONS[e.code] ?? `is not valid CSV (${e.code})`);
    }
    throw malformed(what, "is not valid CSV");
  }
  if (parsed.length === 0) throw malformed(what, "is empty (no header line)");
  if (parsed.length > IMPORT_LIMITS.items + 1) throw malformed(what, `holds more than ${IMPORT_LIMITS.items} items; at most that many are imported at once`);
  const header = parsed[0]!.record.map((h) => h.trim());
  const where1 = `${what}, line 1`;
  const seen = new Set<string>();
  for (const h of header) {
    if (!known.includes(h)) throw malformed(where1, `has the unknown column ${JSON.stringify(h.slice(0, 40))} (expected ${known.join(", ")})`);
    if (seen.has(h)) throw malformed(where1, `repeats the column ${JSON.stringify(h)}`);
    seen.add(h);
  }
  for (const r of required) if (!seen.has(r)) throw malformed(where1, `lacks the column ${JSON.stringify(r)}`);

  const rows: CsvRow[] = [];
  let prevEnd = parsed[0]!.info.lines;
  let prevEmpty = parsed[0]!.info.empty_lines;
  for (const { record, info } of parsed.slice(1)) {
    const line = prevEnd + 1 + (info.empty_lines - prevEmpty);
    prevEnd = info.lines;
    prevEmpty = info.empty_lines;
    const cells = new Map<string, string>();
    header.forEach((h, i) => cells.set(h, record[i] ?? ""));
    rows.push({ line, cells });
  }
  return rows;
}

/** One CSV row's cells (Bitwarden's multi-URI and collections cells). */
export function splitCsvCell(cell: string): string[] {
  if (cell.trim() === "") return [];
  try {
    const rows = parse(cell, { relax_column_count: true, max_record_size: IMPORT_LIMITS.csvRecordChars }) as string[][];
    return rows.flat();
  } catch {
    return [cell];
  }
}

/**
 * `/`: one line of query, results from every collection this device reads as it is typed
 * (vault.search never looks at secret fields), ↑/↓ to choose, Enter opens the record in its
 * collection's screen, Esc goes back.
 */
import { Box, useInput } from "ink";
import { useMemo, useReducer, useRef, type ReactElement } from "react";
import type { Vault } from "../../vault/vault.js";
import { Text } from "../components/Text.js";
import { edit, segments } from "../editing.js";
import { errorMessage } from "../messages.js";

export interface SearchViewProps {
  readonly vault: Vault;
  readonly rows: number;
  readonly onOpen: (collection: string, id: string) => void;
  readonly onBack: () => void;
}

interface Hit {
  readonly collection: string;
  readonly id: string;
  readonly type: string;
  readonly summary: string;
}

function find(vault: Vault, query: string): { hits: readonly Hit[]; error?: string } {
  if (query.trim() === "") return { hits: [] };
  try {
    const state = vault.requireTeam();
    const hits = vault.search(query).map((h) => {
      const app = vault.appOf(h.collection);
      return {
        collection: h.collection,
        id: h.id,
        // A type this release does not know still says what it is called.
        type: app?.label ?? state.collections.get(h.collection)?.app ?? "?",
        summary: app?.summary(h.view) ?? h.id,
      };
    });
    return { hits };
  } catch (e) {
    return { hits: [], error: errorMessage(e).text };
  }
}

export function SearchView({ vault, rows, onOpen, onBack }: SearchViewProps): ReactElement {
  // In a ref, as in Form: keys can arrive faster than React re-renders.
  const state = useRef({ query: "", selected: 0 });
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const { query } = state.current;
  const found = useMemo(() => find(vault, query), [vault, query]);

  useInput((input, key) => {
    const s = state.current;
    if (key.escape) return onBack();
    if (key.upArrow) s.selected = Math.max(0, s.selected - 1);
    else if (key.downArrow) s.selected = Math.min(Math.max(0, find(vault, s.query).hits.length - 1), s.selected + 1);
    else {
      for (const seg of segments(input, key)) {
        // As in Form: a key with no text (backspace) still edits; an Enter alone does not.
        if (!seg.enter || seg.text !== "") {
          const next = edit(s.query, seg.text, key);
          if (next !== s.query) [s.query, s.selected] = [next, 0];
        }
        if (seg.enter) {
          const hit = find(vault, s.query).hits[s.selected];
          if (hit !== undefined) return onOpen(hit.collection, hit.id);
        }
      }
    }
    rerender();
  });

  const selected = Math.min(state.current.selected, Math.max(0, found.hits.length - 1));
  const first = Math.max(0, Math.min(selected - rows + 1, found.hits.length - rows));
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text>
        <Text bold>Search: </Text>
        {query}
        <Text inverse> </Text>
      </Text>
      {found.error === undefined ? null : <Text color="red">{`error: ${found.error}`}</Text>}
      <Text dimColor>{query.trim() === "" ? "type to search every collection you read" : `${found.hits.length} result(s)`}</Text>
      {found.hits.slice(first, first + rows).map((h, i) => (
        <Text key={`${h.collection} ${h.id}`} wrap="truncate-end" {...(first + i === selected ? { inverse: true } : {})}>
          {first + i === selected ? "› " : "  "}
          {h.summary === "" ? "(untitled)" : h.summary}
          <Text dimColor>{`  ${h.collection} · ${h.type}`}</Text>
        </Text>
      ))}
      <Text dimColor>↑/↓ choose · enter opens · esc back</Text>
    </Box>
  );
}

/**
 * A window of fixed height onto content of any length: only `height` lines reach the terminal,
 * however long a note is, and the keys of SCROLL_KEYS move the window while `active`. The
 * content is laid out once at its full height and clipped (ink's overflow), so any screen's
 * detail can be put in one without being rewritten as lines.
 */
import { Box, measureElement, useInput, type DOMElement } from "ink";
import { useEffect, useRef, useState, type ReactElement, type ReactNode } from "react";
import { actionOf, SCROLL_KEYS } from "../keys.js";
import { Text } from "./Text.js";

export interface ScrollViewProps {
  /** Lines on screen, the position line included when the content is longer. */
  readonly height: number;
  /** Reads the scroll keys (only one scrollable thing at a time should). */
  readonly active: boolean;
  /** Back to the top when this changes (another record selected). */
  readonly resetKey?: string | undefined;
  /** What the position line says how to scroll with, when the keys are not read here. */
  readonly hint?: string | undefined;
  readonly children: ReactNode;
}

export function ScrollView({ height, active, resetKey, hint, children }: ScrollViewProps): ReactElement {
  const [offset, setOffset] = useState(0);
  const [total, setTotal] = useState(0);
  const inner = useRef<DOMElement>(null);
  // Measured after each layout: the content's full height decides how far it scrolls.
  useEffect(() => {
    if (inner.current === null) return;
    const h = measureElement(inner.current).height;
    if (h !== total) setTotal(h);
  });
  useEffect(() => setOffset(0), [resetKey]);

  const overflows = total > height;
  // One line goes to the position line when the content does not fit.
  const visible = overflows ? Math.max(1, height - 1) : height;
  const max = Math.max(0, total - visible);
  const at = Math.min(offset, max);

  useInput(
    (input, key) => {
      // Moves are kept within the content when drawn: a key that arrives before the content was
      // measured (End right after opening) still lands where it meant to.
      const page = Math.max(1, visible - 1);
      const by = (n: number): void => setOffset((o) => Math.max(0, Math.min(o, max) + n));
      switch (actionOf(SCROLL_KEYS, input, key)) {
        case "up":
          return by(-1);
        case "down":
          return by(1);
        case "pageup":
          return by(-page);
        case "pagedown":
          return by(page);
        case "top":
          return setOffset(0);
        case "bottom":
          return setOffset(Number.MAX_SAFE_INTEGER);
        case undefined:
          return;
      }
    },
    { isActive: active },
  );

  return (
    <Box flexDirection="column" height={height} flexShrink={0}>
      <Box flexDirection="column" height={visible} overflow="hidden" flexShrink={0}>
        <Box ref={inner} flexDirection="column" flexShrink={0} marginTop={-at}>
          {children}
        </Box>
      </Box>
      {overflows ? (
        <Text dimColor wrap="truncate-end">
          {`lines ${at + 1}–${Math.min(total, at + visible)} of ${total}${at < max ? " ↓" : ""}${at > 0 ? " ↑" : ""}${hint === undefined ? "" : ` · ${hint}`}`}
        </Text>
      ) : null}
    </Box>
  );
}

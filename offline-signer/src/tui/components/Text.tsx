/**
 * The only Text the TUI uses (a test keeps ink's own out of the screens): every string child is
 * escaped before ink sees it, so a title, name, reason or progress line that holds ESC, a C1
 * control or a bidi override shows as `\x1b`, `\x9b`, `\u202e` instead of acting on the
 * terminal (docs/threat-model.md, "Terminal output"). One line unless `block`: a note's body
 * keeps its newlines and tabs. It is also where NO_COLOR takes the colours away.
 */
import { Text as InkText, type TextProps } from "ink";
import { Children, type ReactElement, type ReactNode } from "react";
import { escapeBlock, escapeLine } from "@airlock/shared";

export interface SafeTextProps extends TextProps {
  /** Keep newlines and tabs (text shown as a block); everything else is still escaped. */
  readonly block?: boolean;
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colours off; bold, dim and inverse stay. */
export const noColor = (): boolean => (process.env["NO_COLOR"] ?? "") !== "";

export function Text({ block = false, children, ...props }: SafeTextProps): ReactElement {
  const escape = block ? escapeBlock : escapeLine;
  const safeChildren: ReactNode = Children.map(children, (child) => (typeof child === "string" ? escape(child) : child));
  if (noColor()) {
    const { color: _color, backgroundColor: _background, ...plain } = props;
    return <InkText {...plain}>{safeChildren}</InkText>;
  }
  return <InkText {...props}>{safeChildren}</InkText>;
}

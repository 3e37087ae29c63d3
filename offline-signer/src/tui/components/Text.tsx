/**
 * The only Text the TUI uses (a test keeps ink's own out of the screens): every string child is
 * escaped before ink sees it, so a title, name, reason or progress line that holds ESC, a C1
 * control or a bidi override shows as `\x1b`, `\x9b`, `\u202e` instead of acting on the
 * terminal (docs/threat-model.md, "Terminal output"). One line unless `block`: a note's body
 * keeps its newlines and tabs.
 */
import { Text as InkText, type TextProps } from "ink";
import { Children, type ReactElement, type ReactNode } from "react";
import { escapeBlock, escapeLine } from "@airlock/shared";

export interface SafeTextProps extends TextProps {
  /** Keep newlines and tabs (text shown as a block); everything else is still escaped. */
  readonly block?: boolean;
}

export function Text({ block = false, children, ...props }: SafeTextProps): ReactElement {
  const escape = block ? escapeBlock : escapeLine;
  const safeChildren: ReactNode = Children.map(children, (child) => (typeof child === "string" ? escape(child) : child));
  return <InkText {...props}>{safeChildren}</InkText>;
}

// Code blocks arrive already split into `hl-*` spans by the Rust side, which also owns the
// colours for them: the UI fetches that stylesheet once and puts it in the page head.

import { syntaxCss } from "../api";

const STYLE_ID = "dojo-syntax";

export async function installSyntaxStyle(): Promise<void> {
  if (document.getElementById(STYLE_ID)) return;
  const css = await syntaxCss();
  if (document.getElementById(STYLE_ID)) return; // another call got there first

  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = css;
  document.head.append(style);

  // A content security policy without 'unsafe-inline' for styles leaves that element
  // inert. Rules added through the CSSOM are not subject to it, so adopt them instead.
  if (css.trim() !== "" && !hasRules(style)) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }
}

function hasRules(style: HTMLStyleElement): boolean {
  try {
    return (style.sheet?.cssRules.length ?? 0) > 0;
  } catch {
    return false;
  }
}

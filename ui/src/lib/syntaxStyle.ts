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
}

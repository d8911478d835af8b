// The font code is set in, chosen in Settings and kept in the learner's profile. The last
// choice is also kept in localStorage so it applies before the profile has loaded.
// `styles/preferences.css` uses `--code-font` wherever code is shown.

import type { CodeFont } from "../bindings/CodeFont";

const STORAGE_KEY = "backend-dojo.code-font";

/** Each font's CSS stack; a font that is not installed falls back to the next. */
const STACKS: Record<CodeFont, string | null> = {
  system: null,
  "dejavu-sans-mono": '"DejaVu Sans Mono", monospace',
  "jetbrains-mono": '"JetBrains Mono", ui-monospace, monospace',
  "fira-code": '"Fira Code", "Fira Mono", ui-monospace, monospace',
  "source-code-pro": '"Source Code Pro", ui-monospace, monospace',
  "liberation-mono": '"Liberation Mono", Cousine, monospace',
};

/** The fonts in the order Settings lists them, with their names. */
export const CODE_FONTS: { value: CodeFont; label: string }[] = [
  { value: "system", label: "The app's default" },
  { value: "dejavu-sans-mono", label: "DejaVu Sans Mono" },
  { value: "jetbrains-mono", label: "JetBrains Mono" },
  { value: "fira-code", label: "Fira Code" },
  { value: "source-code-pro", label: "Source Code Pro" },
  { value: "liberation-mono", label: "Liberation Mono" },
];

export function applyCodeFont(font: CodeFont): void {
  const root = document.documentElement;
  const stack = STACKS[font] ?? null;
  if (stack === null) {
    root.removeAttribute("data-code-font");
    root.style.removeProperty("--code-font");
  } else {
    root.dataset.codeFont = font;
    root.style.setProperty("--code-font", stack);
  }
  try {
    localStorage.setItem(STORAGE_KEY, font);
  } catch {
    // The profile still has it; only the first paint may show the default.
  }
}

/** The font applied last time, for the first paint. */
export function storedCodeFont(): CodeFont {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value !== null && value in STACKS ? (value as CodeFont) : "system";
  } catch {
    return "system";
  }
}

// Light and dark themes for Backend Dojo. Until the learner picks one, the UI follows the
// system setting; a pick is remembered in localStorage and wins from then on.

export type Theme = "light" | "dark";

const STORAGE_KEY = "backend-dojo.theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";

/** The theme the learner picked earlier, if any. */
export function storedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null; // storage can be disabled; the system setting still applies
  }
}

export function systemTheme(): Theme {
  return window.matchMedia?.(DARK_QUERY).matches ? "dark" : "light";
}

export function initialTheme(): Theme {
  return storedTheme() ?? systemTheme();
}

/** Every stylesheet, the highlighting one included, keys its colours on this attribute. */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

export function rememberTheme(theme: Theme): void {
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Not fatal: the choice then lasts until the page is reloaded.
  }
}

/** Calls `onChange` when the system setting flips, as long as no choice is stored. */
export function followSystemTheme(onChange: (theme: Theme) => void): () => void {
  const query = window.matchMedia?.(DARK_QUERY);
  if (!query) return () => {};
  const listener = () => {
    if (storedTheme() === null) onChange(systemTheme());
  };
  query.addEventListener("change", listener);
  return () => query.removeEventListener("change", listener);
}

/** Forgets the learner's pick: the UI follows the system setting again. */
export function forgetTheme(): void {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to forget.
  }
}

// The reading size of the whole UI, as a percentage of the browser's default font size.
// Stored like the theme, and applied before the first render.

export type TextSize = "small" | "normal" | "large" | "larger";

const STORAGE_KEY = "backend-dojo.text-size";
const SCALE: Record<TextSize, string> = {
  small: "93.75%",
  normal: "100%",
  large: "112.5%",
  larger: "125%",
};

export const TEXT_SIZES: TextSize[] = ["small", "normal", "large", "larger"];

export function storedTextSize(): TextSize {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value && value in SCALE ? (value as TextSize) : "normal";
  } catch {
    return "normal";
  }
}

export function applyTextSize(size: TextSize): void {
  document.documentElement.style.fontSize = SCALE[size];
}

export function rememberTextSize(size: TextSize): void {
  try {
    localStorage.setItem(STORAGE_KEY, size);
  } catch {
    // The choice then lasts until the page is reloaded.
  }
}

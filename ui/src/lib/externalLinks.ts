// Links in topic text that leave Backend Dojo open in a new browser tab, so following one
// never replaces the app (in the desktop window there is no address bar to come back).

/** Svelte action for the element that holds a topic's rendered sections. */
export function externalLinks(root: HTMLElement): void {
  for (const link of root.querySelectorAll<HTMLAnchorElement>("a[href]")) {
    let url: URL;
    try {
      url = new URL(link.href, location.href);
    } catch {
      continue;
    }
    const web = url.protocol === "http:" || url.protocol === "https:";
    if (!web || url.origin === location.origin) continue;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.classList.add("external");
  }
}

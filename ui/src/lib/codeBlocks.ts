// Gives each highlighted code block of a topic a small bar with its language and a copy
// button. The blocks themselves come from the Rust renderer as
// `<pre class="code" data-lang="js"><code>…</code></pre>`; only the bar is added here.

const LANGUAGE_NAMES: Record<string, string> = {
  js: "JavaScript",
  javascript: "JavaScript",
  ts: "TypeScript",
  typescript: "TypeScript",
  rust: "Rust",
  http: "HTTP",
  hurl: "Hurl",
  json: "JSON",
  toml: "TOML",
  yaml: "YAML",
  sql: "SQL",
  sh: "Shell",
  bash: "Shell",
  shell: "Shell",
  dockerfile: "Dockerfile",
  text: "Text",
};

export function languageName(lang: string | undefined): string {
  if (!lang) return "Code";
  return LANGUAGE_NAMES[lang.toLowerCase()] ?? lang.toUpperCase();
}

/** Svelte action for the element that holds a topic's rendered sections. */
export function codeBlocks(root: HTMLElement): { destroy(): void } {
  const timers = new Set<ReturnType<typeof setTimeout>>();

  for (const pre of root.querySelectorAll<HTMLPreElement>("pre.code")) {
    const code = pre.querySelector("code");
    if (!code || pre.querySelector(":scope > .code-bar")) continue;

    const name = languageName(pre.dataset.lang);
    // Long lines scroll sideways: keyboard users reach the block with Tab and scroll it
    // with the arrow keys.
    code.tabIndex = 0;
    code.setAttribute("role", "region");
    code.setAttribute("aria-label", `${name} code`);
    const bar = document.createElement("div");
    bar.className = "code-bar";

    const label = document.createElement("span");
    label.className = "code-lang";
    label.textContent = name;

    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-button";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", `Copy ${name} code`);
    copy.addEventListener("click", async () => {
      let done: string;
      try {
        await navigator.clipboard.writeText(code.textContent ?? "");
        done = "Copied";
      } catch {
        done = "Copy failed";
      }
      copy.textContent = done;
      const timer = setTimeout(() => {
        copy.textContent = "Copy";
        timers.delete(timer);
      }, 1600);
      timers.add(timer);
    });

    bar.append(label, copy);
    pre.prepend(bar);
    pre.classList.add("has-bar");
  }

  return {
    destroy() {
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

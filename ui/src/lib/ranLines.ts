// Shows, in a topic's Rust code, the lines the sandbox reported running for the request
// the learner just sent. Each trace step carries the file and line of the event that
// recorded it; a code block drawn from a sandbox region knows its file and first line
// (`data-file`, `data-first-line`), so a step that falls inside it lights that line up.

import type { TraceView } from "../bindings/TraceView";

const RAN_EVENT = "dojo:ran-lines";

/** One line that ran, with what happened there. */
interface RanLine {
  file: string;
  line: number;
  what: string;
}

/** Tells every open topic which lines the request behind `trace` ran. */
export function announceRanLines(trace: TraceView): void {
  const lines: RanLine[] = trace.steps.map((step) => ({
    file: step.file,
    line: step.line,
    what: [step.layer, step.step, step.decision?.replace("_", " "), step.reason]
      .filter(Boolean)
      .join(": "),
  }));
  window.dispatchEvent(new CustomEvent<RanLine[]>(RAN_EVENT, { detail: lines }));
}

/** Svelte action for the element holding a topic's rendered sections. */
export function ranLines(root: HTMLElement): { destroy(): void } {
  const onRan = (event: Event) => mark(root, (event as CustomEvent<RanLine[]>).detail);
  window.addEventListener(RAN_EVENT, onRan);
  return {
    destroy() {
      window.removeEventListener(RAN_EVENT, onRan);
    },
  };
}

function mark(root: HTMLElement, ran: RanLine[]): void {
  for (const pre of root.querySelectorAll<HTMLPreElement>("pre.code[data-file]")) {
    pre.querySelectorAll(":scope > .ran-line").forEach((old) => old.remove());
    pre.querySelector(":scope > .ran-caption")?.remove();
    delete pre.dataset.ranLines;

    const code = pre.querySelector("code");
    const first = Number(pre.dataset.firstLine);
    if (!code || !Number.isFinite(first)) continue;
    const count = (code.textContent ?? "").replace(/\n$/, "").split("\n").length;
    const hits = new Map<number, string[]>();
    for (const step of ran) {
      if (step.file !== pre.dataset.file || step.line < first || step.line >= first + count) continue;
      hits.set(step.line, [...(hits.get(step.line) ?? []), step.what]);
    }
    if (hits.size === 0) continue;

    const style = getComputedStyle(code);
    const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6;
    const top = code.offsetTop + parseFloat(style.paddingTop);
    const lines = [...hits.keys()].sort((a, b) => a - b);
    for (const line of lines) {
      const bar = document.createElement("div");
      bar.className = "ran-line";
      bar.dataset.line = String(line);
      bar.style.top = `${top + (line - first) * lineHeight}px`;
      bar.style.height = `${lineHeight}px`;
      bar.title = `Line ${line} ran: ${hits.get(line)!.join("; ")}`;
      bar.setAttribute("aria-hidden", "true");
      pre.append(bar);
    }
    // The same fact in words, for screen readers and for anyone who missed the colour.
    const caption = document.createElement("p");
    caption.className = "ran-caption";
    caption.setAttribute("role", "status");
    caption.textContent = `Your last request ran line${lines.length > 1 ? "s" : ""} ${lines.join(", ")} of ${pre.dataset.file}: ${[
      ...new Set([...hits.values()].flat()),
    ].join("; ")}`;
    pre.append(caption);
    pre.dataset.ranLines = lines.join(",");
  }
}

// Durations the way a study tool says them: "now", "10 min", "3 d", "2 mo".

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A short, rounded length of time, e.g. for a flashcard's next interval. */
export function shortDuration(seconds: number): string {
  if (seconds < MINUTE) return "now";
  if (seconds < HOUR) return `${Math.round(seconds / MINUTE)} min`;
  if (seconds < DAY) return `${Math.round(seconds / HOUR)} h`;
  if (seconds < 30 * DAY) return `${Math.round(seconds / DAY)} d`;
  if (seconds < 365 * DAY) return `${Math.round(seconds / (30 * DAY))} mo`;
  return `${(seconds / (365 * DAY)).toFixed(1)} y`;
}

/** "3 days ago"-style text for a past Unix time, or "never". */
export function ago(unixSeconds: number | null, nowMs = Date.now()): string {
  if (unixSeconds === null) return "never";
  const seconds = Math.max(0, Math.round(nowMs / 1000 - unixSeconds));
  if (seconds < MINUTE) return "just now";
  return `${shortDuration(seconds)} ago`;
}

/** mm:ss for a running timer. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, "0")}`;
}

// The learner's profile (the first run's answers and the Settings that go with them) and
// the daily plan sized to it. Each function is one app call (see `callApp` in api.ts).

import { callApp } from "./api";
import type { DailyPlan } from "./bindings/DailyPlan";
import type { Profile } from "./bindings/Profile";
import type { ProfileChoices } from "./bindings/ProfileChoices";

/** The profile; `first_run` is "pending" until the guided start is answered or skipped. */
export function profile(): Promise<Profile> {
  return callApp("profile", {}, { method: "GET", path: "/api/profile" });
}

/** Saves the first run's or Settings' choices; answers with the profile as stored. */
export function saveProfile(choices: ProfileChoices): Promise<Profile> {
  return callApp(
    "save_profile",
    { choices },
    { method: "PUT", path: "/api/profile", body: choices },
  );
}

/** Skips the guided start; the defaults stay until Settings changes them. */
export function skipFirstRun(): Promise<Profile> {
  return callApp("skip_first_run", {}, { method: "POST", path: "/api/profile/skip" });
}

/** Offers the guided start again on the dashboard. */
export function restartFirstRun(): Promise<Profile> {
  return callApp("restart_first_run", {}, { method: "POST", path: "/api/profile/restart" });
}

/** Today's plan; `today` is the local date as YYYY-MM-DD. */
export function dailyPlan(today: string): Promise<DailyPlan> {
  return callApp(
    "daily_plan",
    { today },
    { method: "GET", path: `/api/profile/plan?today=${encodeURIComponent(today)}` },
  );
}

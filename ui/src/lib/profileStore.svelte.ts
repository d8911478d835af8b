// The learner's profile, shared by the screens that read it (topic order, code font) and
// the ones that change it (the first run, Settings). Loaded once by the app shell.

import { describeError } from "../api";
import type { Profile } from "../bindings/Profile";
import { profile as fetchProfile } from "../profileApi";
import { applyCodeFont } from "./codeFont";

export const learner = $state<{ profile: Profile | null; error: string | null }>({
  profile: null,
  error: null,
});

/** Reads the profile from the app; on failure the defaults stay and the error is kept. */
export async function loadProfile(): Promise<void> {
  try {
    setProfile(await fetchProfile());
  } catch (err) {
    learner.error = describeError(err);
  }
}

/** Takes a profile the app answered with, and applies its code font. */
export function setProfile(next: Profile): void {
  learner.profile = next;
  learner.error = null;
  applyCodeFont(next.code_font);
}

//! The learner's profile for the first run and Settings (which implementation to read
//! first, the interview date, the daily time budget, the code font) and the daily plan
//! the dashboard proposes from it. The `study` crate stores and checks everything; this
//! module reads the learner's "today" from the UI, which knows the local calendar.

use dojo_study::{CivilDate, DailyPlan, Profile, ProfileChoices};

use crate::{Dojo, Result};

impl Dojo {
    /// The learner's profile; before the first run, the defaults with the first run pending.
    pub fn profile(&self) -> Result<Profile> {
        Ok(self.study()?.profile()?)
    }

    /// Saves the choices of the first run or of Settings.
    pub fn save_profile(&self, choices: &ProfileChoices) -> Result<Profile> {
        Ok(self.study()?.save_profile(choices)?)
    }

    /// Skips the guided start; the defaults stay until Settings changes them.
    pub fn skip_first_run(&self) -> Result<Profile> {
        Ok(self.study()?.skip_first_run()?)
    }

    /// Offers the guided start again on the dashboard.
    pub fn restart_first_run(&self) -> Result<Profile> {
        Ok(self.study()?.restart_first_run()?)
    }

    /// Today's plan. `today` is the learner's local date (`YYYY-MM-DD`); without it the
    /// date in UTC is used.
    pub fn daily_plan(&self, today: Option<&str>) -> Result<DailyPlan> {
        let study = self.study()?;
        let now = study.now();
        let today = match today.map(str::trim).filter(|text| !text.is_empty()) {
            Some(text) => CivilDate::parse(text)?,
            None => CivilDate::from_unix_seconds(now),
        };
        Ok(study.daily_plan(today, now)?)
    }
}

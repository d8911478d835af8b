//! The learner's profile: what the first run asks (which implementation to read first,
//! the interview date, a daily time budget) plus the code font Settings offers, in one row.
//! Before the first run is finished or skipped there is no row, and [`Study::profile`]
//! answers the defaults with [`FirstRun::Pending`].

use std::fmt;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};

/// The shortest daily time budget accepted, in minutes.
pub const MIN_DAILY_MINUTES: u32 = 10;
/// The longest daily time budget accepted, in minutes.
pub const MAX_DAILY_MINUTES: u32 = 480;
/// The budget a learner has before choosing one.
pub const DEFAULT_DAILY_MINUTES: u32 = 30;

/// Where the learner is with the guided start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum FirstRun {
    /// Not answered yet: the dashboard offers the guided start.
    Pending,
    /// Answered.
    Done,
    /// Skipped; the defaults apply until Settings changes them.
    Skipped,
}

/// Which implementation a topic shows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum StackFocus {
    /// The Express template, then the Rust implementation.
    Express,
    /// The Rust implementation, then the Express template.
    Rust,
}

/// The monospace font code is set in. Fonts that are not installed fall back to the
/// system's monospace font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum CodeFont {
    /// The app's own choice: the first of the common coding fonts that is installed.
    System,
    #[serde(rename = "dejavu-sans-mono")]
    DejaVuSansMono,
    #[serde(rename = "jetbrains-mono")]
    JetBrainsMono,
    FiraCode,
    SourceCodePro,
    LiberationMono,
}

impl FirstRun {
    fn key(self) -> &'static str {
        match self {
            FirstRun::Pending => "pending",
            FirstRun::Done => "done",
            FirstRun::Skipped => "skipped",
        }
    }

    fn from_key(key: &str) -> Option<FirstRun> {
        [FirstRun::Pending, FirstRun::Done, FirstRun::Skipped]
            .into_iter()
            .find(|value| value.key() == key)
    }
}

impl StackFocus {
    /// The stored and serialized name: `express` or `rust`.
    pub fn key(self) -> &'static str {
        match self {
            StackFocus::Express => "express",
            StackFocus::Rust => "rust",
        }
    }

    fn from_key(key: &str) -> Option<StackFocus> {
        [StackFocus::Express, StackFocus::Rust]
            .into_iter()
            .find(|value| value.key() == key)
    }

    /// The implementation's name as the topic page titles it.
    pub fn implementation(self) -> &'static str {
        match self {
            StackFocus::Express => "Express template",
            StackFocus::Rust => "Rust implementation",
        }
    }
}

impl CodeFont {
    /// Every font offered, in the order Settings lists them.
    pub const ALL: [CodeFont; 6] = [
        CodeFont::System,
        CodeFont::DejaVuSansMono,
        CodeFont::JetBrainsMono,
        CodeFont::FiraCode,
        CodeFont::SourceCodePro,
        CodeFont::LiberationMono,
    ];

    /// The stored and serialized name, e.g. `jetbrains-mono`.
    pub fn key(self) -> &'static str {
        match self {
            CodeFont::System => "system",
            CodeFont::DejaVuSansMono => "dejavu-sans-mono",
            CodeFont::JetBrainsMono => "jetbrains-mono",
            CodeFont::FiraCode => "fira-code",
            CodeFont::SourceCodePro => "source-code-pro",
            CodeFont::LiberationMono => "liberation-mono",
        }
    }

    fn from_key(key: &str) -> Option<CodeFont> {
        CodeFont::ALL.into_iter().find(|font| font.key() == key)
    }
}

/// The learner's choices as the app shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Profile {
    pub first_run: FirstRun,
    pub stack_first: StackFocus,
    /// `YYYY-MM-DD`; `None` when the learner has no date yet.
    pub interview_date: Option<String>,
    pub daily_minutes: u32,
    pub code_font: CodeFont,
    /// When the choices were last saved; `None` before the first run.
    #[ts(type = "number | null")]
    pub updated_at: Option<UnixSeconds>,
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            first_run: FirstRun::Pending,
            stack_first: StackFocus::Express,
            interview_date: None,
            daily_minutes: DEFAULT_DAILY_MINUTES,
            code_font: CodeFont::System,
            updated_at: None,
        }
    }
}

/// The profile as a study export carries it: the stored row, exactly. An export without
/// one comes from a learner who had not finished or skipped the guided start yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProfileRecord {
    pub first_run: FirstRun,
    pub stack_first: StackFocus,
    /// `YYYY-MM-DD`, or `null`.
    pub interview_date: Option<String>,
    pub daily_minutes: u32,
    pub code_font: CodeFont,
    #[ts(type = "number")]
    pub updated_at: UnixSeconds,
}

/// What the first run and Settings save. The whole profile is sent each time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProfileChoices {
    pub stack_first: StackFocus,
    /// `YYYY-MM-DD`, or `null` (or absent) for no date.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub interview_date: Option<String>,
    pub daily_minutes: u32,
    /// Absent keeps the font already chosen.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub code_font: Option<CodeFont>,
}

/// A day on the calendar, without a time zone: the learner's "today" or interview date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CivilDate {
    year: i32,
    month: u32,
    day: u32,
}

impl CivilDate {
    /// Reads `YYYY-MM-DD` (years 2000 to 2100); the error says what is wrong.
    pub fn parse(text: &str) -> Result<CivilDate> {
        let bad = || {
            Error::Invalid(format!(
                "{text:?} is not a date; write it as YYYY-MM-DD, e.g. 2025-06-30"
            ))
        };
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(at, b)| at == 4 || at == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(bad());
        }
        let year: i32 = text[0..4].parse().map_err(|_| bad())?;
        let month: u32 = text[5..7].parse().map_err(|_| bad())?;
        let day: u32 = text[8..10].parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(Error::Invalid(format!(
                "{text} is out of range; dates run from 2000 to 2100"
            )));
        }
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(Error::Invalid(format!(
                "{text} is not a day on the calendar"
            )));
        }
        Ok(CivilDate { year, month, day })
    }

    /// The UTC calendar day of a moment.
    pub fn from_unix_seconds(seconds: UnixSeconds) -> CivilDate {
        civil_from_days(seconds.div_euclid(86_400))
    }

    /// Days from `self` to `later`; negative when `later` is earlier.
    pub fn days_until(self, later: CivilDate) -> i64 {
        days_from_civil(later) - days_from_civil(self)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a calendar date (proleptic Gregorian), by counting in
/// 400-year eras that start on March 1st so the leap day comes last.
fn days_from_civil(date: CivilDate) -> i64 {
    let month = i64::from(date.month);
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year =
        (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> CivilDate {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    CivilDate {
        year: i32::try_from(year).unwrap_or(i32::MAX),
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
    }
}

impl Study {
    /// The learner's profile; the defaults, with the first run pending, before it is saved.
    pub fn profile(&self) -> Result<Profile> {
        self.read(load)
    }

    /// Saves the learner's choices after checking them. A pending first run counts as done;
    /// a skipped one stays skipped (the choices came from Settings).
    pub fn save_profile(&self, choices: &ProfileChoices) -> Result<Profile> {
        let interview_date = choices
            .interview_date
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| CivilDate::parse(text).map(|date| date.to_string()))
            .transpose()?;
        check_daily_minutes(choices.daily_minutes)?;
        let now = self.now();
        self.write(|tx| {
            let current = load(tx)?;
            let first_run = match current.first_run {
                FirstRun::Pending => FirstRun::Done,
                kept => kept,
            };
            let saved = Profile {
                first_run,
                stack_first: choices.stack_first,
                interview_date,
                daily_minutes: choices.daily_minutes,
                code_font: choices.code_font.unwrap_or(current.code_font),
                updated_at: Some(now),
            };
            store(tx, &saved, now)?;
            Ok(saved)
        })
    }

    /// Skips the guided start: the current choices (the defaults at first) stay, and the
    /// dashboard stops offering it. Skipping again changes nothing.
    pub fn skip_first_run(&self) -> Result<Profile> {
        self.set_first_run(FirstRun::Skipped, FirstRun::Pending)
    }

    /// Offers the guided start again on the dashboard, keeping the current choices.
    pub fn restart_first_run(&self) -> Result<Profile> {
        let now = self.now();
        self.write(|tx| {
            let mut profile = load(tx)?;
            profile.first_run = FirstRun::Pending;
            profile.updated_at = Some(now);
            store(tx, &profile, now)?;
            Ok(profile)
        })
    }

    /// Moves the first run from `from` to `to`; any other state is left alone.
    fn set_first_run(&self, to: FirstRun, from: FirstRun) -> Result<Profile> {
        let now = self.now();
        self.write(|tx| {
            let mut profile = load(tx)?;
            if profile.first_run != from {
                return Ok(profile);
            }
            profile.first_run = to;
            profile.updated_at = Some(now);
            store(tx, &profile, now)?;
            Ok(profile)
        })
    }
}

/// Checks a daily budget against the accepted range.
fn check_daily_minutes(minutes: u32) -> Result<()> {
    if (MIN_DAILY_MINUTES..=MAX_DAILY_MINUTES).contains(&minutes) {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "a daily budget of {minutes} minutes is out of range; choose {MIN_DAILY_MINUTES} to \
         {MAX_DAILY_MINUTES} minutes"
    )))
}

/// Checks a profile an import brings, with the same rules Settings applies.
pub(crate) fn check_record(record: &ProfileRecord) -> Result<()> {
    if let Some(date) = &record.interview_date {
        CivilDate::parse(date)?;
    }
    check_daily_minutes(record.daily_minutes)
}

/// The stored profile row, if the learner has one.
pub(crate) fn read_record(conn: &Connection) -> Result<Option<ProfileRecord>> {
    Ok(read_row(conn)?.map(|profile| ProfileRecord {
        first_run: profile.first_run,
        stack_first: profile.stack_first,
        interview_date: profile.interview_date,
        daily_minutes: profile.daily_minutes,
        code_font: profile.code_font,
        updated_at: profile.updated_at.unwrap_or_default(),
    }))
}

/// Replaces the profile row with `record`; `None` leaves no row, so the guided start is
/// offered again.
pub(crate) fn replace_record(conn: &Connection, record: Option<&ProfileRecord>) -> Result<()> {
    conn.execute("DELETE FROM profile", [])?;
    if let Some(record) = record {
        let profile = Profile {
            first_run: record.first_run,
            stack_first: record.stack_first,
            interview_date: record.interview_date.clone(),
            daily_minutes: record.daily_minutes,
            code_font: record.code_font,
            updated_at: Some(record.updated_at),
        };
        store(conn, &profile, record.updated_at)?;
    }
    Ok(())
}

fn load(conn: &Connection) -> Result<Profile> {
    Ok(read_row(conn)?.unwrap_or_default())
}

fn read_row(conn: &Connection) -> Result<Option<Profile>> {
    Ok(conn
        .query_row(
            "SELECT first_run, stack_first, interview_date, daily_minutes, code_font, updated_at
             FROM profile WHERE id = 1",
            [],
            from_row,
        )
        .optional()?)
}

fn store(conn: &Connection, profile: &Profile, now: UnixSeconds) -> Result<()> {
    conn.execute(
        "INSERT INTO profile (id, first_run, stack_first, interview_date, daily_minutes,
             code_font, updated_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET first_run = excluded.first_run,
             stack_first = excluded.stack_first, interview_date = excluded.interview_date,
             daily_minutes = excluded.daily_minutes, code_font = excluded.code_font,
             updated_at = excluded.updated_at",
        params![
            profile.first_run.key(),
            profile.stack_first.key(),
            profile.interview_date,
            profile.daily_minutes,
            profile.code_font.key(),
            now
        ],
    )?;
    Ok(())
}

/// A stored value this build does not know (a newer app's font, say) reads as the default.
fn from_row(row: &Row<'_>) -> rusqlite::Result<Profile> {
    let defaults = Profile::default();
    let first_run: String = row.get(0)?;
    let stack_first: String = row.get(1)?;
    let code_font: String = row.get(4)?;
    Ok(Profile {
        first_run: FirstRun::from_key(&first_run).unwrap_or(FirstRun::Done),
        stack_first: StackFocus::from_key(&stack_first).unwrap_or(defaults.stack_first),
        interview_date: row.get(2)?,
        daily_minutes: row.get(3)?,
        code_font: CodeFont::from_key(&code_font).unwrap_or(defaults.code_font),
        updated_at: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> CivilDate {
        CivilDate::parse(text).expect("a valid date")
    }

    #[test]
    fn day_counts_cross_months_leap_days_and_years() {
        assert_eq!(date("2024-02-28").days_until(date("2024-03-01")), 2);
        assert_eq!(date("2023-02-28").days_until(date("2023-03-01")), 1);
        assert_eq!(date("2024-12-31").days_until(date("2025-01-01")), 1);
        assert_eq!(date("2025-01-10").days_until(date("2025-01-03")), -7);
        assert_eq!(date("2000-01-01").days_until(date("2100-01-01")), 36_525);
    }

    #[test]
    fn unix_seconds_map_to_the_utc_day() {
        assert_eq!(CivilDate::from_unix_seconds(0).to_string(), "1970-01-01");
        // 2024-03-01 09:00:00 UTC and the last second of that day.
        assert_eq!(
            CivilDate::from_unix_seconds(1_709_283_600).to_string(),
            "2024-03-01"
        );
        assert_eq!(
            CivilDate::from_unix_seconds(1_709_337_599).to_string(),
            "2024-03-01"
        );
        assert_eq!(
            CivilDate::from_unix_seconds(1_709_337_600).to_string(),
            "2024-03-02"
        );
        for text in ["2000-02-29", "2024-12-31", "2099-07-04"] {
            let days = days_from_civil(date(text));
            assert_eq!(civil_from_days(days).to_string(), text);
        }
    }

    #[test]
    fn every_font_is_serialized_by_its_stored_key() {
        for font in CodeFont::ALL {
            let json = serde_json::to_string(&font).expect("serializes");
            assert_eq!(json, format!("\"{}\"", font.key()));
            assert_eq!(CodeFont::from_key(font.key()), Some(font));
        }
    }

    #[test]
    fn malformed_and_impossible_dates_are_refused_by_name() {
        for text in [
            "",
            "2025-6-30",
            "30/06/2025",
            "2025-06-3x",
            "２０２５-06-30",
        ] {
            let error = CivilDate::parse(text).expect_err(text).to_string();
            assert!(error.contains("YYYY-MM-DD"), "{text}: {error}");
        }
        for text in ["2025-02-29", "2025-13-01", "2025-04-31", "2025-00-10"] {
            let error = CivilDate::parse(text).expect_err(text).to_string();
            assert!(
                error.contains("not a day on the calendar"),
                "{text}: {error}"
            );
        }
        let error = CivilDate::parse("1999-12-31")
            .expect_err("too early")
            .to_string();
        assert!(error.contains("2000 to 2100"), "{error}");
        assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
    }
}

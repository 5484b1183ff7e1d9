//! Business hours: named schedules in an IANA time zone with weekly intervals (several a day,
//! crossing midnight allowed), holidays (a date, a yearly date, a date range), and one-off
//! closures and openings. Answers `is_open` and `next_open_at` for an instant; correct across
//! daylight-saving changes because intervals are compared in wall-clock time of the schedule's
//! zone. Pure: the caller passes `now`.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;

use crate::locale::{self, Language};

/// How far ahead `next_open_at` looks before saying "not within a year".
const LOOKAHEAD_DAYS: i32 = 400;

/// A schedule as written in `firstline.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    pub timezone: String,
    #[serde(default)]
    pub weekly: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub holidays: Vec<HolidaySpec>,
    #[serde(default)]
    pub closures: Vec<PeriodSpec>,
    #[serde(default)]
    pub openings: Vec<PeriodSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySpec {
    pub date: Option<String>,
    pub yearly: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub name: Option<String>,
}

/// A one-off period in the schedule's local time: `from: "2026-12-31T16:00"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodSpec {
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
}

/// A problem in a schedule: the dotted sub-path it concerns (`weekly.fri.1`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    pub path: String,
    pub message: String,
}

/// A checked schedule, ready to answer questions about instants.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    timezone: TimeZone,
    timezone_name: String,
    /// Indexed by Monday-zero weekday; intervals sorted by start.
    weekly: [Vec<Interval>; 7],
    holidays: Vec<Holiday>,
    closures: Vec<(Timestamp, Timestamp)>,
    openings: Vec<(Timestamp, Timestamp)>,
}

/// Minutes after local midnight; `end <= start` means the interval ends the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    start: u16,
    end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Holiday {
    Date(Date),
    Yearly { month: i8, day: i8 },
    Range(Date, Date),
}

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Schedule {
    /// Checks a spec and builds the schedule, or returns every problem found in it.
    pub fn build(name: &str, spec: &ScheduleSpec) -> Result<Schedule, Vec<ScheduleError>> {
        let mut errors = Vec::new();
        let mut error =
            |path: String, message: String| errors.push(ScheduleError { path, message });

        let timezone = match TimeZone::get(&spec.timezone) {
            Ok(timezone) => Some(timezone),
            Err(_) => {
                error(
                    "timezone".into(),
                    format!(
                        "unknown time zone `{}` (use an IANA name such as Europe/Madrid)",
                        spec.timezone
                    ),
                );
                None
            }
        };

        let mut weekly: [Vec<Interval>; 7] = Default::default();
        for (day_key, intervals) in &spec.weekly {
            let Some(day_index) = DAY_KEYS.iter().position(|d| d == day_key) else {
                error(
                    format!("weekly.{day_key}"),
                    format!("unknown day `{day_key}` (use mon, tue, wed, thu, fri, sat, sun)"),
                );
                continue;
            };
            for (index, text) in intervals.iter().enumerate() {
                match parse_interval(text) {
                    Ok(interval) => weekly[day_index].push(interval),
                    Err(message) => error(format!("weekly.{day_key}.{index}"), message),
                }
            }
            weekly[day_index].sort_by_key(|interval| interval.start);
        }
        for (path, message) in find_overlaps(&spec.weekly, &weekly) {
            error(path, message);
        }

        let mut holidays = Vec::new();
        for (index, holiday) in spec.holidays.iter().enumerate() {
            match parse_holiday(holiday) {
                Ok(parsed) => holidays.push(parsed),
                Err(message) => error(format!("holidays.{index}"), message),
            }
        }

        let mut periods = |list: &[PeriodSpec], key: &str| {
            let mut out = Vec::new();
            for (index, period) in list.iter().enumerate() {
                let Some(timezone) = &timezone else { continue };
                match (
                    local_instant(&period.from, timezone),
                    local_instant(&period.to, timezone),
                ) {
                    (Ok(from), Ok(to)) if from < to => out.push((from, to)),
                    (Ok(_), Ok(_)) => {
                        error(format!("{key}.{index}"), "`to` must be after `from`".into())
                    }
                    (Err(message), _) | (_, Err(message)) => {
                        error(format!("{key}.{index}"), message)
                    }
                }
            }
            out
        };
        let closures = periods(&spec.closures, "closures");
        let openings = periods(&spec.openings, "openings");

        match timezone {
            Some(timezone) if errors.is_empty() => Ok(Schedule {
                name: name.to_string(),
                timezone,
                timezone_name: spec.timezone.clone(),
                weekly,
                holidays,
                closures,
                openings,
            }),
            _ => Err(errors),
        }
    }

    pub fn timezone(&self) -> &TimeZone {
        &self.timezone
    }

    pub fn timezone_name(&self) -> &str {
        &self.timezone_name
    }

    /// Whether a person is working at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        if self
            .closures
            .iter()
            .any(|&(from, to)| from <= now && now < to)
        {
            return false;
        }
        if self
            .openings
            .iter()
            .any(|&(from, to)| from <= now && now < to)
        {
            return true;
        }
        let local = now.to_zoned(self.timezone.clone());
        let date = local.date();
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        if !self.is_holiday(date)
            && self.intervals(date.weekday()).iter().any(|interval| {
                if interval.end > interval.start {
                    interval.start <= minute && minute < interval.end
                } else {
                    minute >= interval.start
                }
            })
        {
            return true;
        }
        // An interval that started yesterday and crosses midnight.
        let Ok(yesterday) = date.yesterday() else {
            return false;
        };
        !self.is_holiday(yesterday)
            && self
                .intervals(yesterday.weekday())
                .iter()
                .any(|interval| interval.end <= interval.start && minute < interval.end)
    }

    /// The first instant at or after `now` when the schedule is open; `now` itself when open.
    /// `None` when nothing opens within about a year.
    pub fn next_open_at(&self, now: Timestamp) -> Option<Timestamp> {
        if self.is_open(now) {
            return Some(now);
        }
        let today = now.to_zoned(self.timezone.clone()).date();
        // One-off boundaries can open the schedule at any time of day.
        let mut extra: Vec<Timestamp> = self
            .closures
            .iter()
            .map(|&(_, to)| to)
            .chain(self.openings.iter().map(|&(from, _)| from))
            .filter(|&instant| instant > now)
            .collect();
        extra.sort();
        for offset in 0..=LOOKAHEAD_DAYS {
            let Ok(date) = today.checked_add(offset.days()) else {
                break;
            };
            let mut candidates: Vec<Timestamp> = self
                .intervals(date.weekday())
                .iter()
                .filter_map(|interval| self.instant_at(date, interval.start))
                .filter(|&instant| instant > now)
                .collect();
            let Ok(next_day) = date.tomorrow() else { break };
            let day_end = self.instant_at(next_day, 0);
            candidates.extend(
                extra
                    .iter()
                    .copied()
                    .filter(|&instant| day_end.is_none_or(|end| instant < end)),
            );
            candidates.sort();
            if let Some(found) = candidates
                .into_iter()
                .find(|&instant| self.is_open(instant))
            {
                return Some(found);
            }
            extra.retain(|&instant| day_end.is_some_and(|end| instant >= end));
        }
        None
    }

    fn intervals(&self, weekday: Weekday) -> &[Interval] {
        &self.weekly[weekday.to_monday_zero_offset() as usize]
    }

    fn is_holiday(&self, date: Date) -> bool {
        self.holidays.iter().any(|holiday| match *holiday {
            Holiday::Date(day) => day == date,
            Holiday::Yearly { month, day } => date.month() == month && date.day() == day,
            Holiday::Range(from, to) => from <= date && date <= to,
        })
    }

    /// The instant of a wall-clock minute on a date. A minute that a daylight-saving gap skips
    /// (02:30 when clocks jump from 02:00 to 03:00) happens at the end of the gap: the moment
    /// the wall clock passes it.
    fn instant_at(&self, date: Date, minute: u16) -> Option<Timestamp> {
        let time = Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?;
        let ambiguous = self
            .timezone
            .to_ambiguous_timestamp(DateTime::from_parts(date, time));
        if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
            let before_gap = ambiguous.earlier().ok()?;
            return self
                .timezone
                .following(before_gap)
                .next()
                .map(|transition| transition.timestamp());
        }
        ambiguous.compatible().ok()
    }
}

/// The time a queue next opens, written for a customer: "tomorrow at 09:00 (your time)".
/// Shown in the customer's zone when known, else in the schedule's zone, named.
pub fn describe_next_open(
    language: Language,
    now: Timestamp,
    next_open_at: Timestamp,
    customer_timezone: Option<&TimeZone>,
    schedule: &Schedule,
) -> String {
    let (timezone, hint) = match customer_timezone {
        Some(timezone) => (timezone.clone(), locale::your_time(language).to_string()),
        None => (schedule.timezone.clone(), schedule.timezone_name.clone()),
    };
    let local = next_open_at.to_zoned(timezone.clone());
    let today = now.to_zoned(timezone).date();
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    format!(
        "{} ({hint})",
        locale::when_phrase(language, today, local.date(), &time)
    )
}

fn parse_interval(text: &str) -> Result<Interval, String> {
    let bad = || format!("interval `{text}` is not `HH:MM-HH:MM`");
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let start = parse_minute(start.trim()).ok_or_else(bad)?;
    let end = parse_minute(end.trim()).ok_or_else(bad)?;
    if start >= 24 * 60 {
        return Err(format!("interval `{text}` starts after 23:59"));
    }
    if start == end || (start == 0 && end == 0) {
        return Err(format!("interval `{text}` is empty"));
    }
    // 24:00 as an end means midnight at the end of the day.
    let end = if end == 24 * 60 && start > 0 {
        24 * 60
    } else {
        end
    };
    Ok(Interval { start, end })
}

fn parse_minute(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
        return None;
    }
    Some(hours * 60 + minutes)
}

/// Overlaps between intervals, counting those that cross midnight into the next day (and
/// Sunday night into Monday).
fn find_overlaps(
    spec: &BTreeMap<String, Vec<String>>,
    weekly: &[Vec<Interval>; 7],
) -> Vec<(String, String)> {
    const WEEK: u32 = 7 * 24 * 60;
    let mut ranges: Vec<(u32, u32, usize)> = Vec::new();
    for (day, intervals) in weekly.iter().enumerate() {
        for interval in intervals {
            let base = day as u32 * 24 * 60;
            let start = base + interval.start as u32;
            let end = if interval.end > interval.start {
                base + interval.end as u32
            } else {
                base + 24 * 60 + interval.end as u32
            };
            ranges.push((start, end, day));
        }
    }
    ranges.sort();
    let mut problems = Vec::new();
    let describe = |day: usize| {
        let key = DAY_KEYS[day];
        if spec.contains_key(key) {
            format!("weekly.{key}")
        } else {
            "weekly".to_string()
        }
    };
    for pair in ranges.windows(2) {
        if pair[1].0 < pair[0].1 {
            problems.push((
                describe(pair[1].2),
                format!(
                    "intervals overlap on {} and {}",
                    DAY_KEYS[pair[0].2], DAY_KEYS[pair[1].2]
                ),
            ));
        }
    }
    if let (Some(first), Some(last)) = (ranges.first(), ranges.last()) {
        if ranges.len() > 1 && last.1 > WEEK && last.1 - WEEK > first.0 {
            problems.push((
                describe(last.2),
                format!(
                    "interval on {} overlaps {} of the next week",
                    DAY_KEYS[last.2], DAY_KEYS[first.2]
                ),
            ));
        }
    }
    problems
}

fn parse_holiday(spec: &HolidaySpec) -> Result<Holiday, String> {
    let date = |text: &str| {
        text.parse::<Date>()
            .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)"))
    };
    match (&spec.date, &spec.yearly, &spec.from, &spec.to) {
        (Some(day), None, None, None) => Ok(Holiday::Date(date(day)?)),
        (None, Some(yearly), None, None) => {
            let bad = || format!("yearly date `{yearly}` is not MM-DD");
            let (month, day) = yearly.split_once('-').ok_or_else(bad)?;
            let month: i8 = month.parse().map_err(|_| bad())?;
            let day: i8 = day.parse().map_err(|_| bad())?;
            // 2024 is a leap year, so 02-29 is accepted.
            Date::new(2024, month, day).map_err(|_| bad())?;
            Ok(Holiday::Yearly { month, day })
        }
        (None, None, Some(from), Some(to)) => {
            let (from, to) = (date(from)?, date(to)?);
            if to < from {
                return Err("holiday range ends before it starts".into());
            }
            Ok(Holiday::Range(from, to))
        }
        _ => Err("a holiday is one of `date`, `yearly`, or `from` with `to`".into()),
    }
}

fn local_instant(text: &str, timezone: &TimeZone) -> Result<Timestamp, String> {
    let datetime: DateTime = text
        .parse()
        .map_err(|_| format!("`{text}` is not a local date-time (YYYY-MM-DDTHH:MM)"))?;
    datetime
        .to_zoned(timezone.clone())
        .map(|zoned| zoned.timestamp())
        .map_err(|error| error.to_string())
}

//! Tests: hours. Schedules built in code: weekly intervals, holidays, closures and openings,
//! `is_open`, `next_open_at` (also across daylight-saving changes), build errors, and the
//! "tomorrow at 09:00" phrase.

use std::collections::BTreeMap;

use firstline::hours::{describe_next_open, HolidaySpec, PeriodSpec, Schedule, ScheduleSpec};
use firstline::locale::Language;
use jiff::tz::TimeZone;

use crate::support::at;

const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];

fn spec(timezone: &str, weekly: &[(&str, &[&str])]) -> ScheduleSpec {
    ScheduleSpec {
        timezone: timezone.to_string(),
        weekly: weekly
            .iter()
            .map(|(day, intervals)| {
                (
                    day.to_string(),
                    intervals.iter().map(|i| i.to_string()).collect(),
                )
            })
            .collect::<BTreeMap<_, _>>(),
        holidays: Vec::new(),
        closures: Vec::new(),
        openings: Vec::new(),
    }
}

/// Monday to Friday with the same intervals.
fn office(timezone: &str, intervals: &[&str]) -> ScheduleSpec {
    let weekly: Vec<(&str, &[&str])> = WEEKDAYS.iter().map(|d| (*d, intervals)).collect();
    spec(timezone, &weekly)
}

fn build(spec: &ScheduleSpec) -> Schedule {
    Schedule::build("test", spec).unwrap_or_else(|errors| panic!("schedule must build: {errors:?}"))
}

fn errors(spec: &ScheduleSpec) -> Vec<(String, String)> {
    match Schedule::build("test", spec) {
        Ok(_) => panic!("schedule must not build: {spec:?}"),
        Err(errors) => errors.into_iter().map(|e| (e.path, e.message)).collect(),
    }
}

fn holiday(date: Option<&str>, yearly: Option<&str>, range: Option<(&str, &str)>) -> HolidaySpec {
    HolidaySpec {
        date: date.map(str::to_string),
        yearly: yearly.map(str::to_string),
        from: range.map(|r| r.0.to_string()),
        to: range.map(|r| r.1.to_string()),
        name: None,
    }
}

fn period(from: &str, to: &str) -> PeriodSpec {
    PeriodSpec {
        from: from.to_string(),
        to: to.to_string(),
        reason: None,
    }
}

fn assert_open(schedule: &Schedule, instant: &str, expected: bool) {
    assert_eq!(
        schedule.is_open(at(instant)),
        expected,
        "is_open({instant}) should be {expected}"
    );
}

// ---- is_open -----------------------------------------------------------------------------

#[test]
fn open_inside_an_interval_and_closed_outside_it() {
    let schedule = build(&office("Europe/Amsterdam", &["09:00-17:00"]));
    // 2026-11-23 is a Monday.
    assert_open(&schedule, "2026-11-23T08:59:00+01:00", false);
    assert_open(&schedule, "2026-11-23T09:00:00+01:00", true);
    assert_open(&schedule, "2026-11-23T12:00:00+01:00", true);
    assert_open(&schedule, "2026-11-23T16:59:00+01:00", true);
    assert_open(&schedule, "2026-11-23T17:00:00+01:00", false);
    assert_open(&schedule, "2026-11-23T23:00:00+01:00", false);
    // Saturday and Sunday have no intervals.
    assert_open(&schedule, "2026-11-28T12:00:00+01:00", false);
    assert_open(&schedule, "2026-11-29T12:00:00+01:00", false);
}

#[test]
fn is_open_compares_wall_clock_time_in_the_schedule_zone_whatever_the_instant_offset() {
    let schedule = build(&office("Europe/Amsterdam", &["09:00-17:00"]));
    // 08:30Z is 09:30 in Amsterdam (winter): open, whichever offset the instant is written in.
    assert_open(&schedule, "2026-11-23T08:30:00Z", true);
    assert_open(&schedule, "2026-11-23T03:30:00-05:00", true);
    // 16:30Z is 17:30 in Amsterdam: closed.
    assert_open(&schedule, "2026-11-23T16:30:00Z", false);
}

#[test]
fn a_lunch_break_between_two_intervals_is_closed() {
    let schedule = build(&office("Europe/Amsterdam", &["09:00-12:30", "13:30-17:00"]));
    assert_open(&schedule, "2026-11-23T12:29:00+01:00", true);
    assert_open(&schedule, "2026-11-23T12:30:00+01:00", false);
    assert_open(&schedule, "2026-11-23T13:00:00+01:00", false);
    assert_open(&schedule, "2026-11-23T13:29:00+01:00", false);
    assert_open(&schedule, "2026-11-23T13:30:00+01:00", true);
    assert_open(&schedule, "2026-11-23T16:00:00+01:00", true);
}

#[test]
fn intervals_may_be_listed_out_of_order() {
    let schedule = build(&office("Europe/Amsterdam", &["13:30-17:00", "09:00-12:30"]));
    assert_open(&schedule, "2026-11-23T10:00:00+01:00", true);
    assert_open(&schedule, "2026-11-23T13:00:00+01:00", false);
    assert_open(&schedule, "2026-11-23T14:00:00+01:00", true);
}

#[test]
fn an_interval_crossing_midnight_stays_open_into_the_next_day() {
    let schedule = build(&spec("Europe/Amsterdam", &[("fri", &["21:00-01:00"])]));
    // Friday 2026-11-27.
    assert_open(&schedule, "2026-11-27T20:59:00+01:00", false);
    assert_open(&schedule, "2026-11-27T21:00:00+01:00", true);
    assert_open(&schedule, "2026-11-27T23:59:00+01:00", true);
    assert_open(&schedule, "2026-11-28T00:00:00+01:00", true);
    assert_open(&schedule, "2026-11-28T00:30:00+01:00", true);
    assert_open(&schedule, "2026-11-28T00:59:00+01:00", true);
    assert_open(&schedule, "2026-11-28T01:00:00+01:00", false);
    assert_open(&schedule, "2026-11-28T01:30:00+01:00", false);
    // Thursday night has no such interval.
    assert_open(&schedule, "2026-11-27T00:30:00+01:00", false);
}

#[test]
fn a_sunday_night_interval_crosses_into_monday() {
    let schedule = build(&spec("Europe/Amsterdam", &[("sun", &["22:00-02:00"])]));
    // Sunday 2026-11-29 → Monday 2026-11-30.
    assert_open(&schedule, "2026-11-29T23:00:00+01:00", true);
    assert_open(&schedule, "2026-11-30T01:30:00+01:00", true);
    assert_open(&schedule, "2026-11-30T02:00:00+01:00", false);
}

#[test]
fn twenty_four_hundred_ends_an_interval_at_midnight() {
    let schedule = build(&spec(
        "Europe/Amsterdam",
        &[("mon", &["20:00-24:00"]), ("wed", &["00:00-24:00"])],
    ));
    assert_open(&schedule, "2026-11-23T19:59:00+01:00", false);
    assert_open(&schedule, "2026-11-23T20:00:00+01:00", true);
    assert_open(&schedule, "2026-11-23T23:59:59+01:00", true);
    assert_open(&schedule, "2026-11-24T00:00:00+01:00", false);
    assert_open(&schedule, "2026-11-24T00:30:00+01:00", false);
    // A whole day: open from its first to its last minute, closed the next day.
    assert_open(&schedule, "2026-11-25T00:00:00+01:00", true);
    assert_open(&schedule, "2026-11-25T12:00:00+01:00", true);
    assert_open(&schedule, "2026-11-25T23:59:00+01:00", true);
    assert_open(&schedule, "2026-11-26T00:00:00+01:00", false);
}

#[test]
fn a_holiday_on_a_date_closes_that_day() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.holidays.push(holiday(Some("2026-11-24"), None, None));
    let schedule = build(&spec);
    assert_open(&schedule, "2026-11-23T10:00:00+01:00", true);
    assert_open(&schedule, "2026-11-24T10:00:00+01:00", false);
    assert_open(&schedule, "2026-11-25T10:00:00+01:00", true);
    // The same date a year later is a normal working day.
    assert_open(&schedule, "2027-11-24T10:00:00+01:00", true);
}

#[test]
fn a_yearly_holiday_closes_that_day_every_year() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.holidays.push(holiday(None, Some("12-25"), None));
    let schedule = build(&spec);
    // 2026-12-25 is a Friday, 2028-12-25 a Monday.
    assert_open(&schedule, "2026-12-25T10:00:00+01:00", false);
    assert_open(&schedule, "2028-12-25T10:00:00+01:00", false);
    assert_open(&schedule, "2026-12-24T10:00:00+01:00", true);
    assert_open(&schedule, "2028-12-26T10:00:00+01:00", true);
}

#[test]
fn a_holiday_range_closes_every_day_in_it_inclusive() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.holidays
        .push(holiday(None, None, Some(("2027-08-09", "2027-08-13"))));
    let schedule = build(&spec);
    // Monday 2027-08-09 to Friday 2027-08-13.
    assert_open(&schedule, "2027-08-06T10:00:00+02:00", true);
    for day in 9..=13 {
        assert_open(
            &schedule,
            &format!("2027-08-{day:02}T10:00:00+02:00"),
            false,
        );
    }
    assert_open(&schedule, "2027-08-16T10:00:00+02:00", true);
}

#[test]
fn a_holiday_also_closes_the_after_midnight_part_of_its_late_interval() {
    let mut spec = spec("Europe/Amsterdam", &[("fri", &["21:00-01:00"])]);
    spec.holidays.push(holiday(Some("2026-11-27"), None, None));
    let schedule = build(&spec);
    assert_open(&schedule, "2026-11-27T22:00:00+01:00", false);
    assert_open(&schedule, "2026-11-28T00:30:00+01:00", false);
    // The next Friday night is open again.
    assert_open(&schedule, "2026-12-05T00:30:00+01:00", true);
}

#[test]
fn a_closure_period_closes_inside_weekly_hours() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.closures
        .push(period("2026-11-23T12:00", "2026-11-24T10:00"));
    let schedule = build(&spec);
    assert_open(&schedule, "2026-11-23T11:59:00+01:00", true);
    assert_open(&schedule, "2026-11-23T12:00:00+01:00", false);
    assert_open(&schedule, "2026-11-24T09:59:00+01:00", false);
    assert_open(&schedule, "2026-11-24T10:00:00+01:00", true);
}

#[test]
fn an_opening_period_opens_outside_weekly_hours() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    // Sunday 2026-12-20, a normally closed day.
    spec.openings
        .push(period("2026-12-20T10:00", "2026-12-20T16:00"));
    let schedule = build(&spec);
    assert_open(&schedule, "2026-12-20T09:59:00+01:00", false);
    assert_open(&schedule, "2026-12-20T10:00:00+01:00", true);
    assert_open(&schedule, "2026-12-20T15:59:00+01:00", true);
    assert_open(&schedule, "2026-12-20T16:00:00+01:00", false);
    // The Sunday after is closed as usual.
    assert_open(&schedule, "2026-12-27T12:00:00+01:00", false);
}

#[test]
fn an_opening_period_overrides_a_holiday() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.holidays.push(holiday(None, Some("12-24"), None));
    spec.openings
        .push(period("2026-12-24T09:00", "2026-12-24T12:00"));
    let schedule = build(&spec);
    assert_open(&schedule, "2026-12-24T10:00:00+01:00", true);
    assert_open(&schedule, "2026-12-24T13:00:00+01:00", false);
}

// ---- next_open_at --------------------------------------------------------------------------

#[test]
fn next_open_at_is_now_when_open() {
    let schedule = build(&office("Europe/Amsterdam", &["09:00-17:00"]));
    let now = at("2026-11-23T10:17:23+01:00");
    assert_eq!(schedule.next_open_at(now), Some(now));
}

#[test]
fn next_open_at_later_the_same_day_after_a_lunch_break() {
    let schedule = build(&office("Europe/Amsterdam", &["09:00-12:30", "13:30-17:00"]));
    assert_eq!(
        schedule.next_open_at(at("2026-11-23T12:45:00+01:00")),
        Some(at("2026-11-23T13:30:00+01:00"))
    );
    assert_eq!(
        schedule.next_open_at(at("2026-11-23T07:00:00+01:00")),
        Some(at("2026-11-23T09:00:00+01:00"))
    );
}

#[test]
fn next_open_at_skips_the_weekend() {
    let schedule = build(&office("Europe/Amsterdam", &["09:00-17:00"]));
    // Friday evening, Saturday and Sunday all wait for Monday 09:00.
    for now in [
        "2026-11-27T17:00:00+01:00",
        "2026-11-28T12:00:00+01:00",
        "2026-11-29T23:59:00+01:00",
    ] {
        assert_eq!(
            schedule.next_open_at(at(now)),
            Some(at("2026-11-30T09:00:00+01:00")),
            "from {now}"
        );
    }
}

#[test]
fn next_open_at_skips_a_holiday() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    // Monday 2026-11-30 is a holiday.
    spec.holidays.push(holiday(Some("2026-11-30"), None, None));
    let schedule = build(&spec);
    assert_eq!(
        schedule.next_open_at(at("2026-11-27T18:00:00+01:00")),
        Some(at("2026-12-01T09:00:00+01:00"))
    );
}

#[test]
fn next_open_at_skips_a_holiday_range_and_the_weekend_after_it() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.holidays
        .push(holiday(None, None, Some(("2027-08-09", "2027-08-13"))));
    let schedule = build(&spec);
    assert_eq!(
        schedule.next_open_at(at("2027-08-06T18:00:00+02:00")),
        Some(at("2027-08-16T09:00:00+02:00"))
    );
}

#[test]
fn next_open_at_is_the_end_of_a_closure_inside_weekly_hours() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.closures
        .push(period("2026-11-23T09:00", "2026-11-23T12:15"));
    let schedule = build(&spec);
    assert_eq!(
        schedule.next_open_at(at("2026-11-23T10:00:00+01:00")),
        Some(at("2026-11-23T12:15:00+01:00"))
    );
    // Before the day starts the closure is also waited out.
    assert_eq!(
        schedule.next_open_at(at("2026-11-23T07:00:00+01:00")),
        Some(at("2026-11-23T12:15:00+01:00"))
    );
}

#[test]
fn next_open_at_after_a_closure_ending_outside_hours_is_the_next_interval() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.closures
        .push(period("2026-12-31T16:00", "2027-01-01T23:59"));
    let schedule = build(&spec);
    // Thursday 2026-12-31 at 16:30: closed; Friday 2027-01-01 is closed all day.
    assert_eq!(
        schedule.next_open_at(at("2026-12-31T16:30:00+01:00")),
        Some(at("2027-01-04T09:00:00+01:00"))
    );
}

#[test]
fn next_open_at_is_the_start_of_an_opening_period() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.openings
        .push(period("2026-12-20T10:00", "2026-12-20T16:00"));
    let schedule = build(&spec);
    // Saturday 2026-12-19: the Sunday opening comes before Monday.
    assert_eq!(
        schedule.next_open_at(at("2026-12-19T12:00:00+01:00")),
        Some(at("2026-12-20T10:00:00+01:00"))
    );
}

#[test]
fn next_open_at_is_none_when_nothing_ever_opens() {
    let schedule = build(&spec("Europe/Amsterdam", &[]));
    assert_eq!(schedule.next_open_at(at("2026-11-23T10:00:00+01:00")), None);
    assert!(!schedule.is_open(at("2026-11-23T10:00:00+01:00")));
}

// ---- daylight saving time ------------------------------------------------------------------

#[test]
fn madrid_spring_forward_keeps_wall_clock_hours() {
    let schedule = build(&office("Europe/Madrid", &["09:00-17:00"]));
    // Friday 2027-03-26, winter time (+01:00): 09:00 local is 08:00Z.
    assert_open(&schedule, "2027-03-26T07:59:00Z", false);
    assert_open(&schedule, "2027-03-26T08:00:00Z", true);
    assert_open(&schedule, "2027-03-26T15:59:00Z", true);
    assert_open(&schedule, "2027-03-26T16:00:00Z", false);
    // Monday 2027-03-29, summer time (+02:00): 09:00 local is 07:00Z.
    assert_open(&schedule, "2027-03-29T06:59:00Z", false);
    assert_open(&schedule, "2027-03-29T07:00:00Z", true);
    assert_open(&schedule, "2027-03-29T14:59:00Z", true);
    assert_open(&schedule, "2027-03-29T15:00:00Z", false);
}

#[test]
fn madrid_fall_back_keeps_wall_clock_hours() {
    let schedule = build(&office("Europe/Madrid", &["09:00-17:00"]));
    // Friday 2026-10-23, summer time: 09:00 local is 07:00Z.
    assert_open(&schedule, "2026-10-23T06:59:00Z", false);
    assert_open(&schedule, "2026-10-23T07:00:00Z", true);
    assert_open(&schedule, "2026-10-23T15:00:00Z", false);
    // Monday 2026-10-26, winter time: 09:00 local is 08:00Z.
    assert_open(&schedule, "2026-10-26T07:00:00Z", false);
    assert_open(&schedule, "2026-10-26T07:59:00Z", false);
    assert_open(&schedule, "2026-10-26T08:00:00Z", true);
    assert_open(&schedule, "2026-10-26T15:59:00Z", true);
    assert_open(&schedule, "2026-10-26T16:00:00Z", false);
}

#[test]
fn madrid_next_open_over_the_spring_forward_weekend_uses_the_summer_offset() {
    let schedule = build(&office("Europe/Madrid", &["09:00-17:00"]));
    let next = schedule
        .next_open_at(at("2027-03-27T22:00:00+01:00"))
        .expect("opens on Monday");
    assert_eq!(next, at("2027-03-29T07:00:00Z"));
    assert_eq!(next, at("2027-03-29T09:00:00+02:00"));
}

#[test]
fn madrid_next_open_over_the_fall_back_weekend_uses_the_winter_offset() {
    let schedule = build(&office("Europe/Madrid", &["09:00-17:00"]));
    let next = schedule
        .next_open_at(at("2026-10-24T22:00:00+02:00"))
        .expect("opens on Monday");
    assert_eq!(next, at("2026-10-26T08:00:00Z"));
    assert_eq!(next, at("2026-10-26T09:00:00+01:00"));
}

#[test]
fn new_york_spring_forward_keeps_wall_clock_hours() {
    let schedule = build(&office("America/New_York", &["09:00-17:00"]));
    // Friday 2027-03-12, EST (-05:00): 09:00 local is 14:00Z.
    assert_open(&schedule, "2027-03-12T13:59:00Z", false);
    assert_open(&schedule, "2027-03-12T14:00:00Z", true);
    assert_open(&schedule, "2027-03-12T22:00:00Z", false);
    // Monday 2027-03-15, EDT (-04:00): 09:00 local is 13:00Z.
    assert_open(&schedule, "2027-03-15T12:59:00Z", false);
    assert_open(&schedule, "2027-03-15T13:00:00Z", true);
    assert_open(&schedule, "2027-03-15T20:59:00Z", true);
    assert_open(&schedule, "2027-03-15T21:00:00Z", false);
    assert_eq!(
        schedule.next_open_at(at("2027-03-13T22:00:00-05:00")),
        Some(at("2027-03-15T13:00:00Z"))
    );
}

#[test]
fn new_york_fall_back_keeps_wall_clock_hours() {
    let schedule = build(&office("America/New_York", &["09:00-17:00"]));
    // Friday 2026-10-30, EDT (-04:00): 09:00 local is 13:00Z.
    assert_open(&schedule, "2026-10-30T12:59:00Z", false);
    assert_open(&schedule, "2026-10-30T13:00:00Z", true);
    // Monday 2026-11-02, EST (-05:00): 09:00 local is 14:00Z.
    assert_open(&schedule, "2026-11-02T13:00:00Z", false);
    assert_open(&schedule, "2026-11-02T13:59:00Z", false);
    assert_open(&schedule, "2026-11-02T14:00:00Z", true);
    assert_open(&schedule, "2026-11-02T21:59:00Z", true);
    assert_open(&schedule, "2026-11-02T22:00:00Z", false);
    assert_eq!(
        schedule.next_open_at(at("2026-10-31T22:00:00-04:00")),
        Some(at("2026-11-02T14:00:00Z"))
    );
}

#[test]
fn madrid_interval_starting_inside_the_spring_forward_gap_opens_at_three() {
    // On Sunday 2027-03-28 Madrid clocks jump from 02:00 (+01:00) to 03:00 (+02:00).
    let schedule = build(&spec("Europe/Madrid", &[("sun", &["02:30-05:00"])]));
    // 01:59 local (+01:00) is 00:59Z: closed. 03:00 local (+02:00) is 01:00Z: open.
    assert_open(&schedule, "2027-03-28T00:59:00Z", false);
    assert_open(&schedule, "2027-03-28T01:00:00Z", true);
    assert_open(&schedule, "2027-03-28T02:59:00Z", true);
    assert_open(&schedule, "2027-03-28T03:00:00Z", false);
}

#[test]
fn madrid_next_open_for_an_interval_starting_inside_the_spring_forward_gap_is_three() {
    let schedule = build(&spec("Europe/Madrid", &[("sun", &["02:30-05:00"])]));
    assert_eq!(
        schedule.next_open_at(at("2027-03-28T00:30:00Z")),
        Some(at("2027-03-28T03:00:00+02:00")),
        "the first open instant after the gap is 03:00 local"
    );
}

#[test]
fn new_york_interval_starting_inside_the_spring_forward_gap_opens_at_three() {
    // On Sunday 2027-03-14 New York clocks jump from 02:00 (-05:00) to 03:00 (-04:00).
    let schedule = build(&spec("America/New_York", &[("sun", &["02:30-05:00"])]));
    assert_open(&schedule, "2027-03-14T06:59:00Z", false);
    assert_open(&schedule, "2027-03-14T07:00:00Z", true);
    assert_open(&schedule, "2027-03-14T08:59:00Z", true);
    assert_open(&schedule, "2027-03-14T09:00:00Z", false);
}

#[test]
fn new_york_next_open_for_an_interval_starting_inside_the_spring_forward_gap_is_three() {
    let schedule = build(&spec("America/New_York", &[("sun", &["02:30-05:00"])]));
    assert_eq!(
        schedule.next_open_at(at("2027-03-14T01:00:00-05:00")),
        Some(at("2027-03-14T03:00:00-04:00"))
    );
}

#[test]
fn next_open_for_an_interval_starting_inside_the_gap_is_an_open_instant_on_the_change_day() {
    // Whatever the exact minute, the answer must be open and between 03:00 and 05:00 local.
    let schedule = build(&spec("Europe/Madrid", &[("sun", &["02:30-05:00"])]));
    let next = schedule
        .next_open_at(at("2027-03-28T00:30:00Z"))
        .expect("opens on the change day");
    assert!(schedule.is_open(next));
    assert!(next >= at("2027-03-28T01:00:00Z") && next < at("2027-03-28T03:00:00Z"));
}

#[test]
fn madrid_fall_back_repeated_hour_is_open_both_times_for_an_interval_covering_it() {
    // On Sunday 2026-10-25 Madrid clocks go from 03:00 (+02:00) back to 02:00 (+01:00).
    let schedule = build(&spec("Europe/Madrid", &[("sun", &["02:00-03:00"])]));
    // 02:30 local happens twice: 00:30Z and 01:30Z.
    assert_open(&schedule, "2026-10-25T00:30:00Z", true);
    assert_open(&schedule, "2026-10-25T01:30:00Z", true);
    // 03:00 local (+01:00) is 02:00Z: closed.
    assert_open(&schedule, "2026-10-25T02:00:00Z", false);
    // 01:59 local (+02:00) is 23:59Z the day before: closed.
    assert_open(&schedule, "2026-10-24T23:59:00Z", false);
}

// ---- build errors --------------------------------------------------------------------------

#[test]
fn an_unknown_time_zone_is_an_error_on_timezone() {
    let errors = errors(&office("Europe/Atlantis", &["09:00-17:00"]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "timezone");
    assert!(errors[0].1.contains("Europe/Atlantis"), "{errors:?}");
    assert!(errors[0].1.contains("unknown time zone"), "{errors:?}");
}

#[test]
fn an_empty_interval_is_an_error_on_its_index() {
    let errors = errors(&spec(
        "Europe/Amsterdam",
        &[("mon", &["08:00-09:00", "09:00-09:00"])],
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "weekly.mon.1");
    assert!(errors[0].1.contains("09:00-09:00"), "{errors:?}");
    assert!(errors[0].1.contains("empty"), "{errors:?}");
}

#[test]
fn a_malformed_interval_is_an_error_on_its_index() {
    for bad in [
        "9-17",
        "09:00",
        "09:60-10:00",
        "25:00-26:00",
        "09:00-24:30",
        "ab:cd-ef:gh",
    ] {
        let errors = errors(&spec("Europe/Amsterdam", &[("tue", &[bad])]));
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        assert_eq!(errors[0].0, "weekly.tue.0", "{bad}");
        assert!(errors[0].1.contains(bad), "{bad}: {errors:?}");
    }
}

#[test]
fn overlapping_intervals_on_one_day_are_an_error() {
    let errors = errors(&spec(
        "Europe/Amsterdam",
        &[("mon", &["09:00-12:00", "11:00-13:00"])],
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "weekly.mon");
    assert!(errors[0].1.contains("overlap"), "{errors:?}");
    assert!(errors[0].1.contains("mon"), "{errors:?}");
}

#[test]
fn touching_intervals_are_not_an_overlap() {
    build(&spec(
        "Europe/Amsterdam",
        &[
            ("mon", &["09:00-12:00", "12:00-13:00"]),
            ("fri", &["21:00-01:00"]),
            ("sat", &["01:00-05:00"]),
        ],
    ));
}

#[test]
fn an_interval_crossing_midnight_into_the_next_days_first_interval_is_an_error() {
    let errors = errors(&spec(
        "Europe/Amsterdam",
        &[("fri", &["21:00-02:00"]), ("sat", &["01:00-05:00"])],
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "weekly.sat");
    assert!(errors[0].1.contains("overlap"), "{errors:?}");
    assert!(
        errors[0].1.contains("fri") && errors[0].1.contains("sat"),
        "{errors:?}"
    );
}

#[test]
fn a_sunday_night_interval_overlapping_monday_morning_is_an_error() {
    let errors = errors(&spec(
        "Europe/Amsterdam",
        &[("mon", &["01:00-05:00"]), ("sun", &["22:00-02:00"])],
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "weekly.sun");
    assert!(
        errors[0].1.contains("sun") && errors[0].1.contains("mon"),
        "{errors:?}"
    );
}

#[test]
fn an_unknown_day_key_is_an_error_on_that_key() {
    let errors = errors(&spec("Europe/Amsterdam", &[("monday", &["09:00-17:00"])]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "weekly.monday");
    assert!(errors[0].1.contains("unknown day"), "{errors:?}");
    assert!(errors[0].1.contains("`monday`"), "{errors:?}");
}

#[test]
fn bad_holidays_are_errors_on_their_index() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.holidays = vec![
        holiday(Some("2026-12-25"), None, None),
        holiday(Some("2026-02-30"), None, None),
        holiday(None, Some("13-01"), None),
        holiday(None, Some("christmas"), None),
        holiday(None, None, Some(("2027-08-13", "2027-08-09"))),
        holiday(Some("2026-12-25"), Some("12-25"), None),
        holiday(None, None, None),
    ];
    let errors = errors(&spec);
    let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "holidays.1",
            "holidays.2",
            "holidays.3",
            "holidays.4",
            "holidays.5",
            "holidays.6"
        ],
        "{errors:?}"
    );
    assert!(errors[0].1.contains("2026-02-30"), "{errors:?}");
    assert!(errors[1].1.contains("13-01"), "{errors:?}");
    assert!(errors[1].1.contains("MM-DD"), "{errors:?}");
    assert!(errors[2].1.contains("christmas"), "{errors:?}");
    assert!(errors[3].1.contains("ends before it starts"), "{errors:?}");
    assert!(errors[4].1.contains("one of"), "{errors:?}");
    assert!(errors[5].1.contains("one of"), "{errors:?}");
}

#[test]
fn a_leap_day_yearly_holiday_is_accepted() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.holidays.push(holiday(None, Some("02-29"), None));
    let schedule = build(&spec);
    // Tuesday 2028-02-29.
    assert_open(&schedule, "2028-02-29T10:00:00+01:00", false);
    assert_open(&schedule, "2028-02-28T10:00:00+01:00", true);
}

#[test]
fn bad_closures_and_openings_are_errors_on_their_index() {
    let mut spec = office("Europe/Amsterdam", &["09:00-17:00"]);
    spec.closures = vec![
        period("2026-12-31T16:00", "2027-01-01T23:59"),
        period("2026-12-31T16:00", "2026-12-31T15:00"),
    ];
    spec.openings = vec![period("next sunday", "2026-12-20T16:00")];
    let errors = errors(&spec);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, "closures.1");
    assert!(errors[0].1.contains("after"), "{errors:?}");
    assert_eq!(errors[1].0, "openings.0");
    assert!(errors[1].1.contains("next sunday"), "{errors:?}");
}

#[test]
fn every_problem_in_a_schedule_is_reported_at_once() {
    let mut spec = spec(
        "Mars/Olympus",
        &[("mon", &["09:00-09:00"]), ("someday", &["09:00-10:00"])],
    );
    spec.holidays.push(holiday(None, Some("00-00"), None));
    let errors = errors(&spec);
    let mut paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["holidays.0", "timezone", "weekly.mon.0", "weekly.someday"],
        "{errors:?}"
    );
}

// ---- describe_next_open --------------------------------------------------------------------

fn amsterdam_office() -> Schedule {
    build(&office("Europe/Amsterdam", &["09:00-17:00"]))
}

fn describe(
    language: Language,
    now: &str,
    customer_timezone: Option<&str>,
    schedule: &Schedule,
) -> String {
    let now = at(now);
    let next = schedule.next_open_at(now).expect("opens");
    let timezone = customer_timezone.map(|name| TimeZone::get(name).expect("known zone"));
    describe_next_open(language, now, next, timezone.as_ref(), schedule)
}

#[test]
fn describe_next_open_says_tomorrow_in_the_schedule_zone() {
    let schedule = amsterdam_office();
    // Monday 18:00 → Tuesday 09:00.
    let now = "2026-11-23T18:00:00+01:00";
    assert_eq!(
        describe(Language::En, now, None, &schedule),
        "tomorrow at 09:00 (Europe/Amsterdam)"
    );
    assert_eq!(
        describe(Language::Es, now, None, &schedule),
        "mañana a las 09:00 (Europe/Amsterdam)"
    );
    assert_eq!(
        describe(Language::Fr, now, None, &schedule),
        "demain à 09:00 (Europe/Amsterdam)"
    );
    assert_eq!(
        describe(Language::Nl, now, None, &schedule),
        "morgen om 09:00 (Europe/Amsterdam)"
    );
}

#[test]
fn describe_next_open_says_today_early_in_the_morning() {
    let schedule = amsterdam_office();
    assert_eq!(
        describe(Language::En, "2026-11-23T07:00:00+01:00", None, &schedule),
        "today at 09:00 (Europe/Amsterdam)"
    );
}

#[test]
fn describe_next_open_names_the_weekday_and_date_further_ahead() {
    let schedule = amsterdam_office();
    // Friday 2026-11-27 evening → Monday 2026-11-30.
    let now = "2026-11-27T18:00:00+01:00";
    assert_eq!(
        describe(Language::Es, now, None, &schedule),
        "el lunes 30 de noviembre a las 09:00 (Europe/Amsterdam)"
    );
    assert_eq!(
        describe(Language::En, now, None, &schedule),
        "on Monday 30 November at 09:00 (Europe/Amsterdam)"
    );
    assert_eq!(
        describe(Language::Fr, now, None, &schedule),
        "lundi 30 novembre à 09:00 (Europe/Amsterdam)"
    );
    assert_eq!(
        describe(Language::Nl, now, None, &schedule),
        "op maandag 30 november om 09:00 (Europe/Amsterdam)"
    );
}

#[test]
fn describe_next_open_converts_to_the_customer_zone_and_says_your_time() {
    let schedule = amsterdam_office();
    // Monday 18:00 Amsterdam is 12:00 in New York; Tuesday 09:00 Amsterdam is 03:00 there.
    let now = "2026-11-23T18:00:00+01:00";
    assert_eq!(
        describe(Language::En, now, Some("America/New_York"), &schedule),
        "tomorrow at 03:00 (your time)"
    );
    assert_eq!(
        describe(Language::Es, now, Some("America/New_York"), &schedule),
        "mañana a las 03:00 (tu hora)"
    );
    // From Friday evening the Spanish form names Monday, in the customer's time.
    assert_eq!(
        describe(
            Language::Es,
            "2026-11-27T18:00:00+01:00",
            Some("America/Mexico_City"),
            &schedule
        ),
        "el lunes 30 de noviembre a las 02:00 (tu hora)"
    );
}

#[test]
fn describe_next_open_counts_days_in_the_customer_zone() {
    let schedule = amsterdam_office();
    // Monday 18:00 Amsterdam is already Tuesday 02:00 in Tokyo; Tuesday 09:00 Amsterdam is
    // Tuesday 17:00 in Tokyo: "today" for that customer.
    assert_eq!(
        describe(
            Language::En,
            "2026-11-23T18:00:00+01:00",
            Some("Asia/Tokyo"),
            &schedule
        ),
        "today at 17:00 (your time)"
    );
    // Monday 07:00 Amsterdam is Sunday 22:00 in Los Angeles; 09:00 Amsterdam is Monday 00:00
    // there: "tomorrow".
    assert_eq!(
        describe(
            Language::En,
            "2026-11-23T07:00:00+01:00",
            Some("America/Los_Angeles"),
            &schedule
        ),
        "tomorrow at 00:00 (your time)"
    );
}

#[test]
fn describe_next_open_after_a_dst_change_shows_the_new_wall_clock_time() {
    let schedule = build(&office("Europe/Madrid", &["09:00-17:00"]));
    // Saturday night before the spring-forward; Monday 09:00 Madrid, written in Madrid time.
    assert_eq!(
        describe(Language::Es, "2027-03-27T22:00:00+01:00", None, &schedule),
        "el lunes 29 de marzo a las 09:00 (Europe/Madrid)"
    );
    // A customer in London (still +00:00 until the same night, then +01:00) sees 08:00.
    assert_eq!(
        describe(
            Language::En,
            "2027-03-27T22:00:00+01:00",
            Some("Europe/London"),
            &schedule
        ),
        "on Monday 29 March at 08:00 (your time)"
    );
}

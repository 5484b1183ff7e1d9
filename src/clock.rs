//! The clock. Only the service edge (API and delivery worker) reads it; the decision engine
//! receives `now` as a value. Tests replace it to pin or advance time.

use std::sync::Arc;

/// Where the service reads "now". Production uses the system clock; tests pin or advance it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(jiff::Timestamp::now))
    }

    pub fn new(now: impl Fn() -> jiff::Timestamp + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// Now, to the millisecond: the store keeps milliseconds, so a time the service reports
    /// at once (a hand-off's transcript, `created_at`) reads the same as the stored one later.
    pub fn now(&self) -> jiff::Timestamp {
        let now = (self.0)();
        jiff::Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

//! Timed events and schedules: which fault starts when, and for how long.
//!
//! In a scenario file an event is one flat table:
//!
//! ```toml
//! [[faults.timeline]]
//! at = "10s"          # when it starts, from the start of the run
//! fault = "crash"
//! target = 2          # node index, 0-based
//! duration = "5s"     # optional: undo it (restart node 2) at 15s
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::duration::SimDuration;
use crate::fault::Fault;
use crate::param::Param;

/// One fault at one simulated time, optionally undone after a while.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// When the fault starts, measured from the start of the run.
    pub at: SimDuration,
    /// What goes wrong.
    pub fault: Fault,
    /// If set, the fault is undone this long after it starts (by
    /// [`Fault::undo`], on the nodes the start resolved to). Must not be
    /// zero; faults that are undos themselves take none.
    pub duration: Option<SimDuration>,
}

impl Event {
    /// An event with no automatic undo.
    pub fn new(at: SimDuration, fault: Fault) -> Event {
        Event {
            at,
            fault,
            duration: None,
        }
    }

    /// An event undone after `duration`.
    pub fn with_duration(at: SimDuration, fault: Fault, duration: SimDuration) -> Event {
        Event {
            at,
            fault,
            duration: Some(duration),
        }
    }

    /// When the undo happens, if there is one (saturating).
    pub fn end(&self) -> Option<SimDuration> {
        self.duration.map(|d| self.at.saturating_add(d))
    }

    /// The event as a flat table (`at`, `fault`, parameters, `duration`).
    pub fn to_params(&self) -> BTreeMap<String, Param> {
        let mut m = self.fault.to_params();
        m.insert("at".into(), Param::Str(self.at.to_string()));
        if let Some(d) = self.duration {
            m.insert("duration".into(), Param::Str(d.to_string()));
        }
        m
    }

    /// Reads an event from a flat table.
    pub fn from_params(mut map: BTreeMap<String, Param>) -> Result<Event, String> {
        let time = |key: &str, v: Param| -> Result<SimDuration, String> {
            match v {
                Param::Str(s) => s.parse().map_err(|e| format!("`{key}`: {e}")),
                other => Err(format!(
                    "`{key}` must be a duration string like \"10s\" or \"250ms\", not {}",
                    other.kind()
                )),
            }
        };
        let at = match map.remove("at") {
            Some(v) => time("at", v)?,
            None => return Err("missing `at`: say when the fault starts, e.g. at = \"10s\"".into()),
        };
        let duration = map
            .remove("duration")
            .map(|v| time("duration", v))
            .transpose()?;
        let fault = Fault::from_params(map).map_err(|e| e.to_string())?;
        Ok(Event {
            at,
            fault,
            duration,
        })
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // `at` first and `duration` last read best in a file.
        let mut params = self.fault.to_params();
        let mut map = serializer.serialize_map(Some(params.len() + 2))?;
        map.serialize_entry("at", &self.at)?;
        if let Some(name) = params.remove("fault") {
            map.serialize_entry("fault", &name)?;
        }
        for (k, v) in &params {
            map.serialize_entry(k, v)?;
        }
        if let Some(d) = &self.duration {
            map.serialize_entry("duration", d)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

/// Reads `at` and `duration` as they come, so that a bad time is reported at
/// its own position in the file, and the rest as parameters of the fault.
struct EventVisitor;

impl<'de> serde::de::Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a table with `at`, `fault` and the fault's parameters")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        use serde::de::Error;
        let mut at = None;
        let mut duration = None;
        let mut rest = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "at" => at = Some(map.next_value::<TimeField>()?.0),
                "duration" => duration = Some(map.next_value::<TimeField>()?.0),
                _ => {
                    let value = map.next_value::<Param>()?;
                    rest.insert(key, value);
                }
            }
        }
        let at = at.ok_or_else(|| {
            A::Error::custom("missing `at`: say when the fault starts, e.g. at = \"10s\"")
        })?;
        let fault = Fault::from_params(rest).map_err(A::Error::custom)?;
        Ok(Event {
            at,
            fault,
            duration,
        })
    }
}

/// A [`SimDuration`] whose errors say it is a time of an event.
struct TimeField(SimDuration);

impl<'de> Deserialize<'de> for TimeField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SimDuration::deserialize(deserializer).map(TimeField)
    }
}

/// A list of events: an explicit nemesis timeline.
///
/// Order in the list does not matter to the run: events happen in order of
/// `at`, and events at the same time in list order. Errors name events by
/// their index in this list (from 0) and their time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schedule {
    /// The events.
    pub events: Vec<Event>,
}

impl Schedule {
    /// A schedule of these events.
    pub fn new(events: Vec<Event>) -> Schedule {
        Schedule { events }
    }

    /// The indices of the events in the order they happen (by `at`, then by
    /// index).
    pub fn order(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.events.len()).collect();
        idx.sort_by_key(|&i| (self.events[i].at, i));
        idx
    }

    /// The time of the last start or undo, or zero for an empty schedule.
    pub fn last_time(&self) -> SimDuration {
        self.events
            .iter()
            .map(|e| e.end().unwrap_or(e.at).max(e.at))
            .max()
            .unwrap_or(SimDuration::ZERO)
    }

    /// Events merged from two schedules (for "timeline and generated").
    pub fn merged(&self, other: &Schedule) -> Schedule {
        let mut events = self.events.clone();
        events.extend(other.events.iter().cloned());
        Schedule { events }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    #[test]
    fn event_reads_and_writes_as_a_flat_table() {
        let text = r#"{"at":"10s","fault":"crash","target":2,"duration":"5s"}"#;
        let e: Event = serde_json::from_str(text).unwrap();
        assert_eq!(
            e,
            Event::with_duration(
                SimDuration::from_secs(10),
                Fault::Crash {
                    target: Target::Node(2)
                },
                SimDuration::from_secs(5)
            )
        );
        assert_eq!(serde_json::to_string(&e).unwrap(), text);
    }

    #[test]
    fn event_errors_say_what_to_write() {
        let err = serde_json::from_str::<Event>(r#"{"fault":"crash"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing `at`"), "{err}");
        let err = serde_json::from_str::<Event>(r#"{"at":10,"fault":"crash"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("with a unit"), "{err}");
        let err = serde_json::from_str::<Event>(r#"{"at":"-1s","fault":"crash"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("negative"), "{err}");
        let err = serde_json::from_str::<Event>(r#"{"at":"1s","fault":"crash","targte":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `target`"), "{err}");
    }

    #[test]
    fn order_is_by_time_then_index() {
        let s = Schedule::new(vec![
            Event::new(SimDuration::from_secs(5), Fault::Heal),
            Event::new(SimDuration::from_secs(1), Fault::RandomHalves),
            Event::new(SimDuration::from_secs(5), Fault::Bridge),
        ]);
        assert_eq!(s.order(), vec![1, 0, 2]);
    }
}

#[cfg(test)]
mod toml_tests {
    use super::*;
    use crate::target::Target;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct File {
        timeline: Schedule,
    }

    #[test]
    fn a_timeline_reads_from_toml_and_writes_back() {
        let text = r#"
[[timeline]]
at = "10s"
fault = "random-halves"
duration = "5s"

[[timeline]]
at = "12s"
fault = "clock-bump"
target = "leader"
offset_ms = -250

[[timeline]]
at = "1m"
fault = "hint-backlog"
target = [0, 2]
throttle = 0.5
"#;
        let file: File = toml::from_str(text).unwrap();
        assert_eq!(file.timeline.events.len(), 3);
        assert_eq!(
            file.timeline.events[1].fault,
            Fault::ClockBump {
                target: Target::Role("leader".into()),
                offset_ms: -250
            }
        );
        assert_eq!(file.timeline.events[2].at, SimDuration::from_secs(60));
        let back: File = toml::from_str(&toml::to_string(&file).unwrap()).unwrap();
        assert_eq!(back, file);
    }

    #[test]
    fn a_bad_event_in_toml_reports_its_line() {
        let text = "[[timeline]]\nat = \"10s\"\nfault = \"crash\"\n\n[[timeline]]\nat = \"-3s\"\nfault = \"crash\"\n";
        let err = toml::from_str::<File>(text).unwrap_err().to_string();
        assert!(err.contains("negative"), "{err}");
        assert!(err.contains("line 6"), "{err}");
        let text = "[[timeline]]\nat = \"10s\"\nfault = \"crash\"\n\n[[timeline]]\nat = \"3s\"\nfault = \"crash\"\ntargte = 1\n";
        let err = toml::from_str::<File>(text).unwrap_err().to_string();
        println!("{err}");
        assert!(err.contains("did you mean `target`"), "{err}");
    }
}

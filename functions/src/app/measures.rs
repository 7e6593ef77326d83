//! Measuring a goal: data points and PDSA cycles, recorded by members.
//!
//! Each change is the caller's own (they are kept in the caller's record,
//! so nobody can change another member's data) and is ONE conditional write
//! (`Store::record_data`), which checks the session, that the caller has
//! accepted and that the group is not dissolved. The goal and its measure
//! come from the group the caller's sign-in read: a point is parsed against
//! the measure as defined then.
use chrono::NaiveDate;

use super::access::Caller;
use super::{App, Failure};
use crate::domain::measure::{DataPoint, PeriodId, PointInput};
use crate::domain::pdsa::{PdsaCycle, PdsaInput};
use crate::domain::{requirement_met_until, Action, DataChange, FieldError, GoalPoint, Group, HistoryEntry, Language, Phase};
use crate::store::{ConflictKind, DataWrite, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The plan has no goal with this id.
    #[error("no such goal")]
    NoSuchGoal,
    /// The goal's measure is not defined yet (`n`: the goal's number).
    #[error("the goal has no measure defined")]
    NoMeasure { n: usize },
    /// The input, field by field.
    #[error("the data is not valid")]
    Invalid(Vec<FieldError>),
    /// The requirement the plan met has ended (on `until`): data is kept, not added.
    #[error("the requirement ended")]
    RequirementEnded { until: NaiveDate },
    #[error("the group is dissolved")]
    Dissolved,
    #[error("not an accepted member")]
    NotAccepted,
    #[error("the session has ended")]
    SessionEnded,
    /// The caller is no longer a member (the group changed since the read).
    #[error("not a member of the group")]
    NotMember,
    /// The caller has no point for that period, or no cycle with that id.
    #[error("nothing to change")]
    NothingThere,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// Whether data may be added to `g` on `today`: from the group's
/// confirmation until the requirement its plan met ends.
pub fn open_for_data(g: &Group, today: NaiveDate) -> Result<(), DataError> {
    match (g.phase(), g.pip.submitted_on()) {
        (Phase::Dissolved, _) => Err(DataError::Dissolved),
        (Phase::Submitted, Some(on)) if today > requirement_met_until(on) => {
            Err(DataError::RequirementEnded { until: requirement_met_until(on) })
        }
        _ => Ok(()),
    }
}

/// What [`record_point`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedPoint {
    pub period: PeriodId,
    /// It replaced the caller's own point for the period.
    pub corrected: bool,
}

/// Record (or correct) the caller's point for goal `goal`.
pub async fn record_point(app: &App, caller: &Caller, goal: u16, input: &PointInput<'_>) -> Result<RecordedPoint, DataError> {
    let g = &caller.group;
    let (n, draft) = g.goal(goal).ok_or(DataError::NoSuchGoal)?;
    let def = draft.definition.as_ref().ok_or(DataError::NoMeasure { n })?;
    let today = app.clock.today();
    open_for_data(g, today)?;
    let point: DataPoint = DataPoint::parse(def, caller.slot, input, today).map_err(DataError::Invalid)?;
    let corrected = caller.member().point(goal, point.period).is_some();
    let period = point.period;
    let value = def.kind.format(point.value.value(), Language::En);
    let value = match point.value {
        crate::domain::measure::PointValue::Proportion { numerator, denominator } => format!("{numerator} of {denominator} ({value})"),
        _ => value,
    };
    let now = app.clock.now();
    let change = DataChange::Point(GoalPoint { goal, point, at: now });
    write(app, caller, change, Action::PointRecorded { goal, period, value, corrected }).await?;
    Ok(RecordedPoint { period, corrected })
}

/// Delete the caller's own point for goal `goal` and `period` (`YYYY-MM`
/// or `YYYY-Www`, as the point's key).
pub async fn delete_point(app: &App, caller: &Caller, goal: u16, period: &str) -> Result<PeriodId, DataError> {
    caller.group.goal(goal).ok_or(DataError::NoSuchGoal)?;
    let period = PeriodId::parse(period).map_err(|e| DataError::Invalid(vec![FieldError::invalid("period", e)]))?;
    if caller.member().point(goal, period).is_none() {
        return Err(DataError::NothingThere);
    }
    write(app, caller, DataChange::DeletePoint { goal, period }, Action::PointDeleted { goal, period }).await?;
    Ok(period)
}

/// Log a new PDSA cycle for goal `goal` (`id: None`), or update the
/// caller's own cycle `id`. Returns the cycle's id.
pub async fn log_cycle(app: &App, caller: &Caller, goal: u16, id: Option<u16>, input: &PdsaInput<'_>) -> Result<u16, DataError> {
    let g = &caller.group;
    g.goal(goal).ok_or(DataError::NoSuchGoal)?;
    open_for_data(g, app.clock.today())?;
    let mine = &caller.member().cycles;
    let id = match id {
        Some(id) if mine.iter().any(|c| c.id == id && c.goal == goal) => id,
        Some(_) => return Err(DataError::NothingThere),
        None => mine.iter().map(|c| c.id).max().unwrap_or(0).saturating_add(1),
    };
    let updated = mine.iter().any(|c| c.id == id);
    let cycle = PdsaCycle::parse(id, goal, caller.slot, input, app.clock.today(), app.clock.now()).map_err(DataError::Invalid)?;
    let change_idea = cycle.change_idea.clone();
    write(app, caller, DataChange::Cycle(cycle), Action::CycleLogged { goal, change_idea, updated }).await?;
    Ok(id)
}

/// Delete the caller's own cycle `id` of goal `goal`.
pub async fn delete_cycle(app: &App, caller: &Caller, goal: u16, id: u16) -> Result<(), DataError> {
    let cycle = caller.member().cycles.iter().find(|c| c.id == id && c.goal == goal).ok_or(DataError::NothingThere)?;
    let change_idea = cycle.change_idea.clone();
    write(app, caller, DataChange::DeleteCycle { id }, Action::CycleDeleted { goal, change_idea }).await
}

async fn write(app: &App, caller: &Caller, change: DataChange, action: Action) -> Result<(), DataError> {
    let now = app.clock.now();
    let w = DataWrite {
        group: caller.group.id.clone(),
        slot: caller.slot,
        session: caller.session.clone(),
        change,
        event: HistoryEntry { at: now, action },
        now,
    };
    match app.store.record_data(&w).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(ConflictKind::SessionEnded)) => Err(DataError::SessionEnded),
        Err(StoreError::Conflict(ConflictKind::NotAccepted)) => Err(DataError::NotAccepted),
        Err(StoreError::Conflict(ConflictKind::Dissolved)) => Err(DataError::Dissolved),
        Err(StoreError::NotFound) => Err(DataError::NotMember),
        Err(e) => Err(Failure::from(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::app::Config;
    use crate::domain::{CodeHash, Cycle, PipState};
    use crate::store::conformance::{complete_draft, formed_group};

    #[tokio::test]
    async fn a_malformed_period_is_a_field_error_in_both_languages() {
        let store = Arc::new(crate::store::sqlite::SqliteStore::open_in_memory().unwrap());
        let config = Config::new("https://example.org", Cycle::parse("2026").unwrap());
        let app = App::new(store, Arc::new(crate::mail::NoMailer), config);
        let (mut group, _) = formed_group("100", &["101"], "2026-01-05T10:00:00Z");
        let mut draft = complete_draft();
        draft.goals[0].id = 1;
        group.pip = PipState::Draft { draft };
        let caller = Caller { group, slot: 1, session: CodeHash([0; 32]) };
        let Err(DataError::Invalid(e)) = delete_point(&app, &caller, 1, "someday").await else {
            panic!("a malformed period is refused field by field");
        };
        let want = PeriodId::parse("someday").unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("period", want.code));
        assert_eq!((&e[0].message, &e[0].fr), (&want.en, &want.fr));
        assert!(!e[0].fr.is_empty());
    }
}

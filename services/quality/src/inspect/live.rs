//! Live inspection: turns arrive one at a time and hints come back at once. The final
//! report is an ordinary inspection of every turn seen.

use super::{CompiledStandard, TurnView, meaning, micros_duration, pb};
use std::sync::Arc;

/// The state of one live conversation.
pub struct LiveSession {
    standard: Arc<CompiledStandard>,
    conversation: pb::Conversation,
    views: Vec<TurnView>,
    /// The oldest unanswered customer turn: index and time.
    waiting: Option<(usize, i64)>,
    /// A waiting hint was already given for the current wait.
    waiting_hinted: bool,
    replied_once: bool,
    agent_turns: usize,
    greeting_hinted: bool,
}

impl LiveSession {
    /// Starts with the conversation's header (and any turns already spoken).
    pub fn new(standard: Arc<CompiledStandard>, mut conversation: pb::Conversation) -> Self {
        let earlier = std::mem::take(&mut conversation.turns);
        let mut s = Self {
            standard,
            conversation,
            views: Vec::new(),
            waiting: None,
            waiting_hinted: false,
            replied_once: false,
            agent_turns: 0,
            greeting_hinted: false,
        };
        for t in earlier {
            let _ = s.push(t);
        }
        s
    }

    /// The turns so far.
    pub fn turns(&self) -> &[pb::Turn] {
        &self.conversation.turns
    }

    /// The time of the last turn (microseconds), if any.
    pub fn last_time(&self) -> Option<i64> {
        self.views.last().map(|v| v.at)
    }

    /// The standard in use.
    pub fn standard(&self) -> &Arc<CompiledStandard> {
        &self.standard
    }

    /// The reply limit now in force and whether a customer is waiting on it
    /// (microseconds), for a wall-clock timer.
    pub fn pending_wait(&self) -> Option<(usize, i64)> {
        if self.waiting_hinted {
            return None;
        }
        let (index, _) = self.waiting?;
        Some((index, self.standard.reply_limit(!self.replied_once)?))
    }

    /// The index of the oldest unanswered customer turn, if any.
    pub fn waiting_index(&self) -> Option<usize> {
        self.waiting.map(|(i, _)| i)
    }

    /// Takes one turn and returns the hints it calls for.
    pub fn push(&mut self, turn: pb::Turn) -> Vec<pb::Hint> {
        let view = TurnView::new(&self.standard, &turn);
        let index = self.views.len();
        let mut hints = Vec::new();
        let std = Arc::clone(&self.standard);
        match view.speaker {
            pb::Speaker::Customer => {
                if self.waiting.is_none() {
                    self.waiting = Some((index, view.at));
                    self.waiting_hinted = false;
                }
                for ind in std
                    .indicators
                    .iter()
                    .filter(|i| i.kind == pb::IndicatorKind::TriggeredResponse)
                {
                    let said = if ind.trigger_meaning == pb::Meaning::Unspecified {
                        view.first_of(&ind.triggers)
                            .map(|t| std.phrases.original(t).to_string())
                    } else {
                        meaning::found(ind.trigger_meaning, &std.phrases, &ind.triggers, &view)
                    };
                    if let Some(t) = said {
                        let upset = ind.spec.dimension == pb::Dimension::ServiceQuality as i32;
                        hints.push(pb::Hint {
                            kind: if upset {
                                pb::HintKind::CustomerUpset
                            } else {
                                pb::HintKind::ResponseDue
                            } as i32,
                            indicator_id: ind.spec.id.clone(),
                            turn_index: index as i32,
                            message: if upset {
                                format!("customer upset (\"{t}\"): {}", ind.spec.description)
                            } else {
                                format!("customer said \"{t}\": {}", ind.spec.description)
                            },
                            suggestion: ind
                                .phrases
                                .first()
                                .map(|p| std.phrases.original(*p).to_string())
                                .unwrap_or_default(),
                            phrase: t,
                            waited: None,
                        });
                    }
                }
            }
            pb::Speaker::Agent => {
                if let Some((_, since)) = self.waiting.take() {
                    let delay = view.at - since;
                    if let Some(limit) = std.reply_limit(!self.replied_once)
                        && delay > limit
                        && !self.waiting_hinted
                    {
                        hints.push(pb::Hint {
                            kind: pb::HintKind::LateReply as i32,
                            indicator_id: self.limit_indicator(!self.replied_once),
                            turn_index: index as i32,
                            message: format!(
                                "reply came after {} s; the limit is {} s",
                                delay / 1_000_000,
                                limit / 1_000_000
                            ),
                            suggestion: String::new(),
                            phrase: String::new(),
                            waited: Some(micros_duration(delay)),
                        });
                    }
                    self.replied_once = true;
                }
                self.waiting_hinted = false;
                self.agent_turns += 1;
                for ind in &std.indicators {
                    if ind.speaker != pb::Speaker::Agent {
                        continue;
                    }
                    match ind.kind {
                        pb::IndicatorKind::PhraseForbidden
                            if ind.meaning != pb::Meaning::Unspecified =>
                        {
                            if let Some(p) =
                                meaning::found(ind.meaning, &std.phrases, &ind.phrases, &view)
                            {
                                hints.push(pb::Hint {
                                    kind: pb::HintKind::ForbiddenPhrase as i32,
                                    indicator_id: ind.spec.id.clone(),
                                    turn_index: index as i32,
                                    message: format!("\"{p}\": {}", ind.spec.description),
                                    suggestion: String::new(),
                                    phrase: p,
                                    waited: None,
                                });
                            }
                        }
                        pb::IndicatorKind::PhraseForbidden => {
                            for f in &view.found {
                                if ind.phrases.binary_search(&f.id).is_ok() {
                                    let p = std.phrases.original(f.id);
                                    hints.push(pb::Hint {
                                        kind: pb::HintKind::ForbiddenPhrase as i32,
                                        indicator_id: ind.spec.id.clone(),
                                        turn_index: index as i32,
                                        message: format!(
                                            "forbidden phrase used: \"{p}\" ({})",
                                            ind.spec.description
                                        ),
                                        suggestion: String::new(),
                                        phrase: p.to_string(),
                                        waited: None,
                                    });
                                }
                            }
                        }
                        pb::IndicatorKind::PhraseRequired
                            if ind.position == pb::Position::Opening
                                && !self.greeting_hinted
                                && self.agent_turns == ind.window =>
                        {
                            let greeted = self
                                .views
                                .iter()
                                .chain(std::iter::once(&view))
                                .filter(|v| v.speaker == pb::Speaker::Agent)
                                .any(|v| {
                                    if ind.meaning == pb::Meaning::Unspecified {
                                        v.first_of(&ind.phrases).is_some()
                                    } else {
                                        meaning::found(ind.meaning, &std.phrases, &ind.phrases, v)
                                            .is_some()
                                    }
                                });
                            if !greeted {
                                self.greeting_hinted = true;
                                hints.push(pb::Hint {
                                    kind: pb::HintKind::MissingGreeting as i32,
                                    indicator_id: ind.spec.id.clone(),
                                    turn_index: index as i32,
                                    message: format!("no greeting yet: {}", ind.spec.description),
                                    suggestion: ind
                                        .phrases
                                        .first()
                                        .map(|p| std.phrases.original(*p).to_string())
                                        .unwrap_or_default(),
                                    phrase: String::new(),
                                    waited: None,
                                });
                            }
                        }
                        pb::IndicatorKind::NoRepeatedReply
                            if view.key != 0
                                && self.views.iter().any(|v| {
                                    v.speaker == pb::Speaker::Agent && v.key == view.key
                                }) =>
                        {
                            hints.push(pb::Hint {
                                    kind: pb::HintKind::RepeatedReply as i32,
                                    indicator_id: ind.spec.id.clone(),
                                    turn_index: index as i32,
                                    message: "the same reply was sent before: answer the customer's actual question".into(),
                                    suggestion: String::new(),
                                    phrase: String::new(),
                                    waited: None,
                                });
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        self.views.push(view);
        self.conversation.turns.push(turn);
        hints
    }

    /// The clock moved to `now` (microseconds): hints a customer waiting past the limit.
    pub fn tick(&mut self, now: i64) -> Vec<pb::Hint> {
        let Some((index, since)) = self.waiting else {
            return Vec::new();
        };
        let Some(limit) = self.standard.reply_limit(!self.replied_once) else {
            return Vec::new();
        };
        let waited = now - since;
        if self.waiting_hinted || waited < limit {
            return Vec::new();
        }
        self.waiting_hinted = true;
        vec![self.waiting_hint(index, waited)]
    }

    /// A waiting hint from a wall-clock timer that ran for `waited` microseconds.
    pub fn timer_fired(&mut self, waited: i64) -> Vec<pb::Hint> {
        match self.waiting {
            Some((index, _)) if !self.waiting_hinted => {
                self.waiting_hinted = true;
                vec![self.waiting_hint(index, waited)]
            }
            _ => Vec::new(),
        }
    }

    fn limit_indicator(&self, first: bool) -> String {
        let kind = if first {
            pb::IndicatorKind::FirstResponseTime
        } else {
            pb::IndicatorKind::ReplyTime
        };
        let limit = self.standard.reply_limit(first);
        self.standard
            .indicators
            .iter()
            .find(|i| i.kind == kind && i.threshold == limit)
            .or_else(|| {
                self.standard
                    .indicators
                    .iter()
                    .find(|i| i.kind == pb::IndicatorKind::ReplyTime)
            })
            .map(|i| i.spec.id.clone())
            .unwrap_or_default()
    }

    fn waiting_hint(&self, index: usize, waited: i64) -> pb::Hint {
        pb::Hint {
            kind: pb::HintKind::CustomerWaiting as i32,
            indicator_id: self.limit_indicator(!self.replied_once),
            turn_index: index as i32,
            message: format!("customer waiting {} s", waited / 1_000_000),
            suggestion: String::new(),
            phrase: String::new(),
            waited: Some(micros_duration(waited)),
        }
    }

    /// Ends the session: the whole conversation.
    pub fn into_conversation(self) -> pb::Conversation {
        self.conversation
    }
}

//! The decision: one pure function from (conversation state, inbound message, content, now)
//! to what to say, what to do, and the conversation's new state. No I/O, no clock, no HTTP:
//! the same inputs always give the same decision.
//!
//! Order of a turn: session bookkeeping → silence while a human owns the conversation →
//! language → first-contact autoresponse → a waiting flow step, else triggers, else the help
//! center → confidence decides (answer, "did you mean", hand off).

mod state;

use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

pub use self::state::*;

use crate::content::Content;
use crate::flow::validate::Validator;
use crate::flow::{self, Condition, Priority, Scope};
use crate::hours;
use crate::kb::Hit;
use crate::locale::{self, Language, Locale};
use crate::reply;
use crate::text::fold;

/// How many steps one turn may run before the flow is declared broken (a loop).
const STEP_BUDGET: usize = 200;
/// How deep `call` may nest.
const MAX_CALL_DEPTH: usize = 8;
/// How many "did you mean" options to offer.
const SUGGESTIONS: usize = 3;

/// Decides the bot's answer to one inbound message.
pub fn decide(
    content: &Content,
    state: &ConversationState,
    inbound: &Inbound,
    now: Timestamp,
) -> Decision {
    // An email reply is read without what it quotes or signs off with (the history keeps
    // the message as sent).
    let own;
    let inbound = match locale::own_words(&inbound.text) {
        Some(words) => {
            own = Inbound {
                text: words.to_string(),
                ..inbound.clone()
            };
            &own
        }
        None => inbound,
    };
    let mut turn = Turn::new(content, state, inbound, now);
    turn.run();
    turn.finish()
}

/// Sentences and clauses of a long message searched one at a time, besides the whole message.
const MAX_SENTENCE_READINGS: usize = 6;

/// A message of at most this many words, right after an answer, may be a follow-up that
/// leaves out its subject.
const FOLLOW_UP_WORDS: usize = 6;

/// A message not sure of any article alone may be read with the last answer's subject up to
/// this many words ("is there an extra charge for that?"): it loses nothing by the reading.
const UNSURE_FOLLOW_UP_WORDS: usize = 10;

/// A message of at most this many words may answer a later choice of the flow early ("it's
/// broken" while asked for the order number). In a longer one an option's word is more often
/// about something else ("I can't find it, the email was wrong").
const EARLY_ANSWER_WORDS: usize = 8;

/// A message of at most this many words that says the customer cannot give the value asked
/// for ("I don't have the number to hand, I checked out as a guest") ends the question. A
/// longer one more often asks something else.
const CANNOT_GIVE_WORDS: usize = 16;

/// How many of the follow-up's own articles it may be answered from, read with its topic.
const FOLLOW_UP_CANDIDATES: usize = 10;
/// The fewest words of a message that reports a case (`Article::report`): a short one asks
/// what to do ("my lamp arrived broken"), a long one tells the case with its details.
const REPORT_WORDS: usize = 40;

/// The longest statement read as saying why the last answer does not fit
/// (`Turn::rebuts_the_last_answer`).
const REBUTTAL_WORDS: usize = 20;

struct Turn<'a> {
    content: &'a Content,
    inbound: &'a Inbound,
    now: Timestamp,
    state: ConversationState,
    /// The previous reply asked what the question is (`ConversationState::greeted`).
    greeted_before: bool,
    /// This message opens a session: nothing was said to the customer before it.
    new_session: bool,
    /// What the previous reply answered (`ConversationState::topic`).
    topic_before: Option<String>,
    /// The passage the previous answer added (`ConversationState::topic_detail`).
    topic_detail_before: Option<String>,
    /// This message was read together with `topic_before`.
    followed_up: bool,
    /// This message started the flow that runs: its questions may be answered by it
    /// ("I want to return order 12345678" gives the order number).
    started_flow: bool,
    locale: Locale,
    chain: Vec<Locale>,
    language: Language,
    customer_timezone: Option<TimeZone>,
    action: Action,
    replies: Vec<Reply>,
    confidence: Option<f32>,
    article: Option<crate::engine::ArticleRef>,
    suggestions: Vec<ArticleRef>,
    flow: Option<String>,
    handoff: Option<HandoffDecision>,
    hits: Vec<Hit>,
    /// Extra template variables for the next render (article, suggestions, reason…).
    extra: BTreeMap<&'static str, Value>,
    /// The queue templates describe by default (the hand-off's queue once there is one).
    queue: String,
    /// The message with misspelled words read as the content spells them, when any were.
    corrected: Option<String>,
    /// The articles the previous reply's "did you mean" offered, in its order (empty when it
    /// offered none).
    offered_before: Vec<String>,
}

impl<'a> Turn<'a> {
    fn new(
        content: &'a Content,
        previous: &ConversationState,
        inbound: &'a Inbound,
        now: Timestamp,
    ) -> Self {
        let settings = &content.settings;
        let default_locale = settings.default_locale.clone();
        Turn {
            content,
            inbound,
            now,
            state: ConversationState {
                greeted: false,
                topic: None,
                topic_detail: None,
                ..previous.clone()
            },
            greeted_before: previous.greeted,
            offered_before: previous.offered.clone(),
            new_session: false,
            topic_before: previous.topic.clone(),
            topic_detail_before: previous.topic_detail.clone(),
            followed_up: false,
            started_flow: false,
            chain: vec![default_locale.clone()],
            language: default_locale.language().unwrap_or(Language::En),
            locale: default_locale,
            customer_timezone: inbound
                .customer
                .timezone
                .as_deref()
                .and_then(|tz| TimeZone::get(tz).ok()),
            action: Action::None,
            replies: Vec::new(),
            confidence: None,
            article: None,
            suggestions: Vec::new(),
            flow: None,
            handoff: None,
            hits: Vec::new(),
            extra: BTreeMap::new(),
            queue: settings.default_queue.clone(),
            corrected: None,
        }
    }

    /// The text flows and the help center match: the message, its misspellings corrected.
    /// (Small talk, choices and slot values are read from the message as written.)
    fn matching_text(&self) -> &str {
        self.corrected.as_deref().unwrap_or(&self.inbound.text)
    }

    fn finish(self) -> Decision {
        Decision {
            action: self.action,
            replies: self.replies,
            locale: self.locale.to_string(),
            confidence: self.confidence,
            article: self.article,
            suggestions: self.suggestions,
            flow: self.flow,
            handoff: self.handoff,
            slots: self.state.slots.clone(),
            content_version: self.content.version.clone(),
            state: self.state,
        }
    }

    fn run(&mut self) {
        self.release_idle_human();
        self.new_session = self.start_or_continue_session();
        // Also while a person owns the conversation: the decision (and the follow-up event
        // the helpdesk gets) names the customer's language, not the default.
        self.choose_locale();
        if matches!(self.state.owner, Owner::Human { .. }) {
            // A person owns the conversation: the bot says nothing, but an order number the
            // customer adds ("it's order 14562290") is kept with the conversation, and the
            // helpdesk's follow-up event carries it.
            self.remember_values();
            return;
        }
        // Chat shorthand first ("do u guys ship to spain", "ik wil mn bestelling annuleren"),
        // then misspellings.
        let expanded = locale::expand_chat_words(self.language, &self.inbound.text);
        let written = expanded.as_deref().unwrap_or(&self.inbound.text);
        let corrected = self
            .content
            .spellers
            .get(&self.language)
            .and_then(|speller| {
                // Small talk, courtesy and function words are known without the content.
                let language = self.language;
                speller.correct(written, |folded| locale::is_known_word(language, folded))
            });
        self.corrected = corrected.or(expanded);
        if let Some(corrected) = &self.corrected {
            tracing::debug!(%corrected, "misspellings corrected");
        }
        // A later session that opens with thanks or a goodbye ("sorted with your colleague,
        // thanks") needs no introduction.
        let closing = self.state.session > 1
            && matches!(
                locale::small_talk(&self.inbound.text),
                Some(locale::SmallTalk::Thanks | locale::SmallTalk::Goodbye)
            );
        self.respond();
        if self.new_session && !closing {
            self.introduce();
        }
    }

    /// The autoresponse of a new session, put before the turn's replies. It is written last
    /// so that it knows what they say: when a hand-off, the off-hours notice or the opening
    /// hours already tell when a person replies (perhaps another queue's, at another hour),
    /// the template gets `hours_follow` and need not say it too.
    fn introduce(&mut self) {
        let default_queue = self.content.settings.default_queue.clone();
        let (open_now, next_open_at) = self.queue_open(&default_queue);
        let said_when = |replies: &[Reply], next_open: &str| {
            replies.iter().any(|reply| {
                matches!(reply.kind, ReplyKind::Handoff | ReplyKind::OffHours)
                    || (!next_open.is_empty() && reply.text.contains(next_open))
            })
        };
        let queue = std::mem::replace(&mut self.queue, default_queue);
        let next_open = if open_now {
            String::new()
        } else {
            self.template_data(self.language)["next_open"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let later = std::mem::take(&mut self.replies);
        self.extra
            .insert("hours_follow", Value::Bool(said_when(&later, &next_open)));
        self.extra
            .insert("returning", Value::Bool(self.state.session > 1));
        self.run_passive_flow("first_contact", ReplyKind::Autoresponse);
        self.replies.extend(later);
        self.queue = queue;
        // Told when the default queue opens, the customer is not told again this session
        // unless a hand-off needs it.
        if !open_now && self.state.off_hours_notice_for.is_none() {
            self.state.off_hours_notice_for = next_open_at;
        }
    }

    /// Everything of the turn but the autoresponse: a flow, an answer, suggestions or a
    /// hand-off.
    fn respond(&mut self) {
        self.remember_values();
        if let Some(position) = self.state.waiting.clone() {
            if let Some(found) = self.flow_trigger(&[Scope::Always, Scope::InFlow]) {
                self.start_flow(found.flow, found.slots);
                return;
            }
            if self.answer_waiting_step(&position) {
                return;
            }
        }
        if let Some(found) = self.flow_trigger(&[Scope::Always, Scope::Idle]) {
            self.start_flow(found.flow, found.slots);
            return;
        }
        if self.pick_offered_suggestion() {
            return;
        }
        self.search_help_center();
    }

    /// The flow the message starts, if any: as written (with its slips corrected), else with
    /// the help center's synonyms ("j'ai reçu le mauvais coussin" as "… le mauvais article",
    /// which the returns flow knows for a wrong item).
    fn flow_trigger(&self, scopes: &[Scope]) -> Option<crate::flow::triggers::TriggerMatch> {
        let find = |text: &str| {
            self.content
                .triggers
                .find(&self.content.flows, text, self.message_language(), scopes)
        };
        find(self.matching_text())
            // A pattern is written against what customers type: a word the spelling step
            // changed ("annulée" read as "annuler") still matches as typed.
            .or_else(|| {
                self.corrected
                    .as_ref()
                    .and_then(|_| find(&self.inbound.text))
            })
            .or_else(|| {
                match self
                    .content
                    .help_center
                    .with_synonyms(self.language, self.matching_text())
                {
                    Cow::Owned(read) => find(&read),
                    Cow::Borrowed(_) => None,
                }
            })
    }

    /// A person who has not been active for `human_idle_minutes` gives the conversation back.
    fn release_idle_human(&mut self) {
        if let Owner::Human { since, .. } = &self.state.owner {
            let idle = SignedDuration::from_mins(self.content.settings.human_idle_minutes as i64);
            if self.now.duration_since(*since) > idle {
                self.state.owner = Owner::Bot;
            }
        }
    }

    /// The language the customer writes in (their locale's), for single-word keywords.
    fn message_language(&self) -> Language {
        self.locale.language().unwrap_or(self.language)
    }

    /// Starts a new session after inactivity; returns whether this message opens one.
    fn start_or_continue_session(&mut self) -> bool {
        let idle = SignedDuration::from_mins(self.content.settings.session_idle_minutes as i64);
        let new_session = match self.state.last_message_at {
            None => true,
            Some(last) => self.now.duration_since(last) > idle,
        };
        if new_session {
            self.state.session += 1;
            self.state.session_started_at = Some(self.now);
            self.state.misses = 0;
            self.state.waiting = None;
            self.state.stack.clear();
            self.state.offered.clear();
            self.state.slots.clear();
            self.state.off_hours_notice_for = None;
            self.greeted_before = false;
            self.topic_before = None;
        }
        self.state.last_message_at = Some(self.now);
        new_session
    }

    /// The customer's locale when given; else the conversation's; else detected from the
    /// text; else the default. Help-center language falls back to the default's.
    fn choose_locale(&mut self) {
        let settings = &self.content.settings;
        let languages = settings.languages();
        // The channel's hint, when it names a language the content serves.
        let given = self
            .inbound
            .customer
            .locale
            .as_deref()
            .and_then(Locale::from_hint)
            .filter(|given| given.language().is_some_and(|l| languages.contains(&l)));
        let remembered = self.state.locale.as_deref().and_then(Locale::parse);
        let other_language = std::cell::Cell::new(false);
        // Small talk's words are shared by the help centers' ("top", "super"): its own
        // words tell its language first: a greeting, or a thanks or goodbye that only one
        // language has ("top, bedankt!", "merci"). English thanks are typed in every
        // language, and do not decide it.
        let small_talk = locale::small_talk(&self.inbound.text).is_some();
        let own_words = || {
            if !small_talk {
                return None;
            }
            locale::greeting_language(&self.inbound.text, &languages)
                .or_else(|| {
                    locale::closing_language(&self.inbound.text, &languages)
                        .filter(|l| *l != Language::En)
                })
                .map(Locale::from_language)
        };
        let detected = || {
            if let Some(locale) = own_words() {
                return Some(locale);
            }
            // The help center's own vocabulary and the flows' phrases know this domain's
            // words; whatlang's general statistics are the fallback for text they do not cover.
            self.content
                .help_center
                .guess_language(&self.inbound.text)
                .filter(|l| languages.contains(l))
                .or_else(|| {
                    self.content
                        .triggers
                        .phrase_language(&self.inbound.text)
                        .filter(|l| languages.contains(l))
                })
                .or_else(|| match locale::detect(&self.inbound.text, &languages) {
                    locale::Detection::Candidate(language) => Some(language),
                    locale::Detection::Other => {
                        // German, Portuguese or Italian the shop does not serve: no greeting
                        // or shared word makes it Dutch, Spanish or French.
                        other_language.set(true);
                        None
                    }
                    locale::Detection::Unclear => {
                        locale::greeting_language(&self.inbound.text, &languages)
                    }
                })
                .map(Locale::from_language)
        };
        // The hint says what a short or shared-word message cannot ("ok", "super"); a
        // message of a few words that the help center's or the flows' vocabulary places in
        // another served language says more ("¿Cuánto cuesta el envío?" from a phone set to
        // English).
        let written_in = || {
            if locale::word_count(&self.inbound.text) < HINT_OVERRIDE_WORDS || small_talk {
                return None;
            }
            self.content
                .help_center
                .guess_language(&self.inbound.text)
                .or_else(|| self.content.triggers.phrase_language(&self.inbound.text))
                .filter(|l| languages.contains(l))
        };
        let given = given.map(|given| match written_in() {
            Some(language) if given.language() != Some(language) => Locale::from_language(language),
            Some(_) => given,
            // A short message in a conversation the customer has been writing in another
            // language than the hint's ("top" after two Dutch questions from a phone set to
            // English) goes on in the conversation's language, unless its own words say
            // otherwise ("merci").
            None => match &remembered {
                Some(remembered) if remembered.language() != given.language() => {
                    own_words().unwrap_or_else(|| remembered.clone())
                }
                _ => given,
            },
        });
        let locale = given
            .or_else(|| {
                // A clear detection wins over memory: customers switch language.
                detected().or(remembered)
            })
            .or_else(|| {
                // A first message nothing else could place, read by the few words the help
                // centers know ("vous", "jullie"); never against a remembered locale.
                self.content
                    .help_center
                    .lean_language(&self.inbound.text)
                    .filter(|l| languages.contains(l) && !other_language.get())
                    .map(Locale::from_language)
            })
            .or_else(|| {
                locale::closing_language(&self.inbound.text, &languages)
                    .filter(|_| !other_language.get())
                    .map(Locale::from_language)
            })
            .unwrap_or_else(|| settings.default_locale.clone());
        let default_language = settings.default_locale.language().unwrap_or(Language::En);
        self.language = locale
            .language()
            .filter(|l| languages.contains(l) && self.content.help_center.has_language(*l))
            .unwrap_or(default_language);
        self.chain = locale.fallback_chain(&settings.default_locale);
        self.state.locale = Some(locale.to_string());
        self.locale = locale;
    }

    // ---- flows -------------------------------------------------------------------------

    fn start_flow(&mut self, flow: usize, slots: BTreeMap<String, String>) {
        self.state.waiting = None;
        self.state.stack.clear();
        self.state.offered.clear();
        self.state.misses = 0;
        self.state.slots.extend(slots);
        self.action = Action::Flow;
        self.flow = Some(self.content.flows.flows[flow].name.clone());
        // The message that starts the flow answers what it can: a choice it names in words
        // ("I want to return my lamp, it's broken"), and, below, values a question's
        // pattern finds in it ("I want to return order 12345678").
        if let Some((slot, choice)) = self.later_choice_named(flow, usize::MAX) {
            self.state.slots.insert(slot, choice);
        }
        self.started_flow = true;
        self.run_steps(flow, Some(0));
    }

    /// Treats the message as the answer to the waiting `ask`. Returns false when the waiting
    /// position no longer exists (content changed), so the message is handled afresh.
    fn answer_waiting_step(&mut self, position: &FlowPosition) -> bool {
        let flows = &self.content.flows;
        let Some(flow_index) = flows.index(&position.flow) else {
            self.state.waiting = None;
            return false;
        };
        let flow = &flows.flows[flow_index];
        let Some(step_index) = flow.steps.iter().position(|s| s.id == position.step) else {
            self.state.waiting = None;
            return false;
        };
        let step = &flow.steps[step_index];
        let flow::Action::Ask(ask) = &step.action else {
            self.state.waiting = None;
            return false;
        };
        self.state.waiting = None;
        let answer = self.inbound.text.trim();
        let value = match &ask.validator {
            Some(validator) => validator.check(answer),
            None => (!answer.is_empty()).then(|| answer.to_string()),
        };
        let takes_a_value = ask.validator.as_ref().is_some_and(|v| v.expects_a_value());
        if value.is_none() && locale::takes_leave(answer) {
            // "cheers, that's all", "merci, bonne journée": the customer is done, and the
            // question is let go; the thanks or goodbye is answered as anywhere else.
            tracing::debug!(flow = %flow.name, "question let go: the customer takes leave");
            return false;
        }
        if value.is_none() {
            let early = self.later_choice_named(flow_index, step_index);
            if let Some((slot, choice)) = &early {
                tracing::debug!(flow = %flow.name, %slot, %choice, "later question answered early");
                self.state.slots.insert(slot.clone(), choice.clone());
            }
            if takes_a_value
                && locale::word_count(answer) <= CANNOT_GIVE_WORDS
                && locale::cannot_give(answer)
            {
                // "I don't have it", "no lo encuentro": asking again would not bring the
                // value, so the flow goes on as when the retries run out.
                self.action = Action::Flow;
                self.flow = Some(flow.name.clone());
                self.fail_step(flow_index, ask.on_fail);
                return true;
            }
            // Not this step's answer but a later one's ("it's broken" while asked for the
            // order number: `noted`), or the customer going to look ("hang on, let me look",
            // "un momento", "ok": `waiting`): the same question again, without counting a
            // miss, so that a customer who takes a while is not passed to a person for it.
            let again = if early.is_some() {
                Some("noted")
            } else if locale::holding_on(answer) {
                Some("waiting")
            } else {
                None
            };
            if let Some(why) = again {
                self.action = Action::Flow;
                self.flow = Some(flow.name.clone());
                self.extra.insert(
                    "attempt",
                    json!({ "has_digits": false, "last": false, why: true }),
                );
                self.say(&ask.invalid.clone(), ReplyKind::Flow);
                self.state.waiting = Some(position.clone());
                return true;
            }
        }
        if value.is_none() && !takes_a_value && self.answers_side_question(&ask.prompt) {
            // "Do I pay for the return shipping?" while asked why: answered, and the
            // question asked again, without counting a miss.
            self.flow = Some(flow.name.clone());
            self.state.waiting = Some(position.clone());
            return true;
        }
        if value.is_none() && takes_a_value {
            if let Some(top) = flow.topic.as_deref().and_then(|t| self.topic_question(t)) {
                // "How long do I have?" while the returns flow asks for the order number: a
                // question about the flow's subject, answered, and the number asked again,
                // without counting a miss.
                tracing::debug!(flow = %flow.name, "a question about the flow's subject answered");
                let question = locale::question_part(self.matching_text()).to_string();
                self.answer_with(top.article, Some(top.confidence), Some(&question));
                self.flow = Some(flow.name.clone());
                self.say(&ask.prompt.clone(), ReplyKind::Flow);
                self.state.waiting = Some(position.clone());
                return true;
            }
        }
        if value.is_none() && takes_a_value && self.asks_something_else() {
            // Not an answer but another question ("I want to cancel my order" while asked
            // for an order number): the flow gives way and the question is handled as new.
            // Only where the answer is a value: a reason in words is an answer even when
            // the step's choices do not list it.
            return false;
        }
        self.action = Action::Flow;
        self.flow = Some(flow.name.clone());
        match value {
            Some(value) => {
                // "12345678, it arrived broken" answers the next question too.
                if let Some((slot, choice)) = self.later_choice_named(flow_index, step_index) {
                    self.state.slots.insert(slot, choice);
                }
                self.state.slots.insert(ask.slot.clone(), value);
                self.run_steps(flow_index, step.next);
            }
            None => {
                let retries = position.retries + 1;
                if retries > ask.retries {
                    self.fail_step(flow_index, ask.on_fail);
                } else {
                    // The re-ask can tell a mistyped value ("1234") from a reply that has
                    // none ("I don't know"), and say when the next miss goes to a person.
                    self.extra.insert(
                        "attempt",
                        json!({
                            "has_digits": answer.chars().any(|c| c.is_ascii_digit()),
                            "last": retries == ask.retries,
                        }),
                    );
                    self.say(&ask.invalid.clone(), ReplyKind::Flow);
                    self.state.waiting = Some(FlowPosition {
                        flow: position.flow.clone(),
                        step: position.step.clone(),
                        retries,
                    });
                }
            }
        }
        true
    }

    /// Goes on where a question sends a customer who cannot answer it: its `on_fail` step, or
    /// a person.
    fn fail_step(&mut self, flow_index: usize, on_fail: Option<usize>) {
        match on_fail {
            Some(target) => self.run_steps(flow_index, Some(target)),
            None => self.hand_off(None, Priority::Normal, "retries_exhausted", None),
        }
    }

    /// A choice in words that the message makes for a question of the flow, other than the
    /// `waiting` step, that is not answered yet: (slot, option).
    ///
    /// A short message is read whole. In a longer one an option's word is more often about
    /// something else, so only the part that gives a reason is read: what follows "because"
    /// ("… because it arrived broken"), and in the message that starts the flow (`waiting`
    /// is `usize::MAX`) a short sentence or clause after its first ("I want to return an
    /// item, it arrived broken").
    fn later_choice_named(&self, flow_index: usize, waiting: usize) -> Option<(String, String)> {
        let text = self.inbound.text.as_str();
        let short = |part: &&str| locale::word_count(part) <= EARLY_ANSWER_WORDS;
        let mut parts: Vec<&str> = Vec::new();
        if short(&text) {
            parts.push(text);
        } else {
            parts.extend(locale::because_clause(self.language, text).filter(short));
            if waiting == usize::MAX {
                for (index, sentence) in locale::sentences(text).into_iter().enumerate() {
                    let clauses = locale::clauses(sentence);
                    // The first sentence or clause is the request that started the flow.
                    let skip = if index == 0 { 2 } else { 0 };
                    parts.extend(clauses.into_iter().skip(skip).filter(short));
                }
            }
        }
        let flow = &self.content.flows.flows[flow_index];
        parts.into_iter().find_map(|part| {
            flow.steps
                .iter()
                .enumerate()
                .filter(|(index, _)| *index != waiting)
                .find_map(|(_, step)| {
                    let flow::Action::Ask(ask) = &step.action else {
                        return None;
                    };
                    if self.state.slots.contains_key(&ask.slot) {
                        return None;
                    }
                    let choice = ask.validator.as_ref()?.choice_named(part)?;
                    Some((ask.slot.clone(), choice))
                })
        })
    }

    /// Whether a message that does not answer the waiting step is a question of its own:
    /// it starts another flow, or the help center answers it with confidence.
    fn asks_something_else(&self) -> bool {
        !locale::is_small_talk(&self.inbound.text) && self.other_question().is_some()
    }

    /// What a message asks besides the waiting step: `Some(None)` when it starts another
    /// flow, `Some(Some(hit))` when an article answers it with confidence, `None` otherwise.
    fn other_question(&self) -> Option<Option<Hit>> {
        let content = self.content;
        let starts_a_flow = content
            .triggers
            .find(
                &content.flows,
                self.matching_text(),
                self.message_language(),
                &[Scope::Idle],
            )
            .is_some();
        if starts_a_flow {
            return Some(None);
        }
        let thresholds = content.settings.thresholds_for(&self.locale);
        self.help_center_hits(1)
            .into_iter()
            .next()
            .filter(|top| {
                let article = content.help_center.article(top.article);
                top.confidence >= article.threshold.unwrap_or(thresholds.answer)
            })
            .map(Some)
    }

    /// A short question asked while a flow waits for a value that the message alone does not
    /// answer with confidence, read with the subject of the flow's `topic` article ("how long
    /// do I have?" in the returns flow: the return policy; "kan ik het ergens volgen?" in the
    /// order status flow: tracking): the article that reading is sure of, among those the
    /// message finds alone. A question the message answers alone is left to
    /// `asks_something_else`.
    fn topic_question(&self, topic: &str) -> Option<Hit> {
        let text = self.matching_text();
        if !locale::asks_a_question(&self.inbound.text)
            || locale::word_count(text) > UNSURE_FOLLOW_UP_WORDS
            || locale::is_small_talk(&self.inbound.text)
            || !locale::names_something(self.language, text)
        {
            return None;
        }
        let content = self.content;
        let help_center = &content.help_center;
        let threshold = |hit: &Hit| {
            help_center
                .article(hit.article)
                .threshold
                .unwrap_or(content.settings.thresholds_for(&self.locale).answer)
        };
        let own = help_center.search(self.language, text, FOLLOW_UP_CANDIDATES);
        let title = &help_center
            .articles()
            .iter()
            .find(|article| article.id == topic && article.language == self.language)?
            .title;
        let read = help_center
            .search(
                self.language,
                &format!("{text} {title}"),
                FOLLOW_UP_CANDIDATES,
            )
            .into_iter()
            .find(|hit| own.iter().any(|own| own.article == hit.article))
            .filter(|top| top.confidence >= threshold(top))?;
        // Sure alone of the same article, or surer alone of another ("do you ship to
        // Belgium?"): a question of its own, for `asks_something_else`, unless that article
        // is the subject itself ("¿cuántos días tengo?" sure alone of the return period in
        // the returns flow: answered, and the flow goes on). Read with the subject, surer
        // of another ("hoeveel dagen heb ik daarvoor" reads as the delivery times alone, as
        // the return period in the returns flow): the subject decides.
        match own.first() {
            Some(alone) if alone.confidence >= threshold(alone) => {
                let of_the_subject =
                    alone.article == read.article && help_center.article(read.article).id == topic;
                let surer_of_another =
                    alone.article != read.article && read.confidence > alone.confidence;
                (of_the_subject || surer_of_another).then_some(read)
            }
            _ => Some(read),
        }
    }

    /// A question asked while a flow waits for a choice or a reason, that the help center
    /// answers with confidence and no flow takes ("is the return free?" while asked why the
    /// item goes back): answered with its article, followed by the waiting question's
    /// `prompt` again. False, with nothing said, for anything else.
    fn answers_side_question(&mut self, prompt: &str) -> bool {
        let text = self.inbound.text.trim();
        if !text.contains('?') || locale::is_small_talk(text) {
            return false;
        }
        let Some(Some(top)) = self.other_question() else {
            return false;
        };
        let question = locale::question_part(self.matching_text()).to_string();
        self.answer_with(top.article, Some(top.confidence), Some(&question));
        self.say(prompt, ReplyKind::Flow);
        true
    }

    /// Runs steps from `start` until the flow asks, hands off, or ends.
    fn run_steps(&mut self, mut flow_index: usize, start: Option<usize>) {
        let flows = &self.content.flows;
        let mut current = start;
        for _ in 0..STEP_BUDGET {
            let Some(step_index) = current else {
                // The flow ended: return to a caller, if any.
                match self.state.stack.pop() {
                    Some(frame) => {
                        let resumed = flows.index(&frame.flow).and_then(|f| {
                            flows.flows[f]
                                .steps
                                .iter()
                                .position(|s| s.id == frame.step)
                                .map(|s| (f, s))
                        });
                        match resumed {
                            Some((f, s)) => {
                                flow_index = f;
                                current = Some(s);
                            }
                            None => current = None,
                        }
                        continue;
                    }
                    None => return,
                }
            };
            let flow = &flows.flows[flow_index];
            let step = &flow.steps[step_index];
            current = match &step.action {
                flow::Action::Say(template) => {
                    self.say(template, ReplyKind::Flow);
                    step.next
                }
                flow::Action::Ask(ask) => {
                    let prefilled = self.state.slots.get(&ask.slot).cloned();
                    let accepted = prefilled
                        .and_then(|value| match &ask.validator {
                            Some(validator) => validator.check(&value),
                            None => Some(value),
                        })
                        .or_else(|| {
                            // A value the question's pattern finds in the message that
                            // started the flow.
                            match ask.validator.as_ref()? {
                                validator @ Validator::Regex(_) if self.started_flow => {
                                    validator.check(&self.inbound.text)
                                }
                                _ => None,
                            }
                        });
                    match accepted {
                        Some(value) => {
                            self.state.slots.insert(ask.slot.clone(), value);
                            step.next
                        }
                        None => {
                            self.state.slots.remove(&ask.slot);
                            self.say(&ask.prompt, ReplyKind::Flow);
                            self.state.waiting = Some(FlowPosition {
                                flow: flow.name.clone(),
                                step: step.id.clone(),
                                retries: 0,
                            });
                            return;
                        }
                    }
                }
                flow::Action::Branch { arms, otherwise } => arms
                    .iter()
                    .find(|(condition, _)| self.holds(condition))
                    .map(|(_, target)| *target)
                    .or(*otherwise),
                flow::Action::Set { slot, value } => {
                    self.state.slots.insert(slot.clone(), value.clone());
                    step.next
                }
                flow::Action::GotoFlow(target) => {
                    flow_index = *target;
                    Some(0)
                }
                flow::Action::Call(target) => {
                    if self.state.stack.len() >= MAX_CALL_DEPTH {
                        tracing::warn!(flow = %flow.name, "flow calls nest too deep");
                        self.hand_off(None, Priority::Normal, "flow_error", None);
                        return;
                    }
                    if let Some(next) = step.next {
                        self.state.stack.push(FlowPosition {
                            flow: flow.name.clone(),
                            step: flow.steps[next].id.clone(),
                            retries: 0,
                        });
                    }
                    flow_index = *target;
                    Some(0)
                }
                flow::Action::Handoff(handoff) => {
                    let handoff = handoff.clone();
                    // A step that names no queue hands the case at hand to its article's
                    // queue (the order number for a refund just answered goes to billing);
                    // without one, to the default queue.
                    let queue = handoff.queue.clone().or_else(|| {
                        self.case_article()
                            .and_then(|article| self.queue_for_article(article))
                    });
                    self.hand_off(
                        queue.as_deref(),
                        handoff.priority,
                        &handoff.reason,
                        handoff.message.as_deref(),
                    );
                    return;
                }
                flow::Action::End => None,
            };
        }
        tracing::warn!(flow = %flows.flows[flow_index].name, "flow ran out of step budget (a loop?)");
        self.hand_off(None, Priority::Normal, "flow_error", None);
    }

    /// Runs a system flow that only talks (first contact, didn't understand, off hours).
    fn run_passive_flow(&mut self, name: &str, kind: ReplyKind) {
        let Some(flow_index) = self.content.flows.index(name) else {
            return;
        };
        let flow = &self.content.flows.flows[flow_index];
        let mut current = Some(0);
        for _ in 0..STEP_BUDGET {
            let Some(step_index) = current else { return };
            let step = &flow.steps[step_index];
            current = match &step.action {
                flow::Action::Say(template) => {
                    self.say(template, kind);
                    step.next
                }
                flow::Action::Set { slot, value } => {
                    self.state.slots.insert(slot.clone(), value.clone());
                    step.next
                }
                flow::Action::Branch { arms, otherwise } => arms
                    .iter()
                    .find(|(condition, _)| self.holds(condition))
                    .map(|(_, target)| *target)
                    .or(*otherwise),
                _ => None,
            };
        }
    }

    fn holds(&self, condition: &Condition) -> bool {
        match condition {
            Condition::Open(queue) => self.queue_open(queue).0,
            Condition::Closed(queue) => !self.queue_open(queue).0,
            Condition::SlotEquals(slot, value) => self
                .state
                .slots
                .get(slot)
                .is_some_and(|v| fold(v) == fold(value)),
            Condition::SlotOneOf(slot, values) => self
                .state
                .slots
                .get(slot)
                .is_some_and(|v| values.iter().any(|value| fold(v) == fold(value))),
            Condition::SlotPresent(slot, present) => {
                self.state.slots.contains_key(slot) == *present
            }
            Condition::Channel(channels) => channels
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&self.inbound.channel)),
            Condition::Answered(answered) => self.case_article().is_some() == *answered,
            Condition::Locale(locales) => locales.iter().any(|l| {
                l.eq_ignore_ascii_case(self.locale.as_str())
                    || l.eq_ignore_ascii_case(self.locale.language_code())
            }),
        }
    }

    // ---- help center -------------------------------------------------------------------

    /// "2" (or "the second one", "la segunda", "de tweede") after a "did you mean" answers
    /// with the second offered article.
    fn pick_offered_suggestion(&mut self) -> bool {
        if self.state.offered.is_empty() {
            return false;
        }
        let offered = std::mem::take(&mut self.state.offered);
        if locale::is_no(&self.inbound.text) {
            // "no" to the list: asked to say more, as the list invited. The miss of the list
            // still counts, so an unsure reading of what follows goes to a person.
            self.action = Action::Flow;
            self.flow = Some("didnt_understand".to_string());
            self.extra.insert("declined", Value::Bool(true));
            self.run_passive_flow("didnt_understand", ReplyKind::Fallback);
            return true;
        }
        let yes = locale::is_yes(&self.inbound.text);
        if yes && offered.len() > 1 {
            // "yes" to several suggestions names none of them: the same list again, asking
            // which (not a miss: the customer is answering).
            return self.offer_again(offered);
        }
        // "yes" to a single suggestion picks it.
        let single_yes = || (offered.len() == 1 && yes).then_some(1);
        let Some(id) = locale::choice(&self.inbound.text)
            .or_else(single_yes)
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| offered.get(i))
        else {
            return false;
        };
        let found = self
            .content
            .help_center
            .articles()
            .iter()
            .position(|a| &a.id == id && a.language == self.language);
        match found {
            Some(index) => {
                self.answer_with(index, None, None);
                true
            }
            None => false,
        }
    }

    /// The suggestions offered last, listed again with "which one?" (the `suggest` template
    /// with `again`). False, with nothing said, when fewer than two of them still exist (the
    /// content changed since).
    fn offer_again(&mut self, offered: Vec<String>) -> bool {
        let articles = self.content.help_center.articles();
        let again: Vec<ArticleRef> = offered
            .iter()
            .filter_map(|id| {
                articles
                    .iter()
                    .find(|a| &a.id == id && a.language == self.language)
            })
            .map(|a| ArticleRef {
                id: a.id.clone(),
                title: a.title.clone(),
                url: a.url.clone(),
                confidence: None,
            })
            .collect();
        if again.len() < 2 {
            return false;
        }
        self.extra.insert("again", Value::Bool(true));
        self.show_suggestions(again);
        true
    }

    fn search_help_center(&mut self) {
        if !self.new_session && locale::going_to_look(&self.inbound.text) {
            // "attendez je cherche" after an answer that asked for the order number: the
            // customer is looking something up, and the conversation goes on where it was.
            self.take_your_time();
            return;
        }
        if is_a_stray_number(&self.inbound.text) {
            // "3" with no list to pick from: a number alone says nothing to search for (its
            // digit would otherwise find "pay in 3 instalments").
            self.miss_without_match();
            return;
        }
        if self.topic_before.is_some() && locale::says_not_helped(&self.inbound.text) {
            // "still doesn't work" right after an answer: a person takes over.
            self.answer_did_not_help(self.previous_answer());
            return;
        }
        let settings = &self.content.settings;
        let thresholds = settings.thresholds_for(&self.locale);
        self.hits = self.help_center_hits(SUGGESTIONS.max(5));
        self.read_as_follow_up(thresholds.answer);
        let top_confidence = self.hits.first().map_or(0.0, |h| h.confidence);

        // A flow whose example phrases match better than any article starts instead.
        if let Some(example) = self.content.triggers.best_example(
            &self.content.flows,
            self.language,
            self.matching_text(),
            &[Scope::Always, Scope::Idle],
        ) {
            if example.confidence >= thresholds.answer && example.confidence >= top_confidence {
                self.confidence = Some(round(example.confidence));
                self.start_flow(example.flow, BTreeMap::new());
                return;
            }
        }
        self.confidence = self.hits.first().map(|h| h.confidence);
        let small_talk = locale::small_talk(&self.inbound.text);
        let Some(top) = self.hits.first().cloned() else {
            // Nothing left to search ("help": a word of asking only) is small talk or a miss.
            match small_talk.or_else(|| self.closes_after_an_answer(None)) {
                Some(kind) => self.reply_to_small_talk(kind),
                None => self.miss_without_match(),
            }
            return;
        };
        let article = self.content.help_center.article(top.article);
        let answer_threshold = article.threshold.unwrap_or(thresholds.answer);
        if small_talk.is_none() {
            if let Some(kind) = self.closes_after_an_answer(Some((&top, answer_threshold))) {
                self.reply_to_small_talk(kind);
                return;
            }
            // A long message that reports a case the team resolves ("… the glass of the
            // Nova lamp was broken in three pieces, I have photos, please send a new one"),
            // whose article would only tell the customer to contact the team with the
            // details they have just given: a person takes the case.
            if let Some(priority) = article.report {
                let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
                if top.confidence >= suggest
                    && locale::word_count(&self.inbound.text) >= REPORT_WORDS
                {
                    let queue = self.queue_for_article(top.article);
                    self.confidence = Some(top.confidence);
                    self.extra.insert("reported", Value::Bool(true));
                    self.hand_off(queue.as_deref(), priority, "reported_case", None);
                    return;
                }
            }
            // Right after an answer or a "did you mean", a message that gives an order
            // number with what it is about ("order 60218873, new address is Kerkstraat 14",
            // "c'est la commande 73645128, elle n'est pas encore partie") and that no article
            // answers with confidence gives a person what the case needs.
            if top.confidence < answer_threshold
                && (self.topic_before.is_some() || !self.offered_before.is_empty())
                && !self.new_session
                && self.gives_an_order_number()
            {
                // The case is the one just answered (an invoice to correct goes to billing,
                // whatever the company name in the message reads like); after a list, the
                // message's own best article when it is sure enough to suggest.
                let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
                let queue = self
                    .previous_answer()
                    .or_else(|| (top.confidence >= suggest).then_some(top.article))
                    .and_then(|article| self.queue_for_article(article));
                self.hand_off(
                    queue.as_deref(),
                    Priority::Normal,
                    "order_number_after_answer",
                    None,
                );
                return;
            }
        }
        // Small talk ("thanks", "I don't know") is answered only by an article about small
        // talk, one with such a question: "weet ik niet" shares "weet" with "Hoe weet ik
        // wanneer mijn pakket komt?", and that is no reason to explain parcel tracking.
        let about_small_talk = || {
            std::iter::once(&article.title)
                .chain(&article.questions)
                .any(|question| locale::is_small_talk(question))
        };
        // One word says too little to answer with an article its title does not name:
        // "problem" is not a question about passwords, "stop" not one about cancelling; nor
        // with one when another suggestion's title names it too ("my account" is as much
        // about creating one as about deleting it). One word that names something among
        // more words that name nothing must be a word the article itself uses
        // (`HelpCenter::article_uses_word`), not only the same stem: "ya ha salido" ("it has
        // already left") shares only "sal" with "me sale un error al pagar".
        let one_word_elsewhere = || {
            let text = self.matching_text();
            let help_center = &self.content.help_center;
            let words = locale::word_count(text);
            // "Hi, I have a problem with my order" says that something is wrong with the
            // order, not what: the customer chooses among the order's articles.
            if words <= 2 * FOLLOW_UP_WORDS
                && locale::says_a_problem(text)
                && locale::naming_words(self.language, text).len() == 1
            {
                return true;
            }
            if words > FOLLOW_UP_WORDS {
                // Enough words to say what they ask.
                return false;
            }
            let naming = locale::naming_words(self.language, text);
            if words == 1 || (words == 2 && naming.len() == 1) {
                let word = if words == 1 { text } else { naming[0].as_str() };
                return !help_center.title_mentions(top.article, word)
                    || self.hits[1..]
                        .iter()
                        .take(SUGGESTIONS - 1)
                        .any(|hit| help_center.title_mentions(hit.article, word));
            }
            match naming.as_slice() {
                [only] => !help_center.article_uses_word(top.article, only),
                _ => false,
            }
        };
        // A decision with no answer before it ("dan betaal ik met iDEAL" as a first message)
        // says what the customer means to do, and an article sure of it answers.
        let decides_first =
            || self.topic_before.is_none() && locale::acts_on_the_answer(&self.inbound.text);
        let answers = || match small_talk {
            // A follow-up's one word ("Belgium?") is read with its subject.
            None => self.followed_up || !one_word_elsewhere(),
            Some(_) => about_small_talk() || decides_first(),
        };
        // A statement about the customer's case right after an answer, that the answer's
        // article has a passage for ("j'ai commandé en invité, j'ai pas de compte" after the
        // invoice answer: its passage for orders without an account), goes on with that
        // article, even when another is sure of the message alone (the account's).
        let tells_more = || {
            self.topic_before.is_some()
                && small_talk.is_none()
                && !self.followed_up
                && !locale::asks_a_question(self.matching_text())
        };
        if top.confidence >= answer_threshold && answers() {
            if let Some(previous) = tells_more()
                .then(|| self.previous_article_adds_a_passage())
                .flatten()
            {
                let question = locale::question_part(self.matching_text()).to_string();
                self.followed_up = true;
                self.answer_with(previous, Some(top.confidence), Some(&question));
            } else if small_talk.is_some()
                || !self.answer_two_questions(thresholds.answer, Some(&top))
            {
                let question = locale::question_part(self.matching_text()).to_string();
                if self.repeats_last_answer(top.article, &question) {
                    // Asked again right after the answer, with nothing in the article that
                    // the answer left out: it did not help.
                    self.answer_did_not_help(Some(top.article));
                } else {
                    self.answer_with(top.article, Some(top.confidence), Some(&question));
                }
            }
        } else if small_talk.is_none() && self.answer_two_questions(thresholds.answer, None) {
            // Answered, one article per question.
        } else if let Some(kind) = small_talk {
            // Thanks, greetings and filler with no article for them.
            self.reply_to_small_talk(kind);
        } else if let Some(previous) = (top.confidence >= thresholds.suggest)
            .then(|| self.previous_article_adds_a_passage())
            .flatten()
        {
            // Unsure alone (not at a loss), but the article just answered has a passage
            // about what the message names ("ik heb als gast besteld" after the missing
            // confirmation email: its passage for guests): the customer tells more about
            // the same matter.
            let question = locale::question_part(self.matching_text()).to_string();
            self.followed_up = true;
            self.answer_with(previous, Some(top.confidence), Some(&question));
        } else if top.confidence >= thresholds.suggest
            && self.topic_before.as_deref() == Some(article.title.as_str())
        {
            // Unsure, but about the article just answered: never that article offered again
            // as a "did you mean". Its passage about what the message names when there is
            // one not said yet ("dice que ha caducado" after the discount codes); the
            // article again for a follow-up on its subject ("y paypal?" after the payment
            // methods, "and do you carry it upstairs?" after furniture delivery); else the
            // answer did not help, and a person takes over ("where do I send the photos?"
            // after the damaged-item answer).
            let question = locale::question_part(self.matching_text()).to_string();
            if self.adds_a_passage(top.article, &question)
                || self.followed_up
                || locale::opens_with_and(self.matching_text())
            {
                self.answer_with(top.article, Some(top.confidence), Some(&question));
            } else {
                self.answer_did_not_help(Some(top.article));
            }
        } else if top.confidence >= thresholds.suggest && self.rebuts_the_last_answer() {
            // "it's not a sale item though, it's a full price lamp and I only have one code"
            // right after the discount codes: the customer says why the answer does not
            // apply, and a list with that answer in it again would go round in circles.
            self.answer_did_not_help(self.previous_answer());
        } else if top.confidence >= thresholds.suggest {
            // After a "did you mean", the same question again (its best article is the one
            // offered first) still unsure goes to a person; a new question gets its own
            // suggestions, up to a third unsure reply in a row. After "I didn't
            // understand", any unsure reply goes to a person.
            let same_again = self
                .offered_before
                .first()
                .is_none_or(|id| *id == article.id);
            if self.state.misses >= 2 || (self.state.misses >= 1 && same_again) {
                let queue = self.queue_for_article(top.article);
                self.hand_off(queue.as_deref(), Priority::Normal, "repeated_miss", None);
            } else {
                self.suggest(thresholds.suggest);
            }
        } else if self.is_vague() {
            self.miss_without_match();
        } else if self.names_only_a_subject()
            && top.confidence >= thresholds.suggest / 2.0
            && self.state.misses == 0
        {
            // "I have a question about delivery", "problem with my sofa": the question is
            // still to come, so the subject's articles are offered rather than a person.
            self.suggest(thresholds.suggest);
        } else {
            // Not understood right after an answer: most likely the customer's case goes on
            // ("Interiores Luna SL, CIF B12345678" after the invoice answer), so it goes to
            // that answer's queue.
            let queue = self
                .previous_answer()
                .and_then(|article| self.queue_for_article(article));
            self.hand_off(queue.as_deref(), Priority::Normal, "low_confidence", None);
        }
    }

    /// A sentence that asks two questions joined by "and" ("How much is shipping to Belgium
    /// and how long does it take?") is answered with one article for each when each part
    /// alone is sure of a different article, and either no article answers the whole or the
    /// article that does (`whole`) is one of the two: the other question gets its answer
    /// too, and the decision still names the whole's article and confidence. Returns whether
    /// it answered.
    fn answer_two_questions(&mut self, answer_threshold: f32, whole: Option<&Hit>) -> bool {
        let help_center = &self.content.help_center;
        // Most messages have no "and": they are not read further.
        if locale::two_questions(self.language, self.matching_text()).is_none() {
            return false;
        }
        let text = locale::question_part(self.matching_text());
        let Some((first, second)) = locale::two_questions(self.language, text) else {
            return false;
        };
        let sure_top = |part: &str| {
            if !locale::names_something(self.language, part) || locale::is_small_talk(part) {
                return None;
            }
            help_center
                .search(self.language, part, 1)
                .into_iter()
                .next()
                .filter(|top| {
                    let article = help_center.article(top.article);
                    top.confidence >= article.threshold.unwrap_or(answer_threshold)
                })
        };
        let Some(one) = sure_top(first) else {
            return false;
        };
        // A second part that follows up the first ("vous livrez en Belgique ? et ça coûte
        // combien", "en wat kost dat") asks about the first's subject, as "and the costs?"
        // after an answer does (`read_as_follow_up`): its best article sure enough to
        // suggest that shares a tag with the first's answers it, when it is among its three
        // best articles (its confidence raised to the answer threshold: the two parts
        // agree).
        // Alone, "ça coûte combien" is about as much the cost of a return as of shipping;
        // after "vous livrez en Belgique ?" it is not.
        let follow_up = || {
            if locale::word_count(second) > FOLLOW_UP_WORDS || !locale::is_follow_up(second) {
                return None;
            }
            let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
            let subject = help_center.article(one.article);
            let own = help_center.search(self.language, second, FOLLOW_UP_CANDIDATES);
            // "... bring the wardrobe up and put it together?": the second part alone is
            // best answered by the first's article, so it asks more of the same.
            if own.first().is_some_and(|top| top.article == one.article) {
                return None;
            }
            let position = own.iter().position(|hit| {
                let article = help_center.article(hit.article);
                hit.article != one.article
                    && hit.confidence >= suggest
                    && article.tags.iter().any(|tag| subject.tags.contains(tag))
            })?;
            if position >= SUGGESTIONS {
                return None;
            }
            let mut hit = own[position].clone();
            let threshold = help_center
                .article(hit.article)
                .threshold
                .unwrap_or(answer_threshold);
            hit.confidence = hit.confidence.max(threshold);
            Some(hit)
        };
        let Some(two) = follow_up().or_else(|| sure_top(second)) else {
            return false;
        };
        if one.article == two.article
            || whole
                .is_some_and(|whole| whole.article != one.article && whole.article != two.article)
        {
            return false;
        }
        tracing::debug!(first = %one.id, second = %two.id, "two questions answered");
        let (first, second) = (first.to_string(), second.to_string());
        self.answer_with(one.article, Some(one.confidence), Some(&first));
        let first_article = self.article.clone();
        self.answer_with(two.article, Some(two.confidence), Some(&second));
        // The decision names the whole's article and confidence when an article answers
        // the whole, otherwise the first article and the lower confidence; both answers are
        // in the replies, and a follow-up is read with the second.
        match whole {
            Some(whole) => {
                if whole.article == one.article {
                    self.article = first_article;
                }
                self.confidence = Some(whole.confidence);
            }
            None => {
                self.article = first_article;
                self.confidence = Some(one.confidence.min(two.confidence));
            }
        }
        true
    }

    /// A short message right after an answer that is not sure enough alone ("and to
    /// Belgium?", "et combien ça coûte ?", "¿y cuánto tarda?") is read together with what
    /// that answer was about; the reading replaces the message's own hits when it is sure
    /// enough to answer. Small talk and messages that are surely about something else keep
    /// their own reading.
    fn read_as_follow_up(&mut self, answer_threshold: f32) {
        let help_center = &self.content.help_center;
        // After a "did you mean" list, its first suggestion is the subject ("como lo hago?"
        // after a list led by deleting an account).
        let offered_first = || {
            self.first_offered()
                .map(|index| help_center.article(index).title.as_str())
        };
        let Some(topic) = self.topic_before.as_deref().or_else(offered_first) else {
            return;
        };
        // A suggestion was itself unsure: it completes a message that refers back, but no
        // article is answered for sharing a subject with it.
        let after_suggestions = self.topic_before.is_none();
        let sure = |hits: &[Hit]| {
            hits.first().is_some_and(|top| {
                top.confidence
                    >= help_center
                        .article(top.article)
                        .threshold
                        .unwrap_or(answer_threshold)
            })
        };
        let text = self.matching_text();
        // Sure enough alone, and answered alone: one word that names something among words
        // that name nothing must be a word the article uses (as `search_help_center`
        // requires).
        // Four words or fewer that name only a product or a country, words the help center
        // reads as others ("and to Belgium?", "en naar België?"), ask the last question
        // again about something else: read with its subject, they keep their own reading
        // only when it is surer. "and the cost?" asks a new question about the subject.
        let naming = locale::naming_words(self.language, text);
        let words = locale::word_count(text);
        let short = words <= 3 && !naming.is_empty();
        // Four words for a product or a country: "et pour la Belgique ?".
        let elliptic = words <= 4
            && !naming.is_empty()
            && naming.iter().all(|word| {
                matches!(
                    help_center.with_synonyms(self.language, word),
                    std::borrow::Cow::Owned(_)
                )
            });
        let answered_alone = !elliptic
            && sure(&self.hits)
            && match naming.as_slice() {
                [only] => self
                    .hits
                    .first()
                    .is_some_and(|top| help_center.article_uses_word(top.article, only)),
                _ => true,
            };
        // A new question about the subject, three words or fewer opening with "and" ("and
        // the costs?" after the return policy), sure alone but of an article on another
        // subject (shipping-costs), is answered by the best article the message found that
        // is sure enough to suggest and shares a tag with the last answer's (return-costs):
        // the message says what is asked, the last answer what about, and the reading is as
        // sure as the message alone. Not sure alone, such a message whose best article is
        // another on the last answer's subject is answered by it; otherwise it is read as a
        // follow-up below.
        if short && !elliptic && !after_suggestions && locale::opens_with_and(text) {
            let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
            let previous = help_center
                .articles()
                .iter()
                .find(|article| article.title == topic);
            let same_subject = |hit: &Hit| {
                let article = help_center.article(hit.article);
                previous.is_some_and(|previous| {
                    article.id != previous.id
                        && article.tags.iter().any(|tag| previous.tags.contains(tag))
                })
            };
            // The last answer again ("and the costs?" right after the shipping costs) stays.
            let again = previous.is_some_and(|previous| {
                self.hits
                    .first()
                    .is_some_and(|top| help_center.article(top.article).id == previous.id)
            });
            let position = self
                .hits
                .iter()
                .position(|hit| hit.confidence >= suggest && same_subject(hit));
            match (answered_alone, again, position) {
                // Not sure alone, but its best article is another on the last answer's
                // subject ("and the cost?" after the countries we ship to: the shipping
                // costs): the two point the same way, and together they answer.
                (false, false, Some(0)) => {
                    tracing::debug!("read as a new question about the previous answer's subject");
                    self.hits[0].confidence = self.hits[0].confidence.max(answer_threshold);
                    self.followed_up = true;
                    return;
                }
                (true, false, Some(position @ 1..)) => {
                    tracing::debug!("read as a new question about the previous answer's subject");
                    let own_top = self.hits[0].confidence;
                    let mut hit = self.hits.remove(position);
                    hit.confidence = hit.confidence.max(own_top);
                    self.hits.insert(0, hit);
                    self.followed_up = true;
                    return;
                }
                (true, ..) => return,
                // Not sure alone and of no other article on the subject: a follow-up.
                (false, ..) => {}
            }
        }
        // Sure alone, but pointing back at the last answer with a pronoun ("and how much
        // does that cost?" after furniture delivery and assembly, sure alone of the shipping
        // costs): read with the last answer's subject too, and answered by that article when
        // the reading is sure of it.
        let points_back = answered_alone && locale::refers_back(text);
        if (answered_alone && !points_back)
            || locale::word_count(text)
                > if answered_alone {
                    FOLLOW_UP_WORDS
                } else {
                    UNSURE_FOLLOW_UP_WORDS
                }
            || locale::small_talk(&self.inbound.text).is_some()
            || locale::is_yes(&self.inbound.text)
            || !locale::is_follow_up(text)
        {
            return;
        }
        // The topic completes the message; it does not choose the article. Only articles the
        // message points to on its own stay ("en wat kost dat?" after the countries article
        // asks for the cost, and "my parcel is damaged" is not about the shipping costs).
        let topic = help_center.title_in(topic, self.language);
        let own = help_center.search(self.language, text, FOLLOW_UP_CANDIDATES);
        let hits: Vec<Hit> = help_center
            .search(
                self.language,
                &format!("{text} {topic}"),
                FOLLOW_UP_CANDIDATES,
            )
            .into_iter()
            .filter(|hit| own.iter().any(|own| own.article == hit.article))
            .collect();
        if points_back {
            let of_the_last_answer = hits
                .first()
                .is_some_and(|top| help_center.article(top.article).title == topic);
            if sure(&hits) && of_the_last_answer {
                tracing::debug!("read as pointing back at the previous answer");
                self.hits = hits;
                self.followed_up = true;
            }
            return;
        }
        let own_top = self.hits.first().map_or(0.0, |h| h.confidence);
        let surer = hits.first().is_some_and(|h| h.confidence >= own_top);
        if sure(&hits) && (surer || !sure(&self.hits)) {
            // "et pour la Suisse ?" after the shipping costs asks the cost for a country the
            // shop does not ship to: when the article the reading chose says nothing about
            // the place or product named (neither its short answer, as the countries' list
            // names "Duitsland", nor a later passage), and another the message found alone
            // has a passage that names it to say the shop does not do it ("nous ne livrons
            // pas … en Suisse"), that one answers. ("en naar Duitsland?" after the shipping
            // costs asks the cost again: the delivery times' passage that names Germany
            // answers no such thing.)
            if elliptic {
                let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
                let question = locale::question_part(text);
                let chosen = hits[0].article;
                if help_center.detail(chosen, question).is_none()
                    && !help_center.answer_names(chosen, question)
                {
                    if let Some(position) = self.hits.iter().position(|hit| {
                        hit.article != chosen
                            && hit.confidence >= suggest
                            && help_center
                                .detail(hit.article, question)
                                .is_some_and(locale::says_not)
                    }) {
                        tracing::debug!("an elliptic follow-up named what another article says");
                        let mut hit = self.hits.remove(position);
                        hit.confidence = hit.confidence.max(hits[0].confidence);
                        self.hits.insert(0, hit);
                        return;
                    }
                }
            }
            tracing::debug!("read as a follow-up of the previous answer");
            self.hits = hits;
            self.followed_up = true;
            return;
        }
        // Not sure alone, and its best article, sure enough to suggest, is another on the
        // last answer's subject ("en hoelang duurt dat?" after the shipping costs: the
        // delivery times): the two point the same way, and together they answer.
        if after_suggestions {
            return;
        }
        let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
        let previous = help_center.articles().iter().find(|a| a.title == topic);
        if let (Some(previous), Some(top)) = (previous, self.hits.first_mut()) {
            let article = help_center.article(top.article);
            if top.confidence >= suggest
                && article.id != previous.id
                && article.tags.iter().any(|tag| previous.tags.contains(tag))
            {
                tracing::debug!("read as a new question about the previous answer's subject");
                top.confidence = top
                    .confidence
                    .max(article.threshold.unwrap_or(answer_threshold));
                self.followed_up = true;
            }
        }
    }

    /// The help center's best articles for the message. A message that opens with a
    /// greeting or closes with thanks is searched without them too ("Hola, buenos días. No
    /// me ha llegado el paquete" as "No me ha llegado el paquete"), and the surer reading
    /// wins: the greeting says nothing about the article on most help centers, but is the
    /// question on one with an article for thanks.
    ///
    /// A message of several sentences (an email, a long chat message: "Hola, buenas tardes.
    /// Hice un pedido hace una semana y todavía no me ha llegado nada. ¿Me podéis decir
    /// algo? Un saludo") is also read a sentence at a time, its first few: the question is
    /// usually one of them, and the words around it dilute it.
    fn help_center_hits(&self, limit: usize) -> Vec<Hit> {
        let help_center = &self.content.help_center;
        let text = self.matching_text();
        let mut best = help_center.search(self.language, text, limit);
        let top = |hits: &[Hit]| hits.first().map_or(0.0, |h| h.confidence);
        let question = locale::question_part(text);
        // When it happened ("hace tres semanas", "le 3 novembre") rarely tells which article
        // answers and dilutes the words that do; it sometimes does ("I ordered two weeks ago
        // and still nothing"), so the message is read without it as well as with it, and its
        // sentences without it.
        let undated = locale::without_past_time(self.language, question);
        let mut readings: Vec<&str> = Vec::new();
        if question.len() != text.len() {
            readings.push(question);
        }
        if let Cow::Owned(undated) = &undated {
            readings.push(undated);
        }
        let sentences = locale::sentences(&undated);
        // A message of one sentence was searched whole: only its clauses are new readings
        // (`clauses` gives the sentence itself first).
        let skip = usize::from(sentences.len() == 1);
        readings.extend(
            sentences
                .into_iter()
                .flat_map(|sentence| locale::clauses(sentence).into_iter().skip(skip))
                .map(locale::question_part)
                .filter(|part| {
                    part.split_whitespace().nth(2).is_some()
                        && !locale::is_small_talk(part)
                        && !self.only_an_order_number(part)
                })
                .take(MAX_SENTENCE_READINGS),
        );
        // A part that names nothing ("What can I do?") is no reading: the intent model would
        // find it like some article's wording and outscore the part that says what is wrong.
        for reading in readings
            .iter()
            .filter(|part| locale::names_something(self.language, part))
        {
            let hits = help_center.search(self.language, reading, limit);
            if top(&hits) > top(&best) {
                best = hits;
            }
        }
        best
    }

    /// Whether a part of a message is only an order number with the words that introduce it
    /// ("es el pedido 10045591": a flow's trigger pattern that captures `order_number`
    /// matches it whole). Read alone, such a part is a question about the order, which the
    /// message as a whole may not ask ("me lo podéis mandar? es el pedido 10045591").
    fn only_an_order_number(&self, part: &str) -> bool {
        self.content.flows.flows.iter().any(|flow| {
            flow.patterns
                .iter()
                .any(|pattern| captures_order_number(pattern) && pattern.is_match(part.trim()))
        })
    }

    /// Whether this message names an order number (a flow's `remember` pattern finds one).
    fn gives_an_order_number(&self) -> bool {
        self.content.flows.flows.iter().any(|flow| {
            flow.remember.iter().any(|pattern| {
                captures_order_number(pattern) && pattern.is_match(&self.inbound.text)
            })
        })
    }

    /// Keeps what the flows' `remember` patterns find in the message as slots, whatever
    /// else the message does ("es el pedido 55620184 de la semana pasada"): a flow that
    /// asks for one later does not ask again, and a hand-off carries it.
    fn remember_values(&mut self) {
        for flow in &self.content.flows.flows {
            for pattern in &flow.remember {
                let Some(captures) = pattern.captures(&self.inbound.text) else {
                    continue;
                };
                for name in pattern.capture_names().flatten() {
                    if let Some(named) = captures.name(name) {
                        let value =
                            crate::flow::triggers::captured_value(pattern, &captures, named);
                        tracing::debug!(slot = name, "value remembered");
                        self.state.slots.insert(name.to_string(), value);
                    }
                }
            }
        }
    }

    /// The previous answer (from `article`, when known) did not help: a person takes over,
    /// in the queue of the article's subject.
    fn answer_did_not_help(&mut self, article: Option<usize>) {
        let queue = article.and_then(|index| self.queue_for_article(index));
        self.extra.insert("repeated", Value::Bool(true));
        self.hand_off(
            queue.as_deref(),
            Priority::Normal,
            "answer_did_not_help",
            None,
        );
    }

    /// This message would get the very reply the previous one got (the same article, and no
    /// passage of it that the previous answer did not add already), and it asks nothing new:
    /// it says what happened ("it just says invalid code"). A question asked again, or
    /// about something else ("and to Belgium?"), is answered again.
    fn repeats_last_answer(&self, article_index: usize, question: &str) -> bool {
        let help_center = &self.content.help_center;
        if self.topic_before.as_deref() != Some(help_center.article(article_index).title.as_str())
            || self.followed_up
            || locale::asks_a_question(&self.inbound.text)
            || locale::opens_with_and(self.matching_text())
        {
            return false;
        }
        !self.adds_a_passage(article_index, question)
    }

    /// The article answered just before, when the message is short enough to be more about
    /// it and the article has a passage about what the message names that the answer did
    /// not add. Not for the article the message itself finds best: that case has its own
    /// rule (an answer again, or a person).
    fn previous_article_adds_a_passage(&self) -> Option<usize> {
        let text = self.matching_text();
        if locale::word_count(text) > UNSURE_FOLLOW_UP_WORDS || locale::is_small_talk(text) {
            return None;
        }
        let help_center = &self.content.help_center;
        let previous = self.previous_answer()?;
        if self.hits.first().is_some_and(|top| top.article == previous) {
            return None;
        }
        let passage = help_center.detail_within(
            previous,
            locale::question_part(text),
            crate::kb::FOLLOW_UP_DETAIL_MAX_ARTICLES,
        );
        self.not_said_yet(passage).then_some(previous)
    }

    /// The passage of the article about what `question` names (`HelpCenter::detail`); for a
    /// message read as a follow-up of the article's answer, by commoner words too.
    fn detail(&self, article_index: usize, question: &str) -> Option<&'a str> {
        let help_center = &self.content.help_center;
        if self.followed_up {
            help_center.detail_within(
                article_index,
                question,
                crate::kb::FOLLOW_UP_DETAIL_MAX_ARTICLES,
            )
        } else {
            help_center.detail(article_index, question)
        }
    }

    /// The article has a passage about what `question` names that the previous answer did
    /// not already add (`HelpCenter::detail`, `ConversationState::topic_detail`).
    fn adds_a_passage(&self, article_index: usize, question: &str) -> bool {
        self.not_said_yet(self.detail(article_index, question))
    }

    /// A passage, and not the one the previous answer added.
    fn not_said_yet(&self, passage: Option<&str>) -> bool {
        passage.is_some_and(|passage| {
            self.topic_detail_before.as_deref() != Some(&fingerprint(passage))
        })
    }

    /// Answers with an article: its short answer, and the passage of its body about what
    /// `question` names that the short answer does not (`HelpCenter::detail`).
    fn answer_with(
        &mut self,
        article_index: usize,
        confidence: Option<f32>,
        question: Option<&str>,
    ) {
        let help_center = &self.content.help_center;
        let article = help_center.article(article_index);
        let detail = question.and_then(|text| self.detail(article_index, text));
        self.state.misses = 0;
        self.action = Action::Answered;
        self.article = Some(ArticleRef {
            id: article.id.clone(),
            title: article.title.clone(),
            url: article.url.clone(),
            confidence: None,
        });
        if confidence.is_some() {
            self.confidence = confidence;
        }
        self.extra.insert(
            "article",
            json!({
                "id": article.id,
                "title": article.title,
                "url": article.url,
                "answer": article.answer,
                "detail": detail.unwrap_or_default(),
            }),
        );
        self.state.topic = Some(article.title.clone());
        self.state.topic_detail = detail.map(fingerprint);
        self.say("answer", ReplyKind::Answer);
    }

    fn suggest(&mut self, suggest_threshold: f32) {
        let floor = suggest_threshold / 2.0;
        let offered: Vec<ArticleRef> = self
            .hits
            .iter()
            .filter(|h| h.confidence >= floor)
            .take(SUGGESTIONS)
            .map(ArticleRef::from)
            .collect();
        self.state.misses += 1;
        self.show_suggestions(offered);
    }

    /// Right after an answer, a short message that closes with thanks or a goodbye and asks
    /// nothing ("hmm shame, I'll have a look elsewhere then. bye", "found it under my orders,
    /// cheers", "ok dan kijk ik wel bij een andere zaak. doei": `locale::closing`) ends the
    /// conversation, when the help center is not sure of anything else: a goodbye below the
    /// answer threshold, thanks too unless the message asks or wants something ("I'd also
    /// like to change my address, thanks": then only below the suggestion threshold), either
    /// when its best article is the one just answered. Such messages were handed off, or got
    /// the same answer again.
    ///
    /// After a "did you mean" list, the same: the customer lets the question go ("actually
    /// never mind, I'll just be home that day. thanks anyway").
    fn closes_after_an_answer(&self, top: Option<(&Hit, f32)>) -> Option<locale::SmallTalk> {
        if self.new_session || (self.topic_before.is_none() && self.offered_before.is_empty()) {
            return None;
        }
        let kind = locale::closing(&self.inbound.text)?;
        let Some((top, answer_threshold)) = top else {
            return Some(kind);
        };
        let help_center = &self.content.help_center;
        let again = self.topic_before.as_deref().is_some_and(|topic| {
            help_center.title_in(topic, self.language) == help_center.article(top.article).title
        });
        let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
        let unsure = match kind {
            locale::SmallTalk::Goodbye => top.confidence < answer_threshold,
            _ => {
                top.confidence < suggest
                    || (top.confidence < answer_threshold && !locale::requests(&self.inbound.text))
            }
        };
        (again || unsure).then_some(kind)
    }

    /// Offers articles as a numbered "did you mean" list, remembered for the next message.
    fn show_suggestions(&mut self, offered: Vec<ArticleRef>) {
        let list: Vec<Value> = offered
            .iter()
            .enumerate()
            .map(|(i, a)| json!({"number": i + 1, "title": a.title, "url": a.url}))
            .collect();
        // One article offered is asked about as one ("Is this what you're looking for?").
        self.extra.insert("single", Value::Bool(list.len() == 1));
        self.extra.insert("suggestions", Value::Array(list));
        self.state.offered = offered.iter().map(|a| a.id.clone()).collect();
        self.suggestions = offered;
        self.action = Action::Suggested;
        self.say("suggest", ReplyKind::Suggestions);
    }

    /// Thanks, a goodbye or a greeting start the content's `thanks`, `goodbye` or `greeting`
    /// flow when it has one (a thank-you is not a question to hand off; content without a
    /// `goodbye` flow answers a goodbye with `thanks`); anything else, or content without
    /// such a flow, is asked to say more.
    fn reply_to_small_talk(&mut self, kind: locale::SmallTalk) {
        if kind == locale::SmallTalk::Greeting && (self.greeted_before || self.state.misses >= 1) {
            // Asked what the question is (or to say it another way), the customer greets
            // again ("help", "hello?"): a miss, so that such messages soon reach a person.
            self.miss_without_match();
            return;
        }
        // "ok", "got it" after a reply takes note of it, and is answered like thanks (the
        // template gets `acknowledged`); before anything was said, or when the reply asked
        // something ("did you mean…?", "what is your question?") or did not understand, it
        // says nothing.
        // A decision ("ok, dan bel ik morgen wel") says what the customer will do even after
        // a list or a miss: it takes note, it asks nothing.
        let acknowledges = kind == locale::SmallTalk::Acknowledgement
            && !self.new_session
            && !self.greeted_before
            && ((self.state.offered.is_empty() && self.state.misses == 0)
                || locale::acts_on_the_answer(&self.inbound.text));
        if acknowledges {
            self.extra.insert("acknowledged", json!(true));
        } else if kind == locale::SmallTalk::Acknowledgement
            && !self.new_session
            && !self.offered_before.is_empty()
        {
            // A bare "ok" ("vale", "d'accord", "oké") after a "did you mean" list: the
            // customer is reading the articles. Nothing is missed and no person is needed
            // yet: the list stays open ("2" still picks from it) and the customer is told to
            // take their time, as while a flow waits.
            self.take_your_time();
            return;
        }
        let names: &[&str] = match kind {
            locale::SmallTalk::Thanks => &["thanks"],
            locale::SmallTalk::Acknowledgement if acknowledges => &["thanks"],
            locale::SmallTalk::Goodbye => &["goodbye", "thanks"],
            locale::SmallTalk::Greeting => &["greeting"],
            locale::SmallTalk::Acknowledgement | locale::SmallTalk::Filler => &[],
        };
        match names.iter().find_map(|name| self.content.flows.index(name)) {
            Some(flow) => {
                self.confidence = None;
                self.start_flow(flow, BTreeMap::new());
                self.state.greeted = kind == locale::SmallTalk::Greeting;
            }
            None => self.miss_without_match(),
        }
    }

    /// The customer is looking something up or reading what was sent: "take your time" (the
    /// `invalid_answer` template with `attempt.waiting`), nothing missed, and the conversation
    /// stays where it was: the last answer's topic, the last "did you mean" list.
    fn take_your_time(&mut self) {
        self.action = Action::Flow;
        self.confidence = None;
        self.state.topic = self.topic_before.clone();
        self.state.offered = self.offered_before.clone();
        self.extra.insert("attempt", json!({ "waiting": true }));
        self.say("invalid_answer", ReplyKind::Flow);
    }

    /// Nothing to search for ("?", "hello", an emoji): ask to rephrase; twice in a row, hand off.
    fn miss_without_match(&mut self) {
        if self.state.misses >= 1 {
            self.hand_off(None, Priority::Normal, "repeated_miss", None);
            return;
        }
        self.state.misses += 1;
        self.action = Action::Flow;
        self.flow = Some("didnt_understand".to_string());
        self.run_passive_flow("didnt_understand", ReplyKind::Fallback);
    }

    /// A short message that says it has a question or a problem about one thing and not
    /// what ("a question about paying", "probleem met mijn bank").
    fn names_only_a_subject(&self) -> bool {
        let text = self.matching_text();
        locale::word_count(text) <= 2 * FOLLOW_UP_WORDS
            && locale::says_a_problem(text)
            && locale::naming_words(self.language, text).len() == 1
    }

    /// Short text whose words the help center has never seen: too vague to hand off on.
    /// (Small talk is told apart before this is asked.)
    fn is_vague(&self) -> bool {
        let words = self.inbound.text.split_whitespace().count();
        (words <= 3 && self.hits.iter().all(|h| h.matched_terms.is_empty()))
            // An email address, a phone number or a link alone says who or where, not
            // what: the customer is asked what it is about rather than handed off with it.
            || locale::only_contact_details(&self.inbound.text)
    }

    /// The article the previous reply answered with, if it did (its index, in the language
    /// it was answered in).
    fn previous_answer(&self) -> Option<usize> {
        let title = self.topic_before.as_deref()?;
        self.content
            .help_center
            .articles()
            .iter()
            .position(|article| article.title == title)
    }

    /// Right after an answer, a statement of at most [`REBUTTAL_WORDS`] words, no question,
    /// that says something is not so ("it's not a sale item though", "no es de las rebajas")
    /// and that the article just answered is among the message's suggestions for (at half
    /// the suggestion threshold or above, the floor of a list): the customer explains why
    /// the answer does not fit their case.
    fn rebuts_the_last_answer(&self) -> bool {
        let Some(previous) = self.previous_answer() else {
            return false;
        };
        let text = locale::question_part(self.matching_text());
        let suggest = self.content.settings.thresholds_for(&self.locale).suggest;
        locale::word_count(text) <= REBUTTAL_WORDS
            && !locale::asks_a_question(text)
            && locale::says_not(text)
            && self
                .hits
                .iter()
                .take(SUGGESTIONS)
                .any(|hit| hit.article == previous && hit.confidence >= suggest / 2.0)
    }

    /// The article the previous reply's "did you mean" offered first, in this language.
    fn first_offered(&self) -> Option<usize> {
        let id = self.offered_before.first()?;
        self.content
            .help_center
            .articles()
            .iter()
            .position(|a| &a.id == id && a.language == self.language)
    }

    /// The article the conversation is about right now: the one the previous reply
    /// answered with, else the first one its "did you mean" offered.
    fn case_article(&self) -> Option<usize> {
        self.previous_answer().or_else(|| self.first_offered())
    }

    fn queue_for_article(&self, article_index: usize) -> Option<String> {
        let article = self.content.help_center.article(article_index);
        article.queue.clone().or_else(|| {
            self.content
                .settings
                .queue_for_tags(&article.tags)
                .map(str::to_string)
        })
    }

    // ---- hand-off ----------------------------------------------------------------------

    fn hand_off(
        &mut self,
        queue: Option<&str>,
        priority: Priority,
        reason: &str,
        message: Option<&str>,
    ) {
        let settings = &self.content.settings;
        let queue = queue.unwrap_or(&settings.default_queue).to_string();
        let (open_now, next_open_at) = self.queue_open(&queue);
        self.queue = queue.clone();
        self.extra
            .insert("reason", Value::String(reason.to_string()));
        let already_told =
            next_open_at.is_some() && self.state.off_hours_notice_for == next_open_at;
        if open_now || already_told {
            // Told earlier in the session, the customer hears when again with the hand-off;
            // told in this very reply (an off-hours notice), not twice. (The autoresponse is
            // written after the turn and leaves the hours to the hand-off: `introduce`.)
            let told_in_this_reply =
                already_told && self.replies.iter().any(|r| r.kind == ReplyKind::OffHours);
            self.extra
                .insert("hours_told", Value::Bool(told_in_this_reply));
            self.say(message.unwrap_or("handoff"), ReplyKind::Handoff);
        } else {
            self.run_passive_flow("off_hours", ReplyKind::OffHours);
            self.state.off_hours_notice_for = next_open_at;
            if let Some(message) = message {
                self.say(message, ReplyKind::Handoff);
            }
        }
        self.action = Action::HandedOff;
        self.state.waiting = None;
        self.state.stack.clear();
        self.state.offered.clear();
        self.state.misses = 0;
        self.state.owner = Owner::Human {
            queue: queue.clone(),
            since: self.now,
        };
        // A hand-off the help center was not asked about (a request for a person, a flow
        // that gave up) still shows the agent the articles the message is about: "my invoice
        // is wrong, I want to speak to someone" comes with the invoice articles, and "a
        // person, please" with none (`handoff_candidates`).
        let candidates: Vec<ArticleRef> = if self.hits.is_empty() {
            self.handoff_candidates()
        } else {
            self.hits
                .iter()
                .take(SUGGESTIONS)
                .map(ArticleRef::from)
                .collect()
        };
        self.handoff = Some(HandoffDecision {
            queue,
            reason: reason.to_string(),
            priority,
            open_now,
            next_open_at,
            after_hours: !open_now,
            candidates,
        });
    }

    /// The help center's articles for a message that was handed off without asking it:
    /// searched without the words that ask for a person, and only those sure enough to be
    /// listed among a customer's suggestions (half the suggestion threshold, as `suggest`).
    fn handoff_candidates(&self) -> Vec<ArticleRef> {
        let floor = self.content.settings.thresholds_for(&self.locale).suggest / 2.0;
        let rest = self
            .content
            .triggers
            .without_person_requests(self.matching_text());
        let text = rest.as_deref().unwrap_or(self.matching_text());
        if !locale::names_something(self.language, text) {
            return Vec::new();
        }
        self.content
            .help_center
            .search(self.language, text, SUGGESTIONS)
            .iter()
            .filter(|hit| hit.confidence >= floor)
            .map(ArticleRef::from)
            .collect()
    }

    /// Whether a queue is open now, and when it next opens.
    fn queue_open(&self, queue: &str) -> (bool, Option<Timestamp>) {
        let settings = &self.content.settings;
        let Some(schedule) = settings
            .queues
            .get(queue)
            .and_then(|q| settings.schedules.get(&q.schedule))
        else {
            return (false, None);
        };
        (schedule.is_open(self.now), schedule.next_open_at(self.now))
    }

    // ---- rendering ---------------------------------------------------------------------

    fn say(&mut self, template: &str, kind: ReplyKind) {
        // Dates and the unknown-name word follow the language of the template actually used.
        let language = self
            .content
            .templates
            .resolve(&self.chain, template)
            .and_then(Locale::language)
            .unwrap_or(self.language);
        let data = self.template_data(language);
        let html = reply::is_html_channel(&self.inbound.channel);
        let templates = &self.content.templates;
        let plain = html
            .then(|| templates.render(&self.chain, template, data.clone(), false))
            .flatten();
        match templates.render(&self.chain, template, data, html) {
            Some(text) if !text.is_empty() => self.replies.push(Reply {
                plain: plain.filter(|plain| *plain != text),
                text,
                kind,
            }),
            Some(_) => {}
            None => tracing::error!(template, locale = %self.locale, "no template to render"),
        }
    }

    fn template_data(&self, language: Language) -> Value {
        let settings = &self.content.settings;
        let customer_name = self
            .inbound
            .customer
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let queue = settings.queues.get(&self.queue);
        let schedule = queue.and_then(|q| settings.schedules.get(&q.schedule));
        let (open_now, next_open_at) = self.queue_open(&self.queue);
        let (next_open, timezone) = match (schedule, next_open_at) {
            (Some(schedule), Some(at)) => (
                hours::describe_next_open(
                    language,
                    self.now,
                    at,
                    self.customer_timezone.as_ref(),
                    schedule,
                ),
                self.inbound
                    .customer
                    .timezone
                    .clone()
                    .filter(|_| self.customer_timezone.is_some())
                    .unwrap_or_else(|| schedule.timezone_name().to_string()),
            ),
            _ => (String::new(), String::new()),
        };
        let unknown = || unknown_name(language).to_string();
        let mut data = json!({
            "customer": {
                "name": customer_name.map_or_else(unknown, str::to_string),
                "first_name": customer_name.map_or_else(unknown, first_name),
                "known": customer_name.is_some(),
            },
            "business": {"name": settings.business.name, "help_center_url": settings.business.help_center_url},
            "slots": self.state.slots,
            "queue": {
                "name": queue.map_or("", |q| q.name.get(&self.chain)),
                "open": open_now,
                "reply_minutes": queue.map_or(0, |q| q.reply_minutes),
            },
            "next_open": next_open,
            "next_open_at": next_open_at.map(|t| t.to_string()),
            "timezone": timezone,
            "channel": self.inbound.channel,
            "locale": self.locale.to_string(),
        });
        if let Value::Object(map) = &mut data {
            for (key, value) in &self.extra {
                map.insert(key.to_string(), value.clone());
            }
        }
        data
    }
}

/// The name a greeting uses: the first of a full name ("Margaret" of "Margaret Hughes"),
/// the whole name when it opens with a title or an initial ("Dr. Hughes", "J. Hughes") or is
/// written surname first ("Hughes, Margaret").
fn first_name(name: &str) -> String {
    const TITLES: [&str; 20] = [
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sr", "sra", "srta", "don", "dona", "m",
        "mme", "mlle", "dhr", "mevr", "mevrouw", "meneer", "heer",
    ];
    let mut words = name.split_whitespace();
    let Some(first) = words.next() else {
        return name.to_string();
    };
    let bare = fold(first);
    let initial = bare.chars().count() == 1;
    if words.next().is_none() || name.contains(',') || initial || TITLES.contains(&bare.as_str()) {
        name.to_string()
    } else {
        first.to_string()
    }
}

/// The fewest words of a message whose own language outweighs the channel's locale hint.
const HINT_OVERRIDE_WORDS: usize = 3;

/// What templates get as `customer.name` when the name is unknown.
fn unknown_name(language: Language) -> &'static str {
    match language {
        Language::En => "there",
        Language::Es | Language::Pt => "",
        Language::Fr => "",
        Language::Nl | Language::De => "",
    }
}

/// Whether a flow's pattern fills the `order_number` slot.
fn captures_order_number(pattern: &regex::Regex) -> bool {
    pattern
        .capture_names()
        .flatten()
        .any(|name| name == "order_number")
}

/// A message of a short number and nothing else ("3", "12?"): no words, at most three
/// digits (an order number or a postcode is longer).
fn is_a_stray_number(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (1..=3).contains(&digits) && !text.chars().any(char::is_alphabetic)
}

fn round(value: f32) -> f32 {
    (value * 1000.0).round() / 1000.0
}

/// A short, stable fingerprint of a passage, to tell later whether it was said.
fn fingerprint(passage: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(passage.as_bytes())[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

//! The decision, through `engine::decide` on the shipped content with a pinned clock.

use firstline::engine::{
    self, Action, ConversationState, Customer, FlowPosition, Inbound, Owner, ReplyKind,
};
use firstline::flow::Priority;

use crate::support::{at, converse, message, shipped, CLOSED, OPEN};

/// Every reply of the decision, one after the other.
fn all_text(decision: &engine::Decision) -> String {
    decision
        .replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn kinds(decision: &engine::Decision) -> Vec<ReplyKind> {
    decision.replies.iter().map(|r| r.kind).collect()
}

/// The decision on a first message in a new conversation, while support is open.
fn first_message(text: &str) -> engine::Decision {
    engine::decide(
        shipped(),
        &ConversationState::default(),
        &message(text, None),
        at(OPEN),
    )
}

#[test]
fn first_contact_gets_the_autoresponse_together_with_the_answer() {
    let decisions = converse(
        shipped(),
        &[
            (OPEN, "How much does shipping cost?"),
            ("2026-11-23T10:05:00+01:00", "Can I pay with PayPal?"),
        ],
        None,
    );
    let first = &decisions[0];
    assert_eq!(first.action, Action::Answered);
    assert_eq!(kinds(first), [ReplyKind::Autoresponse, ReplyKind::Answer]);
    assert_eq!(first.article.as_ref().unwrap().id, "shipping-costs");
    assert!(first.confidence.unwrap() >= 0.62);
    // The autoresponse links the help center and gives the expected reply time.
    let autoresponse = &first.replies[0].text;
    assert!(
        autoresponse.contains("https://help.maple-moss.example"),
        "{autoresponse}"
    );
    assert!(autoresponse.contains("15 minutes"), "{autoresponse}");
    // Later in the same session: no autoresponse.
    let second = &decisions[1];
    assert_eq!(kinds(second), [ReplyKind::Answer]);
    assert_eq!(second.article.as_ref().unwrap().id, "payment-methods");
}

#[test]
fn a_new_session_after_inactivity_gets_the_autoresponse_again() {
    let decisions = converse(
        shipped(),
        &[
            (OPEN, "How much does shipping cost?"),
            ("2026-11-23T11:00:00+01:00", "Can I pay with PayPal?"),
        ],
        None,
    );
    assert_eq!(
        kinds(&decisions[1]),
        [ReplyKind::Autoresponse, ReplyKind::Answer]
    );
    assert_eq!(decisions[1].state.session, 2);
}

#[test]
fn an_explicit_request_for_a_person_hands_off_in_every_language() {
    for (text, locale) in [
        ("I want to talk to a human", "en"),
        ("Quiero hablar con una persona", "es"),
        ("Je voudrais parler à un conseiller", "fr"),
        ("Kan ik met een medewerker praten?", "nl"),
    ] {
        let decision = first_message(text);
        assert_eq!(decision.action, Action::HandedOff, "{text}");
        assert_eq!(decision.locale, locale, "{text}");
        let handoff = decision.handoff.as_ref().unwrap();
        assert_eq!(handoff.reason, "customer_request", "{text}");
        assert_eq!(handoff.queue, "support");
        assert!(handoff.open_now && !handoff.after_hours);
        assert_eq!(
            kinds(&decision),
            [ReplyKind::Autoresponse, ReplyKind::Handoff],
            "{text}"
        );
        assert!(matches!(decision.state.owner, Owner::Human { .. }));
    }
}

/// A request for a person carries the articles the rest of the message is about, for the
/// agent; a request that says nothing else carries none (no "am I talking to a bot?" noise).
#[test]
fn a_request_for_a_person_brings_the_agent_the_articles_it_is_about() {
    let candidates = |text: &str| -> Vec<String> {
        let decision = first_message(text);
        assert_eq!(decision.action, Action::HandedOff, "{text}");
        let handoff = decision.handoff.unwrap();
        assert_eq!(handoff.reason, "customer_request", "{text}");
        assert!(handoff.candidates.iter().all(|c| c.confidence.is_some()));
        handoff.candidates.into_iter().map(|c| c.id).collect()
    };
    assert!(candidates("I want to talk to a person").is_empty());
    assert!(candidates("Quiero hablar con una persona").is_empty());
    assert_eq!(
        candidates("je voudrais parler à quelqu'un, mon colis est arrivé cassé").first(),
        Some(&"damaged-item".to_string())
    );
    assert_eq!(
        candidates("quiero hablar con una persona sobre mi reembolso").first(),
        Some(&"refund-time".to_string())
    );
    assert!(
        candidates("ik wil iemand spreken over mijn retour").contains(&"start-return".to_string())
    );
}

#[test]
fn asking_for_a_person_about_billing_goes_to_the_billing_queue() {
    let decision = first_message("I need to speak to someone about my invoice");
    assert_eq!(decision.handoff.as_ref().unwrap().queue, "billing");
}

#[test]
fn outside_hours_the_customer_is_told_when_a_person_is_back_and_the_handoff_is_still_made() {
    let decision = engine::decide(
        shipped(),
        &ConversationState::default(),
        &message("talk to a person please", None),
        at(CLOSED),
    );
    let handoff = decision.handoff.as_ref().unwrap();
    assert!(!handoff.open_now && handoff.after_hours);
    // Sunday 03:00 in Amsterdam: support opens Monday 08:00 (07:00Z).
    assert_eq!(
        handoff.next_open_at.unwrap().to_string(),
        "2026-11-23T07:00:00Z"
    );
    let all_text = all_text(&decision);
    assert!(all_text.contains("tomorrow at 08:00"), "{all_text}");
    // Said once: by the off-hours notice of the hand-off, not also by the autoresponse.
    assert_eq!(
        kinds(&decision),
        [ReplyKind::Autoresponse, ReplyKind::OffHours]
    );
    assert_eq!(all_text.matches("08:00").count(), 1, "{all_text}");
}

#[test]
fn the_off_hours_notice_is_not_repeated_for_the_same_opening() {
    // Mid-session (no autoresponse), closed: the first hand-off tells when; after a
    // hand-back, a second hand-off towards the same opening does not repeat it.
    let start = ConversationState {
        last_message_at: Some(at("2026-11-22T02:55:00+01:00")),
        session: 1,
        ..ConversationState::default()
    };
    let first = engine::decide(
        shipped(),
        &start,
        &message("talk to a human", None),
        at(CLOSED),
    );
    assert_eq!(kinds(&first), [ReplyKind::OffHours]);
    assert!(
        first.replies[0].text.contains("tomorrow at 08:00"),
        "{}",
        first.replies[0].text
    );
    let mut handed_back = first.state.clone();
    handed_back.owner = Owner::Bot;
    let second = engine::decide(
        shipped(),
        &handed_back,
        &message("talk to a human", None),
        at("2026-11-22T03:05:00+01:00"),
    );
    assert_eq!(second.action, Action::HandedOff);
    assert_eq!(kinds(&second), [ReplyKind::Handoff]);
    // A different opening (billing opens later than support) is told.
    let mut handed_back = second.state.clone();
    handed_back.owner = Owner::Bot;
    let third = engine::decide(
        shipped(),
        &handed_back,
        &message("I need a person for my invoice", None),
        at("2026-11-22T03:10:00+01:00"),
    );
    assert_eq!(third.handoff.as_ref().unwrap().queue, "billing");
    assert_eq!(kinds(&third), [ReplyKind::OffHours]);
    assert!(
        third.replies[0].text.contains("09:00"),
        "{}",
        third.replies[0].text
    );
}

#[test]
fn while_a_human_owns_the_conversation_the_bot_says_nothing() {
    let state = ConversationState {
        owner: Owner::Human {
            queue: "support".into(),
            since: at(OPEN),
        },
        last_message_at: Some(at(OPEN)),
        session: 1,
        ..ConversationState::default()
    };
    let decision = engine::decide(
        shipped(),
        &state,
        &message("How much does shipping cost?", None),
        at("2026-11-23T10:01:00+01:00"),
    );
    assert_eq!(decision.action, Action::None);
    assert!(decision.replies.is_empty());
    assert!(decision.handoff.is_none());
}

#[test]
fn two_misses_in_a_row_hand_off() {
    let decisions = converse(
        shipped(),
        &[(OPEN, ":)"), ("2026-11-23T10:01:00+01:00", "hmm ok")],
        None,
    );
    assert_eq!(decisions[0].action, Action::Flow);
    assert_eq!(decisions[0].flow.as_deref(), Some("didnt_understand"));
    assert_eq!(
        kinds(&decisions[0]),
        [ReplyKind::Autoresponse, ReplyKind::Fallback]
    );
    assert_eq!(decisions[1].action, Action::HandedOff);
    assert_eq!(
        decisions[1].handoff.as_ref().unwrap().reason,
        "repeated_miss"
    );
}

#[test]
fn a_middle_confidence_question_offers_did_you_mean_and_a_number_picks_one() {
    let decisions = converse(
        shipped(),
        &[(OPEN, "my account"), ("2026-11-23T10:01:00+01:00", "2")],
        None,
    );
    let suggested = &decisions[0];
    assert_eq!(suggested.action, Action::Suggested);
    assert_eq!(suggested.suggestions.len(), 3);
    let text = &suggested.replies.last().unwrap().text;
    assert!(text.contains("1. ") && text.contains("2. "), "{text}");
    let second_id = suggested.suggestions[1].id.clone();
    assert_eq!(decisions[1].action, Action::Answered);
    assert_eq!(decisions[1].article.as_ref().unwrap().id, second_id);
}

#[test]
fn unclear_questions_after_did_you_mean_hand_off_to_the_articles_queue() {
    // A new subject after "did you mean" gets its own suggestions; the third unsure reply
    // in a row, or the same question again, goes to a person.
    let decisions = converse(
        shipped(),
        &[
            (OPEN, "my account"),
            ("2026-11-23T10:01:00+01:00", "delivery"),
            ("2026-11-23T10:02:00+01:00", "my account"),
        ],
        None,
    );
    assert_eq!(decisions[0].action, Action::Suggested);
    assert_eq!(decisions[1].action, Action::Suggested);
    assert_ne!(
        decisions[0].suggestions[0].id,
        decisions[1].suggestions[0].id
    );
    let third = &decisions[2];
    assert_eq!(third.action, Action::HandedOff);
    assert_eq!(third.handoff.as_ref().unwrap().reason, "repeated_miss");
    assert!(!third.handoff.as_ref().unwrap().candidates.is_empty());

    let again = converse(
        shipped(),
        &[
            (OPEN, "my account"),
            ("2026-11-23T10:01:00+01:00", "my account"),
        ],
        None,
    );
    assert_eq!(again[0].action, Action::Suggested);
    assert_eq!(again[1].action, Action::HandedOff);
    assert_eq!(again[1].handoff.as_ref().unwrap().reason, "repeated_miss");
}

#[test]
fn an_off_topic_question_hands_off_at_once() {
    let decision = first_message("What is the meaning of life and the universe?");
    assert_eq!(decision.action, Action::HandedOff);
    assert_eq!(decision.handoff.as_ref().unwrap().reason, "low_confidence");
    assert!(decision.confidence.unwrap() < 0.35);
}

#[test]
fn order_status_collects_a_valid_order_number_with_retries() {
    let decisions = converse(
        shipped(),
        &[
            (OPEN, "Where is my order?"),
            ("2026-11-23T10:01:00+01:00", "I don't know, 123"),
            ("2026-11-23T10:02:00+01:00", "#12345678"),
        ],
        None,
    );
    assert_eq!(decisions[0].action, Action::Flow);
    assert_eq!(decisions[0].flow.as_deref(), Some("order_status"));
    assert_eq!(
        decisions[0].state.waiting.as_ref().unwrap().step,
        "ask_number"
    );
    assert_eq!(decisions[1].action, Action::Flow);
    assert!(
        decisions[1].replies[0].text.contains("8 digits"),
        "{}",
        decisions[1].replies[0].text
    );
    assert_eq!(decisions[1].state.waiting.as_ref().unwrap().retries, 1);
    let done = &decisions[2];
    assert_eq!(done.action, Action::HandedOff);
    // The validator's capture group is what the slot keeps: no `#`.
    assert_eq!(
        done.slots.get("order_number").map(String::as_str),
        Some("12345678")
    );
    let handoff = done.handoff.as_ref().unwrap();
    assert_eq!(
        (
            handoff.queue.as_str(),
            handoff.reason.as_str(),
            handoff.priority
        ),
        ("support", "order_status", Priority::Normal)
    );
    assert!(done.replies[0].text.contains("12345678"));
}

#[test]
fn a_pattern_capture_fills_the_slot_and_skips_the_question() {
    let decision = first_message("status of order 87654321 please");
    assert_eq!(decision.flow.as_deref(), Some("order_status"));
    assert_eq!(
        decision.slots.get("order_number").map(String::as_str),
        Some("87654321")
    );
    assert_eq!(decision.action, Action::HandedOff);
}

#[test]
fn when_retries_run_out_the_flow_goes_where_the_author_said() {
    let decisions = converse(
        shipped(),
        &[
            (OPEN, "track my order"),
            ("2026-11-23T10:01:00+01:00", "no idea"),
            ("2026-11-23T10:02:00+01:00", "still no idea"),
            ("2026-11-23T10:03:00+01:00", "sorry"),
        ],
        None,
    );
    let last = decisions.last().unwrap();
    assert_eq!(last.action, Action::HandedOff);
    let handoff = last.handoff.as_ref().unwrap();
    assert_eq!(
        (handoff.reason.as_str(), handoff.priority),
        ("order_number_missing", Priority::Low)
    );
}

#[test]
fn returns_branch_on_the_reason_in_any_language() {
    let damaged = converse(
        shipped(),
        &[
            (OPEN, "Quiero devolver un producto"),
            ("2026-11-23T10:01:00+01:00", "12345678"),
            ("2026-11-23T10:02:00+01:00", "llegó roto"),
        ],
        None,
    );
    let last = damaged.last().unwrap();
    assert_eq!(last.locale, "es");
    assert_eq!(
        last.slots.get("return_reason").map(String::as_str),
        Some("damaged")
    );
    let handoff = last.handoff.as_ref().unwrap();
    assert_eq!(
        (handoff.reason.as_str(), handoff.priority),
        ("return_damaged", Priority::High)
    );

    let unwanted = converse(
        shipped(),
        &[
            (OPEN, "I want to return an item"),
            ("2026-11-23T10:01:00+01:00", "12345678"),
            ("2026-11-23T10:02:00+01:00", "3"),
        ],
        None,
    );
    let last = unwanted.last().unwrap();
    assert_eq!(last.action, Action::Flow);
    assert!(last.handoff.is_none());
    assert!(
        last.replies[0]
            .text
            .contains("https://maple-moss.example/returns"),
        "{}",
        last.replies[0].text
    );
    assert!(last.state.waiting.is_none(), "the flow ended");
}

#[test]
fn cancel_stops_a_waiting_flow_but_is_not_a_trigger_outside_one() {
    let decisions = converse(
        shipped(),
        &[
            (OPEN, "track my order"),
            ("2026-11-23T10:01:00+01:00", "cancel"),
        ],
        None,
    );
    assert_eq!(decisions[1].flow.as_deref(), Some("cancel"));
    assert!(decisions[1].state.waiting.is_none());
    // "cancel my order" outside a flow is a help-center question.
    let decision = first_message("how do I cancel my order");
    assert_eq!(
        decision.article.as_ref().map(|a| a.id.as_str()),
        Some("cancel-order")
    );
}

#[test]
fn asking_for_a_person_in_the_middle_of_a_flow_hands_off() {
    let decisions = converse(
        shipped(),
        &[
            (OPEN, "track my order"),
            ("2026-11-23T10:01:00+01:00", "I want a real person"),
        ],
        None,
    );
    assert_eq!(decisions[1].action, Action::HandedOff);
    assert_eq!(
        decisions[1].handoff.as_ref().unwrap().reason,
        "customer_request"
    );
}

#[test]
fn opening_hours_flow_answers_from_the_live_schedule() {
    let open = first_message("what are your opening hours");
    let closed = engine::decide(
        shipped(),
        &ConversationState::default(),
        &message("what are your opening hours", None),
        at(CLOSED),
    );
    assert_eq!(open.flow.as_deref(), Some("opening_hours"));
    assert_ne!(
        open.replies.last().unwrap().text,
        closed.replies.last().unwrap().text
    );
    assert!(closed
        .replies
        .last()
        .unwrap()
        .text
        .contains("tomorrow at 08:00"));
}

#[test]
fn the_language_is_the_given_locale_else_detected_else_the_default() {
    let detect = |text: &str, locale: Option<&str>| {
        engine::decide(
            shipped(),
            &ConversationState::default(),
            &message(text, locale),
            at(OPEN),
        )
        .locale
    };
    assert_eq!(detect("¿Cuánto cuesta el envío a España?", None), "es");
    assert_eq!(detect("Combien coûte la livraison ?", None), "fr");
    assert_eq!(detect("Hoe lang duurt de levering?", None), "nl");
    assert_eq!(detect("How long does delivery take?", None), "en");
    // Short texts do not guess wildly; a greeting, a thanks or a goodbye tells its language.
    assert_eq!(detect("ok", None), "en");
    assert_eq!(detect("gracias", None), "es");
    assert_eq!(detect("hola", None), "es");
    assert_eq!(detect("Bonjour !", None), "fr");
    assert_eq!(detect("doei", None), "nl");
    assert_eq!(detect("bye", None), "en");
    // One long word that only one language's help center has tells it; a short or shared
    // one does not.
    assert_eq!(detect("verzendkosten", None), "nl");
    assert_eq!(detect("reembolso", None), "es");
    assert_eq!(detect("paypal", None), "en");
    assert_eq!(detect("no", None), "en");
    // A given locale wins over a short or shared-word message, and a regional one keeps
    // its region; a question of a few words in another served language outweighs it.
    assert_eq!(detect("ok gracias", Some("es-MX")), "es-MX");
    assert_eq!(detect("¿Cuánto tarda la entrega?", Some("es-MX")), "es-MX");
    assert_eq!(detect("How long does delivery take?", Some("es-MX")), "en");
    // A locale the content does not serve is no hint.
    assert_eq!(detect("Hoe lang duurt de levering?", Some("de-DE")), "nl");
}

#[test]
fn a_first_message_of_unknown_words_takes_the_language_of_the_words_it_has() {
    let detect = |text: &str, remembered: Option<&str>| {
        let state = ConversationState {
            locale: remembered.map(str::to_string),
            ..ConversationState::default()
        };
        engine::decide(shipped(), &state, &message(text, None), at(OPEN)).locale
    };
    // No help center has "emportez", "matelas", "cherche", "tapis" or "matrassen"; the
    // words they do have are French ("vous"; "je" and "un" together) or Dutch ("jullie").
    assert_eq!(detect("vous emportez l'ancien matelas ?", None), "fr");
    assert_eq!(detect("je cherche un tapis rouge", None), "fr");
    assert_eq!(detect("verkopen jullie matrassen?", None), "nl");
    assert_eq!(detect("do you sell mattresses?", None), "en");
    // Words no help center has tell nothing; so little never overrides the conversation's
    // language. ("vendéis" is the Spanish product-range article's word: it does tell.)
    assert_eq!(detect("alquiláis hamacas?", None), "en");
    assert_eq!(detect("vendéis colchones?", None), "es");
    assert_eq!(detect("jullie ledikanten goedkoop?", Some("es")), "es");
    // German is not read as Dutch for its "Hallo": a language the shop does not serve gets
    // the default, or the conversation's language.
    assert_eq!(
        detect("Hallo, ich möchte meine Bestellung stornieren", None),
        "en"
    );
    assert_eq!(
        detect("Hallo, ich möchte meine Bestellung stornieren", Some("nl")),
        "nl"
    );
}

#[test]
fn a_regional_locale_uses_its_language_and_an_unsupported_one_the_default() {
    let mexican = engine::decide(
        shipped(),
        &ConversationState::default(),
        &message("¿Puedo pagar con PayPal?", Some("es-MX")),
        at(OPEN),
    );
    assert_eq!(mexican.article.as_ref().unwrap().id, "payment-methods");
    assert!(
        mexican.replies[0].text.starts_with("¡Hola"),
        "{}",
        mexican.replies[0].text
    );
    let german = engine::decide(
        shipped(),
        &ConversationState::default(),
        &message("Can I pay with PayPal?", Some("de")),
        at(OPEN),
    );
    assert_eq!(german.article.as_ref().unwrap().id, "payment-methods");
    assert!(
        german.replies[0].text.starts_with("Hi"),
        "{}",
        german.replies[0].text
    );
}

#[test]
fn the_customers_time_zone_and_name_shape_the_replies() {
    let inbound = Inbound {
        channel: "sms".into(),
        text: "talk to a person".into(),
        customer: Customer {
            id: "c9".into(),
            name: Some("Ana".into()),
            locale: Some("en".into()),
            timezone: Some("America/New_York".into()),
        },
    };
    let decision = engine::decide(
        shipped(),
        &ConversationState::default(),
        &inbound,
        at(CLOSED),
    );
    let text = all_text(&decision);
    assert!(text.contains("Ana"), "{text}");
    // Monday 08:00 in Amsterdam is 02:00 in New York.
    assert!(text.contains("02:00 (your time)"), "{text}");
}

#[test]
fn replies_are_html_escaped_on_the_web_channel_only() {
    let mut inbound = message("How much does shipping cost?", Some("en"));
    inbound.channel = "web".into();
    let web = engine::decide(shipped(), &ConversationState::default(), &inbound, at(OPEN));
    assert!(web.replies[0].text.contains("Maple &amp; Moss"));
    let sms = engine::decide(
        shipped(),
        &ConversationState::default(),
        &message("How much does shipping cost?", Some("en")),
        at(OPEN),
    );
    assert!(sms.replies[0].text.contains("Maple & Moss"));
}

#[test]
fn a_waiting_step_that_no_longer_exists_is_dropped_and_the_message_answered_afresh() {
    let state = ConversationState {
        waiting: Some(FlowPosition {
            flow: "removed_flow".into(),
            step: "gone".into(),
            retries: 0,
        }),
        last_message_at: Some(at(OPEN)),
        session: 1,
        ..ConversationState::default()
    };
    let decision = engine::decide(
        shipped(),
        &state,
        &message("How much does shipping cost?", None),
        at("2026-11-23T10:01:00+01:00"),
    );
    assert_eq!(decision.action, Action::Answered);
    assert!(decision.state.waiting.is_none());
}

#[test]
fn the_same_content_state_message_and_clock_give_the_same_decision() {
    for text in [
        "How much does shipping cost?",
        "my account",
        "talk to a person",
        "Where is my order?",
        "((((",
        "",
    ] {
        let first = engine::decide(
            shipped(),
            &ConversationState::default(),
            &message(text, None),
            at(CLOSED),
        );
        let second = engine::decide(
            shipped(),
            &ConversationState::default(),
            &message(text, None),
            at(CLOSED),
        );
        assert_eq!(
            serde_json::to_string(&first).unwrap(),
            serde_json::to_string(&second).unwrap()
        );
        assert_eq!(first.state, second.state);
    }
}

#[test]
fn hostile_customer_text_gets_a_sane_decision() {
    let huge = "refund ".repeat(20_000);
    let parens = "(".repeat(1000);
    for text in [
        "",
        "   ",
        "\u{0}\u{1}\u{202e}",
        "🙂🙂🙂",
        parens.as_str(),
        huge.as_str(),
        "title:foo AND (bar OR \"baz",
        "SELECT * FROM users; --",
    ] {
        let decision = first_message(text);
        assert!(!decision.replies.is_empty(), "{text:.40}");
        assert!(decision.confidence.is_none_or(|c| (0.0..=1.0).contains(&c)));
    }
}

//! Tests: templates. Locale fallback, HTML escaping per channel, load-time checks (unknown
//! variables, partial cycles and missing partials, syntax errors with positions), and what
//! the shipped templates say through `engine::decide` (next opening time, customer name).

use std::collections::BTreeSet;

use firstline::diag::{Diagnostic, Diagnostics};
use firstline::engine::{self, ConversationState, Customer, Decision, Inbound, ReplyKind};
use firstline::locale::Locale;
use firstline::reply::{from_texts, is_html_channel, Templates};
use serde_json::{json, Value};

use crate::support::{at, message, shipped, ContentCopy, CLOSED, OPEN};

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap_or_else(|| panic!("bad locale {tag}"))
}

fn slots(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Builds templates that must be free of problems.
fn templates(texts: &[(&str, &str, &str)], slot_names: &[&str]) -> Templates {
    let mut diagnostics = Diagnostics::default();
    let templates = from_texts(texts, &slots(slot_names), &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics}");
    templates
}

/// The problems found in templates.
fn problems(texts: &[(&str, &str, &str)], slot_names: &[&str]) -> Vec<Diagnostic> {
    let mut diagnostics = Diagnostics::default();
    from_texts(texts, &slots(slot_names), &mut diagnostics);
    diagnostics.0
}

fn has_problem(problems: &[Diagnostic], file: &str, text: &str) -> bool {
    problems
        .iter()
        .any(|d| d.file.to_string_lossy() == file && d.message.contains(text))
}

fn data() -> Value {
    json!({
        "customer": {"name": "<b>Ann & Bob</b>", "known": true},
        "business": {"name": "Maple & Moss", "help_center_url": "https://help.example.test"},
        "slots": {"order_number": "12345678"},
    })
}

// ---- locale fallback ---------------------------------------------------------------------

fn fallback_templates() -> Templates {
    templates(
        &[
            ("en", "greeting", "Hello"),
            ("en", "goodbye", "Goodbye"),
            ("en", "help", "Help"),
            ("es", "greeting", "Hola"),
            ("es", "help", "Ayuda"),
            ("es-MX", "greeting", "Qué onda"),
        ],
        &[],
    )
}

#[test]
fn the_fallback_chain_goes_from_region_to_language_to_default() {
    let default = locale("en");
    assert_eq!(
        locale("es-MX").fallback_chain(&default),
        [locale("es-MX"), locale("es"), locale("en")]
    );
    assert_eq!(
        locale("es_mx").fallback_chain(&default),
        [locale("es-MX"), locale("es"), locale("en")]
    );
    assert_eq!(
        locale("es").fallback_chain(&default),
        [locale("es"), locale("en")]
    );
    assert_eq!(locale("en").fallback_chain(&default), [locale("en")]);
    assert_eq!(
        locale("en-GB").fallback_chain(&default),
        [locale("en-GB"), locale("en")]
    );
}

#[test]
fn rendering_uses_the_most_specific_locale_that_has_the_template() {
    let templates = fallback_templates();
    let chain = locale("es-MX").fallback_chain(&locale("en"));
    let render = |name| templates.render(&chain, name, data(), false);
    assert_eq!(render("greeting").as_deref(), Some("Qué onda"));
    assert_eq!(render("help").as_deref(), Some("Ayuda"));
    assert_eq!(render("goodbye").as_deref(), Some("Goodbye"));
    assert_eq!(render("missing"), None);
}

#[test]
fn another_region_of_the_same_language_falls_back_to_the_language() {
    let templates = fallback_templates();
    let chain = locale("es-AR").fallback_chain(&locale("en"));
    assert_eq!(
        templates
            .render(&chain, "greeting", data(), false)
            .as_deref(),
        Some("Hola")
    );
    let chain = locale("fr").fallback_chain(&locale("en"));
    assert_eq!(
        templates
            .render(&chain, "greeting", data(), false)
            .as_deref(),
        Some("Hello")
    );
}

#[test]
fn has_looks_in_exactly_one_locale() {
    let templates = fallback_templates();
    assert!(templates.has(&locale("es-MX"), "greeting"));
    assert!(!templates.has(&locale("es-MX"), "help"));
    assert!(templates.has(&locale("es"), "help"));
    assert!(!templates.has(&locale("fr"), "greeting"));
}

// ---- escaping ----------------------------------------------------------------------------

#[test]
fn html_rendering_escapes_variables_and_plain_rendering_does_not() {
    let templates = templates(
        &[(
            "en",
            "hello",
            "Hi {{customer.name}}, welcome to {{business.name}}",
        )],
        &[],
    );
    let chain = [locale("en")];
    assert_eq!(
        templates.render(&chain, "hello", data(), true).as_deref(),
        Some("Hi &lt;b&gt;Ann &amp; Bob&lt;/b&gt;, welcome to Maple &amp; Moss")
    );
    assert_eq!(
        templates.render(&chain, "hello", data(), false).as_deref(),
        Some("Hi <b>Ann & Bob</b>, welcome to Maple & Moss")
    );
}

#[test]
fn template_text_itself_is_never_escaped() {
    let templates = templates(
        &[("en", "bold", "<b>Order</b> & more: {{slots.order_number}}")],
        &["order_number"],
    );
    let chain = [locale("en")];
    assert_eq!(
        templates.render(&chain, "bold", data(), true).as_deref(),
        Some("<b>Order</b> & more: 12345678")
    );
}

#[test]
fn only_web_channels_are_html() {
    for channel in ["web", "webchat", "widget"] {
        assert!(is_html_channel(channel), "{channel}");
    }
    for channel in ["whatsapp", "sms", "email", "messenger", "telegram", ""] {
        assert!(!is_html_channel(channel), "{channel}");
    }
}

#[test]
fn rendered_text_is_trimmed() {
    let templates = templates(&[("en", "padded", "\n\n  Hello  \n\n")], &[]);
    assert_eq!(
        templates
            .render(&[locale("en")], "padded", data(), false)
            .as_deref(),
        Some("Hello")
    );
}

// ---- load-time checks ----------------------------------------------------------------------

#[test]
fn an_unknown_variable_is_reported() {
    let found = problems(&[("en", "hello", "Hi {{custmer.name}}")], &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        has_problem(
            &found,
            "templates/en/hello.hbs",
            "unknown variable `custmer.name`"
        ),
        "{found:?}"
    );
}

#[test]
fn a_slot_no_flow_defines_is_an_unknown_variable() {
    let found = problems(
        &[(
            "en",
            "order",
            "Order {{slots.order_number}} and {{slots.nope}}",
        )],
        &["order_number"],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        has_problem(
            &found,
            "templates/en/order.hbs",
            "unknown variable `slots.nope`"
        ),
        "{found:?}"
    );
}

#[test]
fn unknown_variables_inside_blocks_and_helpers_are_reported() {
    let found = problems(
        &[
            ("en", "a", "{{#if custmer.known}}yes{{/if}}"),
            ("en", "b", "{{#unless queue.open}}{{next_opn}}{{/unless}}"),
            ("en", "c", "{{#if queue.open}}open{{else}}{{resaon}}{{/if}}"),
        ],
        &[],
    );
    assert!(
        has_problem(&found, "templates/en/a.hbs", "`custmer.known`"),
        "{found:?}"
    );
    assert!(
        has_problem(&found, "templates/en/b.hbs", "`next_opn`"),
        "{found:?}"
    );
    assert!(
        has_problem(&found, "templates/en/c.hbs", "`resaon`"),
        "{found:?}"
    );
    assert_eq!(found.len(), 3, "{found:?}");
}

#[test]
fn every_documented_variable_is_accepted() {
    let text = "{{customer.name}} {{customer.known}} {{business.name}} \
                {{business.help_center_url}} {{slots.order_number}} {{article.title}} \
                {{article.url}} {{article.answer}} {{article.id}} {{queue.name}} {{queue.open}} \
                {{queue.reply_minutes}} {{next_open}} {{next_open_at}} {{timezone}} {{reason}} \
                {{#each suggestions}}{{number}}. {{title}} ({{url}}) {{../business.name}}{{/each}}";
    templates(&[("en", "everything", text)], &["order_number"]);
}

#[test]
fn suggestion_fields_are_only_known_inside_each_suggestions() {
    let found = problems(
        &[
            ("en", "outside", "{{number}}. {{title}}"),
            ("en", "inside", "{{#each suggestions}}{{nmber}}{{/each}}"),
            ("en", "other_list", "{{#each customer}}{{name}}{{/each}}"),
        ],
        &[],
    );
    assert!(
        has_problem(&found, "templates/en/outside.hbs", "`number`"),
        "{found:?}"
    );
    assert!(
        has_problem(&found, "templates/en/outside.hbs", "`title`"),
        "{found:?}"
    );
    assert!(
        has_problem(&found, "templates/en/inside.hbs", "`nmber`"),
        "{found:?}"
    );
    assert!(
        has_problem(
            &found,
            "templates/en/other_list.hbs",
            "`each` only iterates over `suggestions`"
        ),
        "{found:?}"
    );
}

#[test]
fn unknown_helpers_and_decorators_are_reported() {
    let found = problems(
        &[
            ("en", "shout", "{{shout customer.name}}"),
            ("en", "lookup", "{{lookup slots 'order_number'}}"),
            ("en", "decorator", "{{*inline}}"),
        ],
        &[],
    );
    assert!(
        has_problem(&found, "templates/en/shout.hbs", "unknown helper `shout`"),
        "{found:?}"
    );
    assert!(
        has_problem(&found, "templates/en/lookup.hbs", "unknown helper `lookup`"),
        "{found:?}"
    );
    assert!(
        has_problem(&found, "templates/en/decorator.hbs", "decorators"),
        "{found:?}"
    );
}

#[test]
fn the_with_helper_is_refused_rather_than_checked_wrongly() {
    // Variables inside `with` would be relative to its argument; the checker only knows
    // root and `each suggestions` scopes, so `with` is not offered at all.
    let found = problems(
        &[("en", "with", "{{#with customer}}{{name}}{{/with}}")],
        &[],
    );
    assert!(
        found
            .iter()
            .any(|p| p.message.contains("unknown helper `with`")),
        "{found:?}"
    );
}

#[test]
fn partials_render_inside_the_template_that_includes_them() {
    let templates = templates(
        &[
            ("en", "signature", "— {{business.name}}"),
            ("en", "hello", "Hello!\n{{> signature}}"),
        ],
        &[],
    );
    assert_eq!(
        templates
            .render(&[locale("en")], "hello", data(), false)
            .as_deref(),
        Some("Hello!\n— Maple & Moss")
    );
}

#[test]
fn a_partial_cycle_is_reported() {
    let found = problems(&[("en", "a", "A {{> b}}"), ("en", "b", "B {{> a}}")], &[]);
    assert!(
        has_problem(&found, "templates/en/a.hbs", "cycle: a → b → a"),
        "{found:?}"
    );
    assert!(
        has_problem(&found, "templates/en/b.hbs", "cycle: b → a → b"),
        "{found:?}"
    );
}

#[test]
fn a_template_including_itself_is_a_cycle() {
    let found = problems(&[("en", "loop", "again {{> loop}}")], &[]);
    assert!(
        has_problem(&found, "templates/en/loop.hbs", "cycle: loop → loop"),
        "{found:?}"
    );
}

#[test]
fn a_longer_cycle_through_three_templates_is_reported() {
    let found = problems(
        &[
            ("en", "one", "{{> two}}"),
            ("en", "two", "{{> three}}"),
            ("en", "three", "{{> one}}"),
            ("en", "outside", "{{> one}}"),
        ],
        &[],
    );
    for name in ["one", "two", "three"] {
        assert!(
            has_problem(&found, &format!("templates/en/{name}.hbs"), "cycle"),
            "{name}: {found:?}"
        );
    }
    // Including a cycle is not itself being in one.
    assert!(
        !has_problem(&found, "templates/en/outside.hbs", "cycle"),
        "{found:?}"
    );
}

#[test]
fn a_partial_to_a_missing_template_is_reported() {
    let found = problems(&[("en", "hello", "Hello {{> footer}}")], &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        has_problem(
            &found,
            "templates/en/hello.hbs",
            "includes `footer`, which has no `en` template"
        ),
        "{found:?}"
    );
}

#[test]
fn a_partial_must_exist_in_the_same_locale() {
    let found = problems(
        &[
            ("en", "footer", "Bye"),
            ("es", "hello", "Hola {{> footer}}"),
        ],
        &[],
    );
    assert!(
        has_problem(
            &found,
            "templates/es/hello.hbs",
            "includes `footer`, which has no `es` template"
        ),
        "{found:?}"
    );
}

#[test]
fn a_template_syntax_error_is_reported_with_its_position() {
    let found = problems(&[("en", "broken", "Hello {{customer.name}")], &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].file.to_string_lossy(), "templates/en/broken.hbs");
    assert_eq!(found[0].position, Some((1, 22)), "{found:?}");
    assert!(
        found[0].message.starts_with("template syntax:"),
        "{found:?}"
    );

    let found = problems(
        &[(
            "en",
            "mismatched",
            "line one\nb {{#if queue.open}}y{{/each}}",
        )],
        &[],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].position.map(|p| p.0), Some(2), "{found:?}");
    assert!(
        found[0]
            .message
            .contains("\"if\" was opened, but \"each\" is closing"),
        "{found:?}"
    );

    let found = problems(&[("en", "unclosed", "ok\n\n  {{customer..name}}")], &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].position.map(|p| p.0), Some(3), "{found:?}");
}

#[test]
fn a_broken_template_is_left_out_and_the_others_still_render() {
    let mut diagnostics = Diagnostics::default();
    let templates = from_texts(
        &[("en", "broken", "{{#if}}"), ("en", "fine", "Fine")],
        &BTreeSet::new(),
        &mut diagnostics,
    );
    assert_eq!(diagnostics.len(), 1, "{diagnostics}");
    let chain = [locale("en")];
    assert_eq!(templates.render(&chain, "broken", data(), false), None);
    assert_eq!(
        templates.render(&chain, "fine", data(), false).as_deref(),
        Some("Fine")
    );
}

// ---- shipped templates through the engine --------------------------------------------------

fn inbound(
    channel: &str,
    text: &str,
    name: Option<&str>,
    locale: Option<&str>,
    timezone: Option<&str>,
) -> Inbound {
    Inbound {
        channel: channel.into(),
        text: text.into(),
        customer: Customer {
            id: "c1".into(),
            name: name.map(str::to_string),
            locale: locale.map(str::to_string),
            timezone: timezone.map(str::to_string),
        },
    }
}

/// A conversation that already started a few minutes before `CLOSED`, in Spanish: the next
/// message is not a first contact, so a hand-off gets its own off-hours notice.
fn ongoing_spanish_conversation() -> ConversationState {
    ConversationState {
        session: 1,
        session_started_at: Some(at("2026-11-22T02:50:00+01:00")),
        last_message_at: Some(at("2026-11-22T02:55:00+01:00")),
        locale: Some("es".into()),
        ..ConversationState::default()
    }
}

fn reply_of(decision: &Decision, kind: ReplyKind) -> &str {
    decision
        .replies
        .iter()
        .find(|r| r.kind == kind)
        .map(|r| r.text.as_str())
        .unwrap_or_else(|| panic!("no {kind:?} reply in {:?}", decision.replies))
}

#[test]
fn the_off_hours_reply_tells_a_spanish_customer_when_in_spanish() {
    let decision = engine::decide(
        shipped(),
        &ongoing_spanish_conversation(),
        &message("Quiero hablar con una persona", Some("es")),
        at(CLOSED),
    );
    let text = reply_of(&decision, ReplyKind::OffHours);
    assert!(text.contains("a las"), "{text}");
    // Sunday 03:00 in Amsterdam: support opens on Monday, tomorrow, at 08:00.
    assert!(
        text.contains("mañana a las 08:00 (Europe/Amsterdam)"),
        "{text}"
    );
    assert!(text.contains("Atención al cliente"), "{text}");
}

#[test]
fn the_first_contact_when_closed_says_when_a_person_is_back_in_spanish() {
    let decision = engine::decide(
        shipped(),
        &ConversationState::default(),
        &message("¿Cuánto cuesta el envío?", Some("es")),
        at(CLOSED),
    );
    let text = reply_of(&decision, ReplyKind::Autoresponse);
    assert!(text.contains("¡Hola!"), "{text}");
    assert!(
        text.contains("estará de vuelta mañana a las 08:00 (Europe/Amsterdam)"),
        "{text}"
    );
}

#[test]
fn the_off_hours_reply_uses_the_customers_time_zone_when_known() {
    let decision = engine::decide(
        shipped(),
        &ongoing_spanish_conversation(),
        &inbound(
            "whatsapp",
            "Quiero hablar con una persona",
            None,
            Some("es"),
            Some("America/Mexico_City"),
        ),
        at(CLOSED),
    );
    let text = reply_of(&decision, ReplyKind::OffHours);
    // Monday 08:00 in Amsterdam is Monday 01:00 in Mexico City, where it is still Saturday.
    assert!(
        text.contains("el lunes 23 de noviembre a las 01:00 (tu hora)"),
        "{text}"
    );
}

#[test]
fn a_regional_spanish_customer_gets_the_spanish_templates() {
    let decision = engine::decide(
        shipped(),
        &ConversationState::default(),
        &inbound("whatsapp", "hola", Some("Ana"), Some("es-MX"), None),
        at(OPEN),
    );
    assert_eq!(decision.locale, "es-MX");
    let text = reply_of(&decision, ReplyKind::Autoresponse);
    assert!(text.starts_with("¡Hola, Ana!"), "{text}");
}

#[test]
fn the_customer_name_appears_when_given() {
    for (locale, greeting) in [
        ("en", "Hi Ana!"),
        ("es", "¡Hola, Ana!"),
        ("fr", "Ana"),
        ("nl", "Ana"),
    ] {
        let decision = engine::decide(
            shipped(),
            &ConversationState::default(),
            &inbound("whatsapp", "hello", Some("Ana"), Some(locale), None),
            at(OPEN),
        );
        let text = reply_of(&decision, ReplyKind::Autoresponse);
        assert!(text.contains(greeting), "{locale}: {text}");
    }
}

#[test]
fn a_sensible_greeting_is_used_when_the_name_is_unknown() {
    for name in [None, Some(""), Some("   ")] {
        let decision = engine::decide(
            shipped(),
            &ConversationState::default(),
            &inbound("whatsapp", "hello", name, Some("en"), None),
            at(OPEN),
        );
        let text = reply_of(&decision, ReplyKind::Autoresponse);
        assert!(text.starts_with("Hi! "), "{name:?}: {text}");
        let decision = engine::decide(
            shipped(),
            &ConversationState::default(),
            &inbound("whatsapp", "hola", name, Some("es"), None),
            at(OPEN),
        );
        let text = reply_of(&decision, ReplyKind::Autoresponse);
        assert!(text.starts_with("¡Hola! "), "{name:?}: {text}");
    }
}

#[test]
fn an_unknown_name_is_a_polite_word_for_templates_that_use_it_directly() {
    let copy = ContentCopy::new();
    copy.write(
        "templates/en/first_contact.hbs",
        "Hello {{customer.name}}! This is {{business.name}}.",
    );
    let content = copy.load().unwrap_or_else(|d| panic!("{d}"));
    let decision = engine::decide(
        &content,
        &ConversationState::default(),
        &inbound("whatsapp", "hello", None, Some("en"), None),
        at(OPEN),
    );
    assert_eq!(
        reply_of(&decision, ReplyKind::Autoresponse),
        "Hello there! This is Maple & Moss."
    );
    let decision = engine::decide(
        &content,
        &ConversationState::default(),
        &inbound("whatsapp", "hello", Some(" Ana "), Some("en"), None),
        at(OPEN),
    );
    assert_eq!(
        reply_of(&decision, ReplyKind::Autoresponse),
        "Hello Ana! This is Maple & Moss."
    );
}

#[test]
fn a_web_reply_escapes_the_customer_name_and_a_whatsapp_reply_does_not() {
    let name = "<b>Ann&Bob</b>";
    let web = engine::decide(
        shipped(),
        &ConversationState::default(),
        &inbound("web", "hello", Some(name), Some("en"), None),
        at(OPEN),
    );
    let text = reply_of(&web, ReplyKind::Autoresponse);
    assert!(
        text.starts_with("Hi &lt;b&gt;Ann&amp;Bob&lt;/b&gt;!"),
        "{text}"
    );
    assert!(text.contains("Maple &amp; Moss"), "{text}");
    assert!(!text.contains("<b>"), "{text}");

    let plain = engine::decide(
        shipped(),
        &ConversationState::default(),
        &inbound("whatsapp", "hello", Some(name), Some("en"), None),
        at(OPEN),
    );
    let text = reply_of(&plain, ReplyKind::Autoresponse);
    assert!(text.starts_with("Hi <b>Ann&Bob</b>!"), "{text}");
    assert!(text.contains("Maple & Moss"), "{text}");
}

#[test]
fn dates_are_written_in_the_language_of_the_template_that_is_rendered() {
    let decision = engine::decide(
        shipped(),
        &ConversationState::default(),
        &inbound("whatsapp", "hello there", None, Some("de"), None),
        at(CLOSED),
    );
    let text = reply_of(&decision, ReplyKind::Autoresponse);
    assert!(text.contains("Our team is offline right now"), "{text}");
    assert!(
        text.contains("a person will be back tomorrow at 08:00"),
        "{text}"
    );
}

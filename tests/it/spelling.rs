//! Spelling correction: a misspelled word is read as the content's word one edit away, and
//! only then; real words, short words, names and numbers stay as written.

use firstline::engine::{self, Action, ConversationState};
use firstline::locale::Language;
use firstline::spelling::Speller;

use crate::support::{at, message, ContentCopy, OPEN};

fn speller() -> Speller {
    Speller::build(
        Language::En,
        [
            "How much does shipping cost? Shipping is free over 50 euros.",
            "My package has not arrived. Where is my package?",
            "How do I return something? Returns are free; return within 30 days.",
            "Track your parcel, track it daily. Our warehouse ships daily.",
            "Card or cart: card payments, cart items. Card, cart.",
            "Shipped or shipper: shipped twice, the shipper twice.",
        ],
    )
}

#[test]
fn a_word_one_edit_from_a_content_word_is_read_as_it() {
    let speller = speller();
    for (typo, meant) in [
        ("shiping", "shipping"),   // a letter missing
        ("shippping", "shipping"), // a letter too many
        ("pakage", "package"),
        ("retrun", "return"),   // two letters swapped
        ("packagr", "package"), // a wrong letter, in a long word
        ("Shiping", "shipping"),
    ] {
        assert_eq!(speller.correct_word(typo), Some(meant), "{typo}");
    }
}

#[test]
fn known_short_ambiguous_and_unlike_words_stay_as_written() {
    let speller = speller();
    for word in [
        "shipping",   // known
        "packages",   // another form of a known word
        "returned",   // the same stem as "return"
        "trak",       // four letters: too short to correct
        "wherehouse", // two edits away
        "hipping",    // the first letter differs
        "parcek",     // a wrong letter in a short word ("crack" is not "track")
        "carx",       // between "card" and "cart": short, and a tie
        "shippe",     // "shipped" and "shipper", each used as often: a tie, no way to choose
        "r2d2",       // digits
        "",
        "💥💥💥💥💥",
        "ship-ping",
    ] {
        assert_eq!(speller.correct_word(word), None, "{word:?}");
    }
}

#[test]
fn a_text_keeps_everything_but_the_corrected_words() {
    let speller = speller();
    assert_eq!(
        speller.correct(
            "My pakage hasn't arived?! Order #12345678, shiping: €4.95",
            |_| false
        ),
        Some("My package hasn't arived?! Order #12345678, shipping: €4.95".to_string())
    );
    assert_eq!(speller.correct("Where is my package?", |_| false), None);
    // Words the caller knows in other ways stay.
    assert_eq!(
        speller.correct("Shiping", |folded| folded == "shiping"),
        None
    );
    // Hostile text: no panic, nothing to correct, or everything in place.
    assert_eq!(speller.correct("", |_| false), None);
    assert_eq!(speller.correct(&"🙂".repeat(10_000), |_| false), None);
    let long = "shiping ".repeat(20_000);
    let corrected = speller.correct(&long, |_| false).expect("corrected");
    assert_eq!(corrected, "shipping ".repeat(20_000));
    assert_eq!(
        speller.correct("e\u{301}\u{301}\u{301} שלום pakage", |_| false),
        Some("e\u{301}\u{301}\u{301} שלום package".to_string())
    );
}

#[test]
fn misspelled_questions_reach_their_answer_in_four_languages() {
    let content = ContentCopy::new().load().expect("loads");
    let decide = |text: &str, locale: &str| {
        engine::decide(
            &content,
            &ConversationState::default(),
            &message(text, Some(locale)),
            at(OPEN),
        )
    };
    // Each was a hand-off or suggestions (with the misspelled word unknown) before.
    let decision = decide("how do i retrun somthing", "en");
    assert_eq!(decision.flow.as_deref(), Some("returns"));
    let decision = decide("donde esta mi pedidoo", "es");
    assert_eq!(decision.flow.as_deref(), Some("order_status"));
    // Misspelled and without its apostrophe, it reads as the question written well.
    let decision = decide("my pakage hasnt arived", "en");
    let written_well = decide("my package hasn't arrived", "en");
    assert_eq!(decision.action, written_well.action);
    assert_eq!(decision.confidence, written_well.confidence);
    let top = match decision.action {
        Action::Answered => decision.article.map(|a| a.id),
        _ => decision.suggestions.first().map(|s| s.id.clone()),
    };
    assert_eq!(top.as_deref(), Some("missing-parcel"));
    let decision = decide("combien coute la livrasion", "fr");
    assert_eq!(
        decision.article.map(|a| a.id),
        Some("shipping-costs".to_string())
    );
    // A flow keyword ("waar is mijn pakket") matches the corrected text.
    let decision = decide("waar is mijn pakkett", "nl");
    assert_eq!(decision.flow.as_deref(), Some("order_status"));
}

#[test]
fn chat_shorthand_is_read_as_the_words_it_stands_for() {
    use firstline::locale::expand_chat_words;
    assert_eq!(
        expand_chat_words(Language::En, "do u ship to Spain? thx").as_deref(),
        Some("do you ship to Spain? thanks")
    );
    assert_eq!(
        expand_chat_words(Language::Nl, "ik wil m’n bestelling annuleren").as_deref(),
        Some("ik wil mijn bestelling annuleren")
    );
    // Only whole words, and nothing to write out is `None`.
    assert_eq!(expand_chat_words(Language::En, "your order"), None);
    assert_eq!(
        expand_chat_words(Language::Fr, "svp").as_deref(),
        Some("s'il vous plaît")
    );

    let content = ContentCopy::new().load().expect("loads");
    let decide = |text: &str| {
        engine::decide(
            &content,
            &ConversationState::default(),
            &message(text, None),
            at(OPEN),
        )
    };
    // Was a suggestion (0.54): "u" and "guys" are no words of the help center.
    let decision = decide("hey do u guys ship to spain");
    assert_eq!(decision.locale, "en");
    assert_eq!(
        decision.article.map(|a| a.id),
        Some("shipping-countries".to_string())
    );
    // Shorthand tells the language too: "a" and "bot" alone made this Spanish.
    let decision = decide("r u a bot");
    assert_eq!(decision.locale, "en");
    assert_eq!(
        decision.article.map(|a| a.id),
        Some("virtual-assistant".to_string())
    );
    let decision = decide("ik wil mn bestelling annuleren");
    assert_eq!(decision.locale, "nl");
    assert_eq!(
        decision.article.map(|a| a.id),
        Some("cancel-order".to_string())
    );
}

//! Tests: yaml_input. Hostile and malformed author YAML through `yaml::parse` (small typed
//! documents) and through a content copy whose flow files are broken on purpose: bounded
//! size and alias expansion, positions of every kind of mistake, and no panics.

use std::path::Path;

use firstline::diag::Diagnostic;
use firstline::yaml::{self, Positions, MAX_EXPANDED_NODES, MAX_FILE_BYTES};
use serde::Deserialize;

use crate::support::ContentCopy;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    name: String,
    #[serde(default)]
    items: Vec<String>,
    #[serde(default)]
    count: Option<u32>,
}

/// Any document: for inputs whose shape does not matter.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
struct Anything(#[allow(dead_code)] serde_json::Value);

fn file() -> &'static Path {
    Path::new("author.yaml")
}

fn parse_doc(text: &str) -> Result<(Doc, Positions), Diagnostic> {
    yaml::parse::<Doc>(file(), text, 0)
}

fn refused<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    text: &str,
    line_offset: usize,
) -> Diagnostic {
    match yaml::parse::<T>(file(), text, line_offset) {
        Ok((value, _)) => panic!("must be refused, parsed as {value:?}"),
        Err(diagnostic) => diagnostic,
    }
}

/// A "billion laughs" document: nine levels, each a list of nine aliases to the level below.
fn billion_laughs() -> String {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for pair in names.windows(2) {
        let aliases = vec![format!("*{}", pair[0]); 9].join(", ");
        text.push_str(&format!("{0}: &{0} [{aliases}]\n", pair[1]));
    }
    text
}

/// The same bomb written with block mappings.
fn billion_laughs_in_mappings() -> String {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let mut text = String::from("a: &a\n");
    for key in 0..9 {
        text.push_str(&format!("  k{key}: lol\n"));
    }
    for pair in names.windows(2) {
        text.push_str(&format!("{}: &{}\n", pair[1], pair[1]));
        for key in 0..9 {
            text.push_str(&format!("  k{key}: *{}\n", pair[0]));
        }
    }
    text
}

#[test]
fn a_well_formed_document_parses_into_its_type_with_positions() {
    let (doc, positions) = parse_doc("name: x\nitems: [a, b]\ncount: 3\n").expect("parses");
    assert_eq!(doc.name, "x");
    assert_eq!(doc.items, ["a", "b"]);
    assert_eq!(doc.count, Some(3));
    assert_eq!(positions.at("count"), Some((3, 8)));
    assert_eq!(positions.at("items.1"), Some((2, 12)));
}

// ---- size and alias expansion --------------------------------------------------------------

#[test]
fn a_billion_laughs_alias_bomb_is_refused_for_its_expansion() {
    let diagnostic = refused::<Anything>(&billion_laughs(), 0);
    assert!(
        diagnostic.message.contains("expands to more than"),
        "{diagnostic}"
    );
    assert!(
        diagnostic.message.contains(&MAX_EXPANDED_NODES.to_string()),
        "{diagnostic}"
    );
    assert_eq!(diagnostic.file, file());
}

#[test]
fn a_billion_laughs_bomb_in_block_mappings_is_refused_for_its_expansion() {
    let diagnostic = refused::<Anything>(&billion_laughs_in_mappings(), 0);
    assert!(
        diagnostic.message.contains("expands to more than"),
        "{diagnostic}"
    );
}

#[test]
fn a_billion_laughs_bomb_is_refused_whatever_type_is_expected() {
    // The bound applies before deserializing, so a typed document is protected too.
    let diagnostic = refused::<Doc>(&billion_laughs(), 0);
    assert!(diagnostic.message.contains("expands"), "{diagnostic}");
}

#[test]
fn a_few_aliases_are_accepted_and_expanded() {
    let text = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n";
    let (value, _) = yaml::parse::<serde_json::Value>(file(), text, 0).expect("parses");
    assert_eq!(value["b"][2], serde_json::json!([1, 2, 3]));
}

#[test]
fn an_alias_to_itself_is_an_error_not_a_stack_overflow() {
    let diagnostic = refused::<Anything>("a: &a [*a]\n", 0);
    assert!(!diagnostic.message.is_empty());
}

#[test]
fn an_alias_to_an_unknown_anchor_is_a_positioned_error() {
    let diagnostic = refused::<Anything>("a: 1\nb: *nope\n", 0);
    assert_eq!(diagnostic.position.map(|p| p.0), Some(2), "{diagnostic}");
    assert!(diagnostic.message.contains("anchor"), "{diagnostic}");
}

#[test]
fn a_file_over_one_mebibyte_is_refused() {
    let mut text = String::from("name: x\nitems:\n");
    while text.len() <= MAX_FILE_BYTES {
        text.push_str("  - the same item, again and again, to make a big file\n");
    }
    let diagnostic = refused::<Doc>(&text, 0);
    assert_eq!(diagnostic.position, None);
    assert!(
        diagnostic
            .message
            .contains(&format!("more than the {MAX_FILE_BYTES} allowed")),
        "{diagnostic}"
    );
    assert!(
        diagnostic.message.contains(&text.len().to_string()),
        "{diagnostic}"
    );
}

#[test]
fn a_file_of_exactly_one_mebibyte_is_accepted() {
    let head = "name: x\n#";
    let text = format!("{head}{}", "a".repeat(MAX_FILE_BYTES - head.len()));
    assert_eq!(text.len(), MAX_FILE_BYTES);
    let (doc, _) = parse_doc(&text).expect("a file at the limit parses");
    assert_eq!(doc.name, "x");
}

#[test]
fn deep_flow_nesting_is_an_error_not_a_stack_overflow() {
    let unclosed = "[".repeat(10_000);
    let diagnostic = refused::<Anything>(&unclosed, 0);
    assert!(
        diagnostic.message.contains("recursion limit"),
        "{diagnostic}"
    );
    assert_eq!(diagnostic.position.map(|p| p.0), Some(1), "{diagnostic}");

    let balanced = format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000));
    let diagnostic = refused::<Anything>(&balanced, 0);
    assert!(
        diagnostic.message.contains("nested deeper than")
            || diagnostic.message.contains("recursion limit"),
        "{diagnostic}"
    );

    let mappings = format!("a: {}1{}", "{a: ".repeat(10_000), "}".repeat(10_000));
    let diagnostic = refused::<Anything>(&mappings, 0);
    assert!(
        diagnostic.message.contains("nested deeper than")
            || diagnostic.message.contains("recursion limit"),
        "{diagnostic}"
    );
}

#[test]
fn deep_block_nesting_is_an_error_not_a_stack_overflow() {
    // A stack overflow aborts the whole process, so the parse runs in a child test process.
    const CHILD: &str = "FIRSTLINE_TEST_DEEP_BLOCK_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let nested = format!("{}x\n", "- ".repeat(10_000));
        let diagnostic = refused::<Anything>(&nested, 0);
        assert!(!diagnostic.message.is_empty());
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "yaml_input::deep_block_nesting_is_an_error_not_a_stack_overflow",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("runs the test binary");
    assert!(
        output.status.success(),
        "parsing 10,000 nested block sequences crashed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---- positions of mistakes -----------------------------------------------------------------

#[test]
fn a_syntax_error_reports_its_line_and_column() {
    // The unclosed `[` swallows the next line; its `:` (line 3, column 6) is the error.
    let diagnostic = refused::<Doc>("name: x\nitems: [a, b\ncount: 3\n", 0);
    assert_eq!(diagnostic.position, Some((3, 6)), "{diagnostic}");
    assert!(
        diagnostic.message.starts_with("YAML syntax:"),
        "{diagnostic}"
    );
    assert_eq!(
        diagnostic.to_string(),
        "author.yaml:3:6: YAML syntax: illegal placement of ':' indicator"
    );
}

#[test]
fn an_unterminated_quote_points_at_the_opening_quote() {
    let diagnostic = refused::<Doc>("name: \"x\n", 0);
    assert_eq!(diagnostic.position, Some((1, 7)), "{diagnostic}");
    assert!(diagnostic.message.contains("quoted scalar"), "{diagnostic}");
}

#[test]
fn a_mapping_value_where_none_is_allowed_reports_its_position() {
    let diagnostic = refused::<Doc>("name: x\n  bad: : :\n", 0);
    assert_eq!(diagnostic.position, Some((2, 6)), "{diagnostic}");
}

#[test]
fn an_unknown_key_reports_its_line() {
    let diagnostic = refused::<Doc>("name: x\nitems: []\ncolour: red\n", 0);
    assert_eq!(diagnostic.position, Some((3, 1)), "{diagnostic}");
    assert!(
        diagnostic.message.contains("unknown field `colour`"),
        "{diagnostic}"
    );
    // The message lists what is allowed, and the position is not repeated inside it.
    assert!(diagnostic.message.contains("`name`"), "{diagnostic}");
    assert!(!diagnostic.message.contains(" at line "), "{diagnostic}");
}

#[test]
fn a_wrong_type_reports_the_position_of_the_value() {
    let diagnostic = refused::<Doc>("name: x\ncount: many\n", 0);
    assert_eq!(diagnostic.position, Some((2, 8)), "{diagnostic}");
    assert!(diagnostic.message.contains("count"), "{diagnostic}");
    assert!(diagnostic.message.contains("invalid type"), "{diagnostic}");

    let diagnostic = refused::<Doc>("name: x\nitems: {a: 1}\n", 0);
    assert_eq!(diagnostic.position, Some((2, 8)), "{diagnostic}");
    assert!(
        diagnostic.message.contains("expected a sequence"),
        "{diagnostic}"
    );
}

#[test]
fn a_missing_required_key_is_reported() {
    let diagnostic = refused::<Doc>("items: [a]\n", 0);
    assert!(
        diagnostic.message.contains("missing field `name`"),
        "{diagnostic}"
    );
}

#[test]
fn an_empty_file_is_a_missing_field_not_a_crash() {
    for text in ["", "\n\n", "   \n", "# only a comment\n"] {
        let diagnostic = refused::<Doc>(text, 0);
        assert!(
            diagnostic.message.contains("missing field `name`"),
            "{text:?}: {diagnostic}"
        );
    }
}

#[test]
fn a_second_document_in_one_file_is_refused() {
    let diagnostic = refused::<Doc>("name: x\n---\nname: y\n", 0);
    assert!(
        diagnostic.message.contains("more than one document"),
        "{diagnostic}"
    );
}

#[test]
fn a_line_offset_shifts_every_reported_line() {
    // Front matter that starts on line 2 of its file: line_offset 1.
    let text = "name: x\nitems: [a, b\ncount: 3\n";
    assert_eq!(refused::<Doc>(text, 0).position, Some((3, 6)));
    assert_eq!(refused::<Doc>(text, 1).position, Some((4, 6)));
    assert_eq!(refused::<Doc>(text, 5).position, Some((8, 6)));

    let unknown = "name: x\ncolour: red\n";
    assert_eq!(refused::<Doc>(unknown, 0).position, Some((2, 1)));
    assert_eq!(refused::<Doc>(unknown, 10).position, Some((12, 1)));

    let wrong = "name: x\ncount: many\n";
    assert_eq!(refused::<Doc>(wrong, 3).position, Some((5, 8)));

    let (_, positions) =
        yaml::parse::<Doc>(file(), "name: x\nitems:\n  - a\n  - b\n", 10).expect("parses");
    assert_eq!(positions.at("items.1"), Some((14, 5)));
    assert_eq!(positions.key("items"), Some((12, 1)));
}

// ---- Positions ----------------------------------------------------------------------------

const NESTED: &str = "\
name: x
items:
  - a
  - b
nested:
  deep:
    - k: v
      other: w
";

fn nested_positions() -> Positions {
    yaml::parse::<serde_json::Value>(file(), NESTED, 0)
        .expect("parses")
        .1
}

#[test]
fn positions_give_the_line_and_column_of_a_value_by_dotted_path() {
    let positions = nested_positions();
    assert_eq!(positions.at("name"), Some((1, 7)));
    assert_eq!(positions.at("items"), Some((3, 3)));
    assert_eq!(positions.at("items.0"), Some((3, 5)));
    assert_eq!(positions.at("items.1"), Some((4, 5)));
    assert_eq!(positions.at("nested.deep.0.k"), Some((7, 10)));
    assert_eq!(positions.at("nested.deep.0.other"), Some((8, 14)));
    // Block mappings: the right line.
    assert_eq!(positions.at("nested").map(|p| p.0), Some(6));
    assert_eq!(positions.at("nested.deep.0").map(|p| p.0), Some(7));
}

#[test]
fn positions_of_keys_point_at_the_key() {
    let positions = nested_positions();
    assert_eq!(positions.key("name"), Some((1, 1)));
    assert_eq!(positions.key("items"), Some((2, 1)));
    assert_eq!(positions.key("nested.deep"), Some((6, 3)));
    assert_eq!(positions.key("nested.deep.0.other"), Some((8, 7)));
    // A sequence item has no key: its value's position.
    assert_eq!(positions.key("items.1"), Some((4, 5)));
}

#[test]
fn positions_fall_back_to_the_nearest_recorded_ancestor() {
    let positions = nested_positions();
    assert_eq!(positions.at("items.7"), positions.at("items"));
    assert_eq!(positions.at("items.1.x.y"), Some((4, 5)));
    assert_eq!(
        positions.at("nested.deep.0.missing.more"),
        positions.at("nested.deep.0")
    );
    // Nothing shared at all: the document itself, on line 1.
    assert_eq!(positions.at("nope.x").map(|p| p.0), Some(1));
    assert_eq!(positions.at("nope"), positions.at(""));
}

#[test]
fn a_block_mapping_value_position_is_its_first_key() {
    let positions = nested_positions();
    assert_eq!(positions.at("nested"), Some((6, 3)));
    assert_eq!(positions.at("nested.deep.0"), Some((7, 7)));
}

// ---- odd Unicode -------------------------------------------------------------------------

#[test]
fn right_to_left_marks_emoji_and_invisible_characters_survive_parsing() {
    let text =
        "name: \"\u{202e}abc\u{200f} 😀\"\nitems: ['é', 👍, \u{200b}x\u{fe0f}, \"\\a\\x01\"]\n";
    let (doc, _) = parse_doc(text).expect("parses");
    assert_eq!(doc.name, "\u{202e}abc\u{200f} 😀");
    assert_eq!(doc.items, ["é", "👍", "\u{200b}x\u{fe0f}", "\u{7}\u{1}"]);
}

#[test]
fn a_byte_order_mark_on_a_one_key_file_is_accepted() {
    let (doc, _) = parse_doc("\u{feff}name: x\n").expect("parses");
    assert_eq!(doc.name, "x");
}

#[test]
fn a_byte_order_mark_at_the_start_of_a_file_is_accepted() {
    let (doc, _) = parse_doc("\u{feff}name: x\nitems: [a]\n").expect("parses");
    assert_eq!(doc.items, ["a"]);
    let (doc, _) = parse_doc("\u{feff}# comment\nname: x\n").expect("parses");
    assert_eq!(doc.name, "x");
}

#[test]
fn raw_control_characters_are_refused_with_a_message() {
    for text in [
        "name: a\u{1}b\n",
        "name: x\nitems: [\"\u{1b}[31m\", b]\n",
        "name: a\u{7f}b\u{85}\n",
        "name: \"\u{7}\"\n",
    ] {
        let diagnostic = refused::<Doc>(text, 0);
        assert!(
            diagnostic.message.contains("control characters"),
            "{text:?}: {diagnostic}"
        );
    }
}

#[test]
fn a_key_disguised_with_a_right_to_left_mark_is_an_unknown_key() {
    let diagnostic = refused::<Doc>("\u{200f}name: x\n", 0);
    assert!(diagnostic.message.contains("unknown field"), "{diagnostic}");
    assert!(diagnostic.message.contains("\u{200f}name"), "{diagnostic}");
}

#[test]
fn hostile_unicode_never_panics() {
    let inputs = [
        "\u{feff}",
        "\u{feff}\u{feff}name: x\n",
        "\u{feff}name: x\nitems: [a]\n",
        "\u{feff}name: x\r\nitems: [a]\r\n",
        "name: \"\\ud800\"\n",
        "name: \"\\U0010FFFF\"\n",
        "name: \u{10ffff}\u{e0001}\n",
        "\u{2028}\u{2029}name: x\n",
        "name: x\u{2028}items: [a]\n",
        "? \u{202e}\n: \u{202d}\n",
        "&\u{1f600} name: x\n",
        "name: *\u{1f600}\n",
        "!\u{1f600} {name: x}\n",
        "name: |\n  \u{0301}\u{0301}\u{0301}\n",
        "\u{1b}[2J",
    ];
    for text in inputs {
        // Either outcome is fine; a panic fails the test.
        let _ = parse_doc(text);
        let _ = yaml::parse::<Anything>(file(), text, 3);
    }
}

// ---- through content loading ---------------------------------------------------------------

fn load_errors(copy: &ContentCopy) -> String {
    match copy.load() {
        Ok(_) => panic!("broken content must not load"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

#[test]
fn a_flow_file_with_a_syntax_error_is_reported_at_its_line_and_column() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/broken.yaml",
        "name: broken\nsteps:\n  - say: [a, b\n    colour: red\n",
    );
    let errors = load_errors(&copy);
    assert!(
        errors.contains("flows/broken.yaml:4:11: YAML syntax:"),
        "{errors}"
    );
}

#[test]
fn a_flow_file_with_an_unknown_key_is_reported_at_its_line() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/broken.yaml",
        "name: broken\nsteps:\n  - say: first_contact\n    colour: red\n",
    );
    let errors = load_errors(&copy);
    assert!(errors.contains("flows/broken.yaml:4:5:"), "{errors}");
    assert!(errors.contains("unknown field `colour`"), "{errors}");
}

#[test]
fn a_flow_file_with_a_wrong_type_is_reported_at_the_value() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/broken.yaml",
        "name: broken\nsteps:\n  - say: first_contact\n    end: maybe\n",
    );
    let errors = load_errors(&copy);
    assert!(errors.contains("flows/broken.yaml:4:10:"), "{errors}");
    assert!(errors.contains("invalid type"), "{errors}");
}

#[test]
fn an_empty_flow_file_is_reported_as_a_missing_field() {
    let copy = ContentCopy::new();
    copy.write("flows/empty.yaml", "");
    let errors = load_errors(&copy);
    assert!(
        errors.contains("flows/empty.yaml:1:1: missing field `name`"),
        "{errors}"
    );
}

#[test]
fn an_alias_bomb_in_a_flow_file_is_refused() {
    let copy = ContentCopy::new();
    copy.write("flows/bomb.yaml", &billion_laughs());
    let errors = load_errors(&copy);
    assert!(errors.contains("flows/bomb.yaml: YAML expands"), "{errors}");
}

#[test]
fn an_oversized_flow_file_is_refused() {
    let copy = ContentCopy::new();
    let mut text = String::from("name: big\ndescription: >\n");
    while text.len() <= MAX_FILE_BYTES {
        text.push_str("  a very long description that nobody will ever read\n");
    }
    text.push_str("steps:\n  - say: first_contact\n");
    copy.write("flows/big.yaml", &text);
    let errors = load_errors(&copy);
    assert!(errors.contains("flows/big.yaml: file is"), "{errors}");
}

#[test]
fn deeply_nested_flow_file_is_refused_without_a_stack_overflow() {
    let copy = ContentCopy::new();
    copy.write(
        "flows/deep.yaml",
        &format!("name: deep\nsteps: {}\n", "[".repeat(10_000)),
    );
    let errors = load_errors(&copy);
    assert!(errors.contains("flows/deep.yaml:2:"), "{errors}");
}

#[test]
fn front_matter_errors_are_reported_at_their_line_in_the_markdown_file() {
    let copy = ContentCopy::new();
    let original = copy.read("kb/en/return-policy.md");
    let tags_line = original
        .lines()
        .position(|line| line.starts_with("tags:"))
        .expect("the shipped article has tags")
        + 1;
    copy.edit("kb/en/return-policy.md", "tags:", "colour: red\ntags:");
    let errors = load_errors(&copy);
    assert!(
        errors.contains(&format!(
            "kb/en/return-policy.md:{tags_line}:1: unknown field `colour`"
        )),
        "{errors}"
    );
}

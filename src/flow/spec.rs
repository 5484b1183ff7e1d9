//! The flow file format as authors write it (raw, deserialized from YAML). `flow::compile`
//! turns these into checked flows; nothing else reads these types.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub triggers: TriggersSpec,
    /// Regexes over the message as written whose named captures are kept as slots from any
    /// message the bot answers, whatever it does with it ("my order 12345678 hasn't come"),
    /// for the session: a flow that asks for such a slot then does not ask again.
    #[serde(default)]
    pub remember: Vec<String>,
    /// The id of the help-center article this flow is about: a question asked while the flow
    /// waits for a value ("how long do I have?" while the returns flow asks for the order
    /// number) is read with that article's subject, answered, and the question asked again.
    #[serde(default)]
    pub topic: Option<String>,
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggersSpec {
    /// Keywords by language code.
    #[serde(default)]
    pub keywords: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Regexes over the folded message: a message matching one never starts this flow.
    #[serde(default)]
    pub except: Vec<String>,
    /// Example phrases by language code.
    #[serde(default)]
    pub examples: BTreeMap<String, Vec<String>>,
    /// `idle` (default): only when no flow waits for an answer; `always`: may also interrupt a
    /// waiting flow; `in_flow`: only while a flow waits.
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub id: Option<String>,
    pub say: Option<String>,
    pub ask: Option<AskSpec>,
    pub branch: Option<Vec<BranchSpec>>,
    pub set: Option<SetSpec>,
    pub goto_flow: Option<String>,
    pub call: Option<String>,
    pub handoff: Option<HandoffSpec>,
    pub end: Option<bool>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskSpec {
    pub slot: String,
    pub prompt: String,
    #[serde(default)]
    pub validate: Option<ValidatorSpec>,
    #[serde(default)]
    pub retries: Option<u8>,
    #[serde(default)]
    pub invalid: Option<String>,
    #[serde(default)]
    pub on_fail: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorSpec {
    pub email: Option<bool>,
    pub phone: Option<bool>,
    pub number: Option<RangeSpec>,
    pub length: Option<RangeSpec>,
    pub regex: Option<String>,
    pub one_of: Option<OneOfSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Either a list of accepted answers, or canonical values with the answers that mean them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOfSpec {
    List(Vec<String>),
    Map(BTreeMap<String, Vec<String>>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchSpec {
    pub when: Option<ConditionSpec>,
    pub goto: Option<String>,
    pub otherwise: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    pub open: Option<String>,
    pub closed: Option<String>,
    pub slot: Option<String>,
    pub equals: Option<String>,
    pub one_of: Option<Vec<String>>,
    pub present: Option<bool>,
    pub channel: Option<OneOrMany>,
    pub locale: Option<OneOrMany>,
    /// Whether the reply before this message answered with a help-center article or offered
    /// some ("did you mean").
    pub answered: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(value) => vec![value],
            OneOrMany::Many(values) => values,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSpec {
    pub slot: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffSpec {
    pub queue: Option<String>,
    pub priority: Option<String>,
    pub reason: Option<String>,
    /// Template said before handing off (default: `handoff`, or `off_hours` when closed).
    pub message: Option<String>,
}

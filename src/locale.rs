//! Locales and languages: parsing `es-MX`, the template fallback chain, language detection of
//! customer text, and the few words firstline writes itself (weekdays, months, "tomorrow at").
//! No file access and no clock here.

use rustc_hash::FxHashSet as HashSet;
use std::fmt;

use jiff::civil::{Date, Weekday};
use serde::Serialize;

/// A language firstline can analyze (stemming, stop words) and write dates in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Es,
    Fr,
    Nl,
    De,
    Pt,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::En,
        Language::Es,
        Language::Fr,
        Language::Nl,
        Language::De,
        Language::Pt,
    ];

    /// The language's place in [`Language::ALL`], for tables with one entry per language.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Es => "es",
            Language::Fr => "fr",
            Language::Nl => "nl",
            Language::De => "de",
            Language::Pt => "pt",
        }
    }

    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|language| language.code().eq_ignore_ascii_case(code))
    }
}

/// A BCP 47-ish locale tag as customers' channels send it: `es`, `es-MX`, `pt_BR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locale {
    tag: String,
}

/// The two-letter code of a language firstline knows when a channel names it by its
/// ISO 639-2 code (`spa`, `fre`/`fra`, `dut`/`nld`) or by its name, in English or in itself
/// (`Spanish`, `español`, `Nederlands`), as some helpdesks and CRMs store it.
fn three_letter_or_name(language: &str) -> Option<&'static str> {
    const NAMES: [(&str, &[&str]); 6] = [
        ("en", &["eng", "english"]),
        (
            "es",
            &["spa", "spanish", "español", "espanol", "castellano"],
        ),
        ("fr", &["fra", "fre", "french", "français", "francais"]),
        (
            "nl",
            &["nld", "dut", "dutch", "nederlands", "vlaams", "flemish"],
        ),
        ("de", &["deu", "ger", "german", "deutsch"]),
        ("pt", &["por", "portuguese", "português", "portugues"]),
    ];
    let lower = language.to_lowercase();
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&lower.as_str()))
        .map(|(code, _)| *code)
}

impl Locale {
    /// Accepts `xx` or `xx-YY` (also `xx_YY`), letters only, and normalizes the case.
    pub fn parse(raw: &str) -> Option<Locale> {
        let raw = raw.trim().replace('_', "-");
        let mut parts = raw.split('-');
        let language = parts.next()?;
        if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic())
        {
            return None;
        }
        let mut tag = language.to_ascii_lowercase();
        if let Some(region) = parts.next() {
            if !(2..=4).contains(&region.len())
                || !region.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return None;
            }
            tag.push('-');
            tag.push_str(&region.to_ascii_uppercase());
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Locale { tag })
    }

    /// What a channel's locale hint says, however it is written: the language and a region
    /// of a full BCP 47 tag (`zh-Hant-TW` as `zh-TW`, `es-MX-u-ca-gregory` as `es-MX`,
    /// `de-CH-1996` as `de-CH`), or of a POSIX one (`en_US.UTF-8`, `fr_FR@euro`). `None` when
    /// it names no language (`und`, `x-private`, `123`): such a hint is ignored, never a
    /// reason to refuse a customer's message.
    pub fn from_hint(raw: &str) -> Option<Locale> {
        let raw = raw.trim();
        let raw = raw.split(['.', '@']).next().unwrap_or(raw);
        let mut parts = raw.split(['-', '_']);
        let language = parts.next()?;
        let language = three_letter_or_name(language).unwrap_or(language);
        if !(2..=3).contains(&language.len())
            || !language.chars().all(|c| c.is_ascii_alphabetic())
            || language.eq_ignore_ascii_case("und")
        {
            return None;
        }
        let mut tag = language.to_ascii_lowercase();
        for part in parts {
            match part.len() {
                // A script ("Hant", "Latn") says nothing the engine uses.
                4 if part.chars().all(|c| c.is_ascii_alphabetic()) => continue,
                2 if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                    tag.push('-');
                    tag.push_str(&part.to_ascii_uppercase());
                }
                3 if part.chars().all(|c| c.is_ascii_digit()) => {
                    tag.push('-');
                    tag.push_str(part);
                }
                _ => {}
            }
            break;
        }
        Some(Locale { tag })
    }

    pub fn from_language(language: Language) -> Locale {
        Locale {
            tag: language.code().to_string(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.tag
    }

    /// The language part: `es` for `es-MX`.
    pub fn language_code(&self) -> &str {
        self.tag.split('-').next().unwrap_or(&self.tag)
    }

    pub fn language(&self) -> Option<Language> {
        Language::from_code(self.language_code())
    }

    /// `es-MX` → [`es-MX`, `es`, default]; without repeats.
    pub fn fallback_chain(&self, default: &Locale) -> Vec<Locale> {
        let mut chain = vec![self.clone()];
        let language = Locale {
            tag: self.language_code().to_string(),
        };
        if language != *self {
            chain.push(language);
        }
        if !chain.contains(default) {
            chain.push(default.clone());
        }
        chain
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)
    }
}

impl Serialize for Locale {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.tag)
    }
}

/// The words of a text that have a letter: "12345678", "?" and "🙂" are not words.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
}

/// What whatlang makes of a customer's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// One of the languages asked about.
    Candidate(Language),
    /// Clearly another language customers of a European shop write (German, Portuguese,
    /// Italian) that is not among them: no reason to read it as the nearest one served.
    Other,
    /// Too short or too close to call.
    Unclear,
}

/// Languages told apart from the candidates, so that German is not taken for Dutch nor
/// Italian for French.
const OTHER_LANGUAGES: [whatlang::Lang; 3] = [
    whatlang::Lang::Deu,
    whatlang::Lang::Por,
    whatlang::Lang::Ita,
];

/// Guesses the language of customer text among `candidates`. Short or ambiguous texts are
/// `Unclear` so the caller falls back to a known locale rather than guessing wildly.
pub fn detect(text: &str, candidates: &[Language]) -> Detection {
    let words = word_count(text);
    if words < 3 || candidates.is_empty() {
        return Detection::Unclear;
    }
    let mut allow: Vec<whatlang::Lang> = candidates.iter().map(|l| to_whatlang(*l)).collect();
    for other in OTHER_LANGUAGES {
        if !allow.contains(&other) {
            allow.push(other);
        }
    }
    let detector = whatlang::Detector::with_allowlist(allow);
    let Some(info) = detector.detect(text) else {
        return Detection::Unclear;
    };
    let candidate = candidates
        .iter()
        .copied()
        .find(|language| to_whatlang(*language) == info.lang());
    match candidate {
        // whatlang's reliability flag is strict on chat-length text; a clear margin is enough.
        Some(language) if info.is_reliable() || (words >= 4 && info.confidence() >= 0.5) => {
            Detection::Candidate(language)
        }
        // Another language only when whatlang is sure of it.
        None if words >= 4 && info.is_reliable() => Detection::Other,
        _ => Detection::Unclear,
    }
}

fn to_whatlang(language: Language) -> whatlang::Lang {
    match language {
        Language::En => whatlang::Lang::Eng,
        Language::Es => whatlang::Lang::Spa,
        Language::Fr => whatlang::Lang::Fra,
        Language::Nl => whatlang::Lang::Nld,
        Language::De => whatlang::Lang::Deu,
        Language::Pt => whatlang::Lang::Por,
    }
}

/// Writes "when a person is back" as a phrase that fits after a verb in `language`:
/// "tomorrow at 09:00", "el lunes 23 de noviembre a las 09:00", "op maandag 23 november om 09:00".
/// `today` is the date of "now" in the same time zone as `date`.
pub fn when_phrase(language: Language, today: Date, date: Date, time: &str) -> String {
    let days_ahead = (date - today).get_days();
    let weekday = weekday_name(language, date.weekday());
    let month = month_name(language, date.month());
    let day = date.day();
    match (language, days_ahead) {
        (Language::En, 0) => format!("today at {time}"),
        (Language::En, 1) => format!("tomorrow at {time}"),
        (Language::En, _) => format!("on {weekday} {day} {month} at {time}"),
        (Language::Es, 0) => format!("hoy a las {time}"),
        (Language::Es, 1) => format!("mañana a las {time}"),
        (Language::Es, _) => format!("el {weekday} {day} de {month} a las {time}"),
        (Language::Fr, 0) => format!("aujourd'hui à {time}"),
        (Language::Fr, 1) => format!("demain à {time}"),
        (Language::Fr, _) => format!("{weekday} {day} {month} à {time}"),
        (Language::Nl, 0) => format!("vandaag om {time}"),
        (Language::Nl, 1) => format!("morgen om {time}"),
        (Language::Nl, _) => format!("op {weekday} {day} {month} om {time}"),
        (Language::De, 0) => format!("heute um {time}"),
        (Language::De, 1) => format!("morgen um {time}"),
        (Language::De, _) => format!("am {weekday}, {day}. {month} um {time}"),
        (Language::Pt, 0) => format!("hoje às {time}"),
        (Language::Pt, 1) => format!("amanhã às {time}"),
        (Language::Pt, _) => format!("na {weekday}, {day} de {month}, às {time}"),
    }
}

/// "(your time)" in the customer's language, used when the customer's own zone is known.
pub fn your_time(language: Language) -> &'static str {
    match language {
        Language::En => "your time",
        Language::Es => "tu hora",
        Language::Fr => "votre heure",
        Language::Nl => "jouw tijd",
        Language::De => "Ihre Zeit",
        Language::Pt => "seu horário",
    }
}

fn weekday_name(language: Language, weekday: Weekday) -> &'static str {
    let index = weekday.to_monday_zero_offset() as usize;
    let names: [&str; 7] = match language {
        Language::En => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
        Language::Es => [
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
        ],
        Language::Fr => [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ],
        Language::Nl => [
            "maandag",
            "dinsdag",
            "woensdag",
            "donderdag",
            "vrijdag",
            "zaterdag",
            "zondag",
        ],
        Language::De => [
            "Montag",
            "Dienstag",
            "Mittwoch",
            "Donnerstag",
            "Freitag",
            "Samstag",
            "Sonntag",
        ],
        Language::Pt => [
            "segunda-feira",
            "terça-feira",
            "quarta-feira",
            "quinta-feira",
            "sexta-feira",
            "sábado",
            "domingo",
        ],
    };
    names[index]
}

fn month_name(language: Language, month: i8) -> &'static str {
    let index = (month.clamp(1, 12) - 1) as usize;
    let names: [&str; 12] = match language {
        Language::En => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        Language::Es => [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        Language::Fr => [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        Language::Nl => [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
        Language::De => [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        Language::Pt => [
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ],
    };
    names[index]
}

/// Greeting and filler words, folded (`j'ai` → `jai`), and the words of "I don't know" and
/// "no idea". A message made only of these is small talk: nothing to search for, nothing to
/// hand off, and no change of subject when a flow asked a question.
const SMALL_TALK: [(Language, &[&str]); 4] = [
    (
        Language::En,
        &[
            "nah",
            "night",
            "nite",
            "goodnight",
            "gnight",
            "never",
            "mind",
            "nevermind",
            "forget",
            "fine",
            "makes",
            "sense",
            "k",
            "alright",
            "understood",
            "ah",
            "oh",
            "right",
            "oki",
            "okey",
            "kk",
            "helped",
            "helps",
            "answers",
            "answered",
            "my",
            "what",
            "needed",
            "really",
            "useful",
            "hello",
            "hi",
            "hey",
            "good",
            "see",
            "later",
            "soon",
            "morning",
            "afternoon",
            "evening",
            "there",
            "i",
            "have",
            "a",
            "question",
            "quick",
            "can",
            "could",
            "you",
            "help",
            "need",
            "me",
            "please",
            "thanks",
            "thank",
            "ok",
            "okay",
            "yes",
            "no",
            "hmm",
            "anyone",
            "is",
            "im",
            "dont",
            "do",
            "not",
            "know",
            "idea",
            "clue",
            "sure",
            "sorry",
            "remember",
            "thats",
            "all",
            "so",
            "much",
            "very",
            "it",
            "that",
            "was",
            "got",
            "great",
            "perfect",
            "awesome",
            "cool",
            "bye",
            "goodbye",
            "ciao",
            "cheers",
            "mate",
            "thx",
            "helpful",
            "for",
            "your",
            "in",
            "advance",
            "lot",
            "then",
            "nice",
            "day",
            "lovely",
            "brill",
            "million",
            "problem",
            "brilliant",
            "many",
            // "oh well, thanks anyway"
            "well",
            "anyway",
            "anyways",
            // "thanks for the info", "thanks and bye"
            "the",
            "info",
            "information",
            "and",
            // "oh what a shame, thanks anyway", "too bad, bye", "gutted. never mind"
            "gutted",
            "shame",
            "pity",
            "too",
            "bad",
            "bummer",
        ],
    ),
    (
        Language::Es,
        &[
            // "vaya, pues nada. Adiós", "qué lástima, gracias", "gracias de todas formas"
            "todas",
            "formas",
            "vaya",
            "lastima",
            "pena",
            "que",
            "da",
            "igual",
            "importa",
            "olvidalo",
            "dejalo",
            "nada",
            "bien",
            "entendido",
            "entiendo",
            "claro",
            "acuerdo",
            "ya",
            "ha",
            "servido",
            "sirve",
            "sirvio",
            "ayudado",
            "util",
            "hola",
            "buenos",
            "buenas",
            "dias",
            "tardes",
            "noches",
            "tengo",
            "una",
            "pregunta",
            "puedes",
            "puede",
            "ayudarme",
            "ayuda",
            "necesito",
            "podeis",
            "decir",
            "algo",
            "me",
            "por",
            "favor",
            "gracias",
            "vale",
            "si",
            "no",
            "alguien",
            "hay",
            "se",
            "lo",
            "ni",
            "idea",
            "recuerdo",
            "estoy",
            "seguro",
            "segura",
            "perdon",
            "muchas",
            "muchisimas",
            "adios",
            "hasta",
            "luego",
            "eso",
            "es",
            "todo",
            "perfecto",
            "genial",
            "muy",
            "amable",
            "tu",
            "su",
            "dia",
            "majo",
            "chau",
            "listo",
            "problema",
            "maja",
            "chao",
            "duda",
            "consulta",
            "bueno",
            "buen",
            "saludos",
            "saludo",
            "un",
            "igualmente",
            // "vale pues nada, gracias"
            "pues",
            "entonces",
            // "gracias por la info"
            "la",
            "info",
            "informacion",
        ],
    ),
    (
        Language::Fr,
        &[
            "ben", "bah", "nuit", "laisse", "tomber", "grave", "tant", "pis", "tres", "compris",
            "marche", "ah", "oh", "utile", "maide", "ma", "bonjour", "bonsoir", "salut", "coucou",
            "jai", "une", "question", "pouvez", "vous", "maider", "aider", "m", "merci", "svp",
            "oui", "non", "daccord", "quelquun", "il", "y", "a", "je", "ne", "sais", "pas",
            "aucune", "idee", "me", "souviens", "plus", "desole", "desolee", "beaucoup", "au",
            "revoir", "besoin", "daide", "dire", "quelque", "chose", "cest", "tout", "parfait",
            "super", "genial", "bonne", "journee", "pour", "votre", "aide", "ca", "bien",
            "davance", "soiree", "c", "souci", "probleme", "tantot", "bientot",
            // "bon tant pis. bonne journée", "bref, merci"
            "bon", "alors", "bref", "enfin",
            // "merci pour les infos", "merci beaucoup et bonne journée"
            "les", "infos", "info", "et",
            // "d'accord, dommage. merci", "merci quand même"
            "dommage", "quand", "meme",
        ],
    ),
    (
        Language::Nl,
        &[
            "slaap",
            "lekker",
            "welterusten",
            "laat",
            "maar",
            "zitten",
            "hoeft",
            "dan",
            "zo",
            "begrepen",
            "duidelijk",
            "snap",
            "helder",
            "akkoord",
            "goed",
            "wat",
            "aan",
            "helpt",
            "nuttig",
            "hebt",
            "heeft",
            "hallo",
            "hoi",
            "goedemorgen",
            "goedemiddag",
            "goedenavond",
            "ik",
            "heb",
            "een",
            "vraag",
            "kun",
            "kunt",
            "je",
            "u",
            "mij",
            "me",
            "helpen",
            "alsjeblieft",
            "alstublieft",
            "bedankt",
            "dank",
            "ja",
            "nee",
            "oke",
            "iemand",
            "daar",
            "weet",
            "niet",
            "geen",
            "idee",
            "flauw",
            "het",
            "sorry",
            "dankje",
            "dankjewel",
            "dankuwel",
            "wel",
            "doei",
            "dag",
            "tot",
            "ziens",
            "straks",
            "top",
            "perfect",
            "super",
            "dat",
            "was",
            "alles",
            "fijn",
            "prima",
            "voor",
            "de",
            "hulp",
            "nodig",
            "vertellen",
            "iets",
            "alvast",
            "goeiemorgen",
            "probleem",
            "goeiemiddag",
            "goeienavond",
            "goeiedag",
            "salukes",
            "nog",
            "fijne",
            "geholpen",
            "vraagje",
            // "nou ja, jammer dan. fijne dag"
            "nou",
            "jammer",
            "ach",
            // "bedankt voor de info", "dank je en fijne dag"
            "info",
            "informatie",
            "en",
        ],
    ),
];

/// Words that greet in one language only, and so tell it.
const GREETINGS: [(Language, &[&str]); 4] = [
    (Language::En, &["hello", "hi", "hey"]),
    (Language::Es, &["hola", "buenos", "buenas"]),
    (Language::Fr, &["bonjour", "bonsoir", "salut", "coucou"]),
    (
        Language::Nl,
        &[
            "hallo",
            "hoi",
            "goedemorgen",
            "goedemiddag",
            "goedenavond",
            "goeiemorgen",
            "goeiemiddag",
            "goeienavond",
            "goeiedag",
        ],
    ),
];

/// Words that thank: a message of small talk with one of them closes the conversation
/// ("thanks, that's all", "merci beaucoup", "top, bedankt").
const THANKS: [&str; 29] = [
    "dankje",
    "thanks",
    "thank",
    "thx",
    "cheers",
    "gracias",
    "merci",
    "bedankt",
    "dank",
    "dankjewel",
    "dankuwel",
    "helpful",
    "amable",
    "great",
    "perfect",
    "parfait",
    "perfecto",
    "helped",
    "helps",
    "useful",
    "servido",
    "sirve",
    "sirvio",
    "ayudado",
    "util",
    "utile",
    "geholpen",
    "helpt",
    "nuttig",
];

/// Words that take leave ("bye", "hasta luego", "au revoir", "tot ziens"): without thanks, a
/// message of small talk with one of them says goodbye.
const GOODBYES: [&str; 38] = [
    // Good night: "thanks. night", "bonne nuit", "slaap lekker", "welterusten".
    "night",
    "nite",
    "goodnight",
    "gnight",
    "nuit",
    "slaap",
    "welterusten",
    "bye",
    "goodbye",
    "later",
    "ciao",
    "adios",
    "chao",
    "chau",
    "luego",
    "revoir",
    "journee",
    "soiree",
    "tantot",
    "bientot",
    "doei",
    "ziens",
    "straks",
    "salukes",
    // "Never mind": the customer lets the question go.
    "mind",
    "nevermind",
    "forget",
    "igual",
    "importa",
    "olvidalo",
    "dejalo",
    "tomber",
    "grave",
    "pis",
    "laat",
    "zitten",
    "hoeft",
    // "Too bad": "jammer dan".
    "jammer",
];

/// Words that thank or take leave in one language only, and so tell it when nothing else
/// does ("adiós", "doei").
const CLOSINGS: [(Language, &[&str]); 4] = [
    (Language::En, &["thanks", "thank", "thx", "goodbye"]),
    (
        Language::Es,
        &["gracias", "grax", "adios", "olvidalo", "dejalo"],
    ),
    (Language::Fr, &["merci", "revoir", "tomber"]),
    (
        Language::Nl,
        &[
            "bedankt",
            "dankje",
            "dankjewel",
            "dankuwel",
            "doei",
            "ziens",
            "salukes",
            "laat",
            "slaap",
            "welterusten",
        ],
    ),
];

/// Words of an opening besides the core ones below ("Hi there,", "Buenos días, tengo una
/// pregunta:", "Hoi team,"), folded.
const OPENING: [&str; 27] = [
    "there", "good", "dear", "team", "i", "have", "a", "quick", "can", "could", "you", "help",
    "me", "please", "ok", "okay", "but", "dias", "tardes", "noches", "tengo", "una", "jai", "une",
    "beste", "ik", "heb",
];
/// Words that make a run of opening words an opening, and are opening words themselves: a
/// greeting or "I have a question".
const OPENING_CORE: [&str; 29] = [
    "duda",
    "consulta",
    "vraagje",
    "goeiemorgen",
    "goeiemiddag",
    "goeiedag",
    "hello",
    "hi",
    "hey",
    "morning",
    "afternoon",
    "evening",
    "question",
    "thanks",
    "thank",
    "hola",
    "buenos",
    "buenas",
    "pregunta",
    "bonjour",
    "bonsoir",
    "salut",
    "coucou",
    "hallo",
    "hoi",
    "goedemorgen",
    "goedemiddag",
    "goedenavond",
    "vraag",
];
/// Words of a closing besides the core ones below ("thanks in advance", "merci d'avance",
/// "alvast bedankt", "saludos").
const CLOSING: [&str; 19] = [
    "you", "in", "advance", "please", "kind", "best", "de", "antemano", "por", "favor", "un",
    "saludo", "davance", "beaucoup", "svp", "alvast", "je", "wel", "groet",
];
/// Words that make a run of closing words a closing, and are closing words themselves.
const CLOSING_CORE: [&str; 12] = [
    "thanks",
    "thank",
    "thx",
    "cheers",
    "regards",
    "gracias",
    "saludos",
    "merci",
    "cordialement",
    "bedankt",
    "dank",
    "groeten",
];

/// Whether a text is only contact details or links: email addresses, phone numbers (digits
/// with `+ - ( ) . /`) and web addresses, with at least one of them.
pub fn only_contact_details(text: &str) -> bool {
    let is_detail = |token: &str| {
        let token = token.trim_matches(|c: char| matches!(c, ',' | ';' | '<' | '>' | '"'));
        let lower = token.to_ascii_lowercase();
        let email = token.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
        });
        let link = lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.");
        let phone = token.chars().any(|c| c.is_ascii_digit())
            && token
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | '/'));
        email || link || phone
    };
    let mut tokens = text.split_whitespace().peekable();
    tokens.peek().is_some() && tokens.all(is_detail)
}

/// The two questions of a sentence that joins them with "and" ("How much is shipping to
/// Belgium and how long does it take?", "¿… y cuánto tarda?", "… et combien ça coûte ?",
/// "… en hoe lang duurt het?"): the parts before and after its first "and", each of at
/// least three words. `None` for any other text.
pub fn two_questions(language: Language, text: &str) -> Option<(&str, &str)> {
    static AND: std::sync::LazyLock<[regex::Regex; 6]> = std::sync::LazyLock::new(|| {
        [
            r"(?i)\s(?:and|and also|also)\s",
            r"(?i)\s(?:y|e|y también|y además)\s",
            r"(?i)\s(?:et|et aussi)\s",
            r"(?i)\s(?:en|en ook)\s",
            r"(?i)\s(?:und|und auch)\s",
            r"(?i)\s(?:e|e também)\s",
        ]
        .map(|pattern| regex::Regex::new(pattern).expect("the and patterns compile"))
    });
    let text = text.trim();
    let joint = AND[language.index()].find(text)?;
    let first = text[..joint.start()].trim_end_matches([',', ' ']);
    let second = text[joint.end()..].trim();
    (word_count(first) >= 3 && word_count(second) >= 3).then_some((first, second))
}

/// The words after "because" in a message ("I want to return my lamp because it arrived
/// broken" → "it arrived broken"), up to the end of their sentence: the reason the customer
/// gives, which a flow may ask for later.
pub fn because_clause(language: Language, text: &str) -> Option<&str> {
    static BECAUSE: std::sync::LazyLock<[regex::Regex; 6]> = std::sync::LazyLock::new(|| {
        [
            r"(?i)\b(?:because|cause|cuz|coz)\b",
            r"(?i)\b(?:porque|ya\s+que|dado\s+que)\b",
            r"(?i)(?:\bparce\s+qu['’]|\bparce\s+que\b|\bcar\b|\bpuisqu['’]|\bpuisque\b)",
            r"(?i)\b(?:omdat|want|aangezien)\b",
            r"(?i)\b(?:weil|denn)\b",
            r"(?i)\b(?:porque|pois|j[áa]\s+que)\b",
        ]
        .map(|pattern| regex::Regex::new(pattern).expect("the because patterns compile"))
    });
    let found = BECAUSE[language.index()].find(text)?;
    let rest = &text[found.end()..];
    let end = rest.find(['.', '!', '?', '\n']).unwrap_or(rest.len());
    let clause = rest[..end].trim();
    (!clause.is_empty()).then_some(clause)
}

/// When something happened, which tells no article from another: a past moment counted back
/// ("three weeks ago", "hace tres semanas", "il y a 3 jours", "2 weken geleden"), yesterday,
/// last week or month, and a date with its month named or written with its year ("3
/// November", "le 3 novembre", "03/11/2026"). Left in, such words dilute the ones that ask:
/// "can I return a lamp I bought three weeks ago?" asks what "can I return a lamp?" asks.
/// Periods that are the question stay ("after 30 days", "how many days"), as do weekdays
/// ("are you open on Sunday?") and today or tomorrow.
fn past_time_pattern(language: Language) -> regex::Regex {
    let date = r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b";
    let patterns = [
        // English
        r"\b(?:(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a\s+few|few|several|a\s+couple\s+of|couple\s+of|\d{1,3})\s+(?:days?|weeks?|months?|hours?|minutes?|years?)\s+ago|the\s+day\s+before\s+yesterday|yesterday|(?:last|past)\s+(?:week|weekend|month|year|night|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?MONTHS(?:,?\s+\d{4})?|MONTHS\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?)\b",
        // Spanish
        r"\b(?:hace\s+(?:un|una|unos|unas|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|quince|varios|varias|pocos|pocas|algunos|algunas|\d{1,3})\s+(?:d[íi]as?|semanas?|mes|meses|horas?|minutos?|a[ñn]os?)|anteayer|antier|ayer|(?:la|el)\s+(?:semana|mes|año|fin\s+de\s+semana|lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo)\s+pasad[oa]|\d{1,2}\s+de\s+MONTHS(?:\s+de(?:l)?\s+\d{4})?)\b",
        // French
        r"\b(?:il\s+y\s+a\s+(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|quelques|plusieurs|\d{1,3})\s+(?:jours?|semaines?|mois|heures?|minutes?|ans?)|avant[- ]hier|hier|(?:la\s+semaine|le\s+mois|l['’]ann[ée]e|le\s+week-end|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+derni(?:er|[èe]re)|(?:le\s+)?\d{1,2}(?:er)?\s+MONTHS(?:\s+\d{4})?)\b",
        // Dutch
        r"\b(?:(?:een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twaalf|vijftien|paar|enkele|\d{1,3})\s+(?:dag|dagen|week|weken|maand|maanden|uur|uren|minuten|jaar)\s+geleden|eergisteren|gisteren|(?:vorige|afgelopen)\s+(?:week|maand|jaar|weekend|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)|\d{1,2}\s+MONTHS(?:\s+\d{4})?)\b",
        // German
        r"\b(?:vor\s+(?:einem|einer|zwei|drei|vier|f(?:ü|ue|u)nf|sechs|sieben|acht|neun|zehn|ein\s+paar|einigen|mehreren|\d{1,3})\s+(?:tag|tagen|woche|wochen|monat|monaten|stunde|stunden|minuten|jahr|jahren)|vorgestern|gestern|(?:letzte|letzten|vergangene|vergangenen)\s+(?:woche|monat|jahr|wochenende|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)|\d{1,2}\.?\s+MONTHS(?:\s+\d{4})?)\b",
        // Portuguese
        r"\b(?:h[áa]\s+(?:um|uma|dois|duas|tr[êe]s|quatro|cinco|seis|sete|oito|nove|dez|alguns|algumas|v[áa]rios|v[áa]rias|\d{1,3})\s+(?:dias?|semanas?|m[êe]s|meses|horas?|minutos?|anos?)|anteontem|ontem|(?:a\s+semana|o\s+m[êe]s|o\s+ano|o\s+fim\s+de\s+semana)\s+passad[oa]|\d{1,2}\s+de\s+MONTHS(?:\s+de\s+\d{4})?)\b",
    ];
    let index = language.index();
    let pattern = patterns[index];
    // Each month as written and without its accents ("février", "fevrier").
    let mut months: Vec<String> = (1..=12)
        .flat_map(|month| {
            let name = month_name(language, month).to_lowercase();
            let folded = crate::text::fold(&name);
            [name, folded]
        })
        .collect();
    months.dedup();
    if language == Language::En {
        months.extend(
            [
                "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
            ]
            .map(String::from),
        );
    }
    let alternatives = format!("(?:{})", months.join("|"));
    let pattern = format!(
        "(?i)(?:{}|{date})",
        pattern.replace("MONTHS", &alternatives)
    );
    regex::Regex::new(&pattern).expect("the past-time patterns compile")
}

/// The text with its mentions of a past moment or a date (see `past_time_pattern`) replaced
/// by a space; the text itself when it has none.
pub fn without_past_time(language: Language, text: &str) -> std::borrow::Cow<'_, str> {
    // Each language's pattern is compiled when a message of that language first needs it.
    static PAST_TIME: [std::sync::OnceLock<regex::Regex>; 6] =
        [const { std::sync::OnceLock::new() }; 6];
    let index = language.index();
    PAST_TIME[index]
        .get_or_init(|| past_time_pattern(language))
        .replace_all(text, " ")
}

/// The question inside a message, without an opening greeting or a closing thanks: "Hola,
/// buenos días. No me ha llegado el paquete, gracias" → "No me ha llegado el paquete". A
/// greeting or thanks says nothing about which article answers, and on a short question it
/// outweighs the words that do. A message with nothing else is returned whole.
pub fn question_part(text: &str) -> &str {
    let text = without_salutation(text);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (index, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let in_word = index < text.len() && (c.is_alphanumeric() || c == '\'' || c == '’');
        match (in_word, start) {
            (true, None) => start = Some(index),
            (false, Some(from)) => {
                spans.push((from, index));
                start = None;
            }
            _ => {}
        }
    }
    // Folded only as far as the opening and the closing go: most messages have neither,
    // and stop at their first word.
    let fold = |&(from, to): &(usize, usize)| crate::text::fold(&text[from..to]);
    let run = |words: &mut dyn Iterator<Item = &(usize, usize)>, all: &[&str], core: &[&str]| {
        let mut length = 0;
        let mut has_core = false;
        for word in words {
            let word = fold(word);
            let is_core = core.contains(&word.as_str());
            if !is_core && !all.contains(&word.as_str()) {
                break;
            }
            has_core |= is_core;
            length += 1;
        }
        if has_core {
            length
        } else {
            0
        }
    };
    let first = run(&mut spans.iter(), &OPENING, &OPENING_CORE);
    let last = spans.len() - run(&mut spans[first..].iter().rev(), &CLOSING, &CLOSING_CORE);
    if first == 0 && last == spans.len() {
        return text;
    }
    let middle = &spans[first..last];
    let says_more = middle.iter().any(|span| {
        let word = fold(span);
        !SMALL_TALK
            .iter()
            .any(|(_, list)| list.contains(&word.as_str()))
    });
    match (middle.first(), middle.last()) {
        (Some(from), Some(to)) if says_more => &text[from.0..to.1],
        _ => text,
    }
}

/// A message without the salutation of a letter, up to its comma ("Dear Maple & Moss,",
/// "Estimados señores,", "Chère équipe,", "Beste klantenservice,"): the shop's name in it is
/// no question about contacting the shop. (A sign-off with a name, "Kind regards, Peter",
/// is a sentence of its own, and the message is read a sentence at a time.) A message that
/// is nothing else is returned whole.
fn without_salutation(text: &str) -> &str {
    /// The words a salutation opens with, folded.
    const OPENERS: [&str; 17] = [
        "dear",
        "estimado",
        "estimada",
        "estimados",
        "estimadas",
        "querido",
        "querida",
        "queridos",
        "queridas",
        "cher",
        "chere",
        "chers",
        "cheres",
        "madame",
        "monsieur",
        "beste",
        "geachte",
    ];
    static SALUTATION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^\s*\p{L}+(?:[\s&'’.-]+\p{L}+){0,4}\s*[,:!\n]")
            .expect("a valid pattern")
    });
    // Most messages open with another word, and the pattern is not run for them.
    let first = text
        .trim_start()
        .split(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("");
    if !(4..=9).contains(&first.len()) || !OPENERS.contains(&crate::text::fold(first).as_str()) {
        return text;
    }
    match SALUTATION.find(text) {
        Some(found) if text[found.end()..].chars().any(char::is_alphanumeric) => {
            text[found.end()..].trim_start()
        }
        _ => text,
    }
}

/// A word with each run of one letter written once ("hellooo" → "helo").
fn squeeze(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// The small-talk words by their squeezed form, for words drawn out ("holaa" is "hola").
/// Where two words squeeze alike ("good", "god") the first listed is kept.
static SQUEEZED_SMALL_TALK: std::sync::LazyLock<std::collections::HashMap<String, &'static str>> =
    std::sync::LazyLock::new(|| {
        let mut map = std::collections::HashMap::new();
        for word in SMALL_TALK.iter().flat_map(|(_, list)| list.iter()) {
            map.entry(squeeze(word)).or_insert(*word);
        }
        map
    });

/// The small-talk word that a word drawn out stands for ("holaa" → "hola", "merciii" →
/// "merci"); only a word with a letter twice in a row can be one.
fn drawn_out_small_talk(word: &str) -> Option<&'static str> {
    if !word.as_bytes().windows(2).any(|pair| pair[0] == pair[1]) {
        return None;
    }
    SQUEEZED_SMALL_TALK.get(squeeze(word).as_str()).copied()
}

/// What a message made only of small talk says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    /// Thanks, perhaps with a goodbye or filler ("thanks, bye").
    Thanks,
    /// A goodbye without thanks, perhaps with filler ("ok bye", "tot ziens").
    Goodbye,
    /// A greeting, or a request for help without its subject, perhaps with filler ("hello, I
    /// have a question", "I need help").
    Greeting,
    /// Only taking note of what was said ("ok", "got it", "vale", "d'accord", "begrepen",
    /// "cool"): after a reply, the end of the question; on its own, filler.
    Acknowledgement,
    /// Only filler ("I don't know", "no idea").
    Filler,
}

/// Words that only take note of a reply, folded ("ok got it", "ah vale", "ça marche",
/// "oké, duidelijk").
const ACKNOWLEDGEMENTS: [&str; 52] = [
    "ok",
    "okay",
    "oke",
    "oki",
    "okey",
    "kk",
    "k",
    "alright",
    "right",
    "understood",
    "got",
    "it",
    "i",
    "see",
    "ah",
    "oh",
    "cool",
    "nice",
    "vale",
    "entendido",
    "entiendo",
    "claro",
    "de",
    "acuerdo",
    "ya",
    "bueno",
    "genial",
    "daccord",
    "compris",
    "jai",
    "ca",
    "marche",
    "top",
    "super",
    "bien",
    "tres",
    "begrepen",
    "duidelijk",
    "ik",
    "snap",
    "het",
    "helder",
    "akkoord",
    "goed",
    "prima",
    "dan",
    "zo",
    "that",
    "thats",
    "fine",
    "makes",
    "sense",
];

/// Whether the text is only greetings and filler ("Hello, I have a question", "buenos días").
pub fn is_small_talk(text: &str) -> bool {
    small_talk(text).is_some()
}

/// What the text says when it is made only of small-talk words; `None` when it says anything
/// else.
pub fn small_talk(text: &str) -> Option<SmallTalk> {
    if says_resolved_with_thanks(text) {
        return Some(SmallTalk::Thanks);
    }
    small_talk_words(text)
        .or_else(|| acts_on_the_answer(text).then_some(SmallTalk::Acknowledgement))
        .or_else(|| wishes_well(text))
}

/// A wish for the day, the evening or the weekend, alone or among small talk ("have a nice
/// weekend", "ok top, fijne zondag nog", "bon dimanche", "que tengas un buen finde"): a
/// goodbye, or thanks when the rest thanks. Only a wish word right before a word of time
/// counts: "weekend" alone may ask about weekend deliveries.
fn wishes_well(text: &str) -> Option<SmallTalk> {
    // Asked of every reading of every message that is not small talk: one pass of an
    // automaton over the text as written tells most that they wish nothing (every wish word
    // is ASCII as typed).
    static WISHING: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(WISHES)
                .expect("plain words build an automaton")
        });
    if text.contains(['?', '¿']) || !WISHING.is_match(text) || word_count(text) > CLOSING_WORDS {
        return None;
    }
    let folded = crate::text::fold(text);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut rest: Vec<&str> = Vec::new();
    let mut wished = false;
    let mut index = 0;
    while index < words.len() {
        if WISHES.contains(&words[index]) {
            if let Some(length) = WISHED_TIMES.iter().find_map(|time| {
                let time: Vec<&str> = time.split(' ').collect();
                words[index + 1..].starts_with(&time).then_some(time.len())
            }) {
                wished = true;
                index += 1 + length;
                continue;
            }
        }
        rest.push(words[index]);
        index += 1;
    }
    if !wished {
        return None;
    }
    let rest: Vec<&str> = rest
        .into_iter()
        .filter(|word| !WISH_VERBS.contains(word))
        .collect();
    if rest.is_empty() {
        return Some(SmallTalk::Goodbye);
    }
    match small_talk_words(&rest.join(" "))? {
        SmallTalk::Thanks => Some(SmallTalk::Thanks),
        _ => Some(SmallTalk::Goodbye),
    }
}

/// Words that wish someone a good time, folded.
const WISHES: &[&str] = &[
    "nice", "good", "great", "lovely", "happy", "enjoy", "buen", "buena", "buenas", "feliz",
    "bonito", "bonita", "lindo", "linda", "bon", "bonne", "belle", "fijne", "fijn", "prettige",
    "goede", "mooie", "leuke",
];

/// The times a wish is for, folded.
const WISHED_TIMES: &[&str] = &[
    "day",
    "weekend",
    "week end",
    "evening",
    "night",
    "afternoon",
    "holidays",
    "sunday",
    "saturday",
    "your day",
    "your weekend",
    "your evening",
    "your sunday",
    "dia",
    "finde",
    "fin de semana",
    "domingo",
    "sabado",
    "tarde",
    "noche",
    "journee",
    "soiree",
    "nuit",
    "apres midi",
    "dimanche",
    "samedi",
    "fin de semaine",
    "dag",
    "avond",
    "middag",
    "zondag",
    "zaterdag",
    "nacht",
    "feestdagen",
];

/// Words around a wish that say nothing more ("have a", "que tengas un", "je vous souhaite
/// un"), folded.
const WISH_VERBS: &[&str] = &[
    "have",
    "a",
    "you",
    "too",
    "also",
    "que",
    "tengas",
    "tengan",
    "tenga",
    "pases",
    "pasen",
    "pase",
    "un",
    "una",
    "je",
    "vous",
    "souhaite",
    "te",
    "et",
    "egalement",
    "nog",
    "een",
    "en",
    "ook",
    "jij",
    "jullie",
    "u",
    "wens",
    "wij",
    "we",
    "wish",
    "and",
];

/// [`small_talk`] for a text made only of small-talk words.
fn small_talk_words(text: &str) -> Option<SmallTalk> {
    // Folded a piece at a time, so that a question stops at its first word that is not
    // small talk: every message asks this, and most say something else.
    let mut words: Vec<String> = Vec::new();
    for piece in text.split_whitespace() {
        for word in crate::text::fold(piece)
            .split(' ')
            .filter(|w| !w.is_empty())
        {
            let small = |word: &str| SMALL_TALK.iter().any(|(_, list)| list.contains(&word));
            if small(word) {
                words.push(word.to_string());
                continue;
            }
            // A word drawn out is the word ("holaa", "hiii", "merciii", "doeiii").
            if let Some(listed) = drawn_out_small_talk(word) {
                words.push(listed.to_string());
                continue;
            }
            // Chat shorthand for small talk is small talk ("ty", "merci bcp").
            let written_out = Language::ALL.into_iter().find_map(|language| {
                chat_words(language)
                    .iter()
                    .find(|(short, _)| *short == word)
                    .map(|(_, long)| *long)
            })?;
            let long_words: Vec<String> = crate::text::fold(written_out)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect();
            if !long_words.iter().all(|w| small(w)) {
                return None;
            }
            words.extend(long_words);
        }
    }
    // "ça marche pas" is made of words of small talk ("ça marche", "pas de souci"), and
    // says that something does not work.
    if words.is_empty()
        || (words.iter().any(|word| RESOLVED.contains(&word.as_str()))
            && words.iter().any(|word| NEGATIONS.contains(&word.as_str())))
    {
        return None;
    }
    // A request for help or a question without its subject ("I need help", "tengo una
    // pregunta"), or asking whether anyone is there ("¿hay alguien?"), opens a conversation
    // like a greeting: it is asked what the question is.
    let greets = |word: &String| {
        GREETINGS
            .iter()
            .any(|(_, list)| list.contains(&word.as_str()))
            || matches!(
                word.as_str(),
                "morning"
                    | "afternoon"
                    | "evening"
                    | "dias"
                    | "tardes"
                    | "noches"
                    | "help"
                    | "question"
                    | "ayuda"
                    | "ayudarme"
                    | "pregunta"
                    | "duda"
                    | "consulta"
                    | "aide"
                    | "aider"
                    | "maider"
                    | "daide"
                    | "vraag"
                    | "vraagje"
                    | "hulp"
                    | "helpen"
                    | "anyone"
                    | "alguien"
                    | "quelquun"
                    | "iemand"
            )
    };
    // "Thanks in advance" thanks for help still to come: it opens, it does not close.
    let in_advance = words
        .iter()
        .any(|w| matches!(w.as_str(), "advance" | "antemano" | "davance" | "alvast"));
    Some(
        if !in_advance && words.iter().any(|word| THANKS.contains(&word.as_str())) {
            SmallTalk::Thanks
        } else if !in_advance && words.iter().any(|word| GOODBYES.contains(&word.as_str())) {
            SmallTalk::Goodbye
        } else if in_advance || words.iter().any(greets) {
            SmallTalk::Greeting
        } else if words
            .iter()
            .all(|word| ACKNOWLEDGEMENTS.contains(&word.as_str()))
        {
            SmallTalk::Acknowledgement
        } else {
            SmallTalk::Filler
        },
    )
}

/// The language a greeting in the text belongs to, among `candidates`, when exactly one does.
pub fn greeting_language(text: &str, candidates: &[Language]) -> Option<Language> {
    word_language(&GREETINGS, text, candidates)
}

/// The language a thanks or a goodbye in the text belongs to ("gracias", "doei"), among
/// `candidates`, when exactly one does. Weaker than a greeting: customers thank in English
/// in any language, so this only decides when nothing else is known.
pub fn closing_language(text: &str, candidates: &[Language]) -> Option<Language> {
    word_language(&CLOSINGS, text, candidates)
}

fn word_language(
    lists: &[(Language, &[&str])],
    text: &str,
    candidates: &[Language],
) -> Option<Language> {
    let folded = crate::text::fold(text);
    let mut found = folded.split(' ').filter_map(|word| {
        let listed_as = |word: &str| {
            lists
                .iter()
                .find(|(language, list)| candidates.contains(language) && list.contains(&word))
                .map(|(language, _)| *language)
        };
        // Drawn out: "holaa", "hallooo".
        listed_as(word).or_else(|| listed_as(drawn_out_small_talk(word)?))
    });
    let first = found.next()?;
    found.all(|other| other == first).then_some(first)
}

/// Words around a choice from a numbered list ("the second one", "option 2 please", "la
/// segunda opción", "de tweede graag"), folded.
const CHOICE_WORDS: [&str; 47] = [
    "the", "one", "option", "number", "nr", "no", "please", "i", "want", "choose", "take", "id",
    "like", "ok", "okay", "yes", "el", "la", "lo", "opcion", "numero", "por", "favor", "quiero",
    "si", "le", "loption", "choix", "svp", "je", "veux", "prends", "oui", "de", "het", "optie",
    "nummer", "graag", "ik", "wil", "die", "neem", "ja", "doe", "maar", "is", "it",
];

/// Ordinal and number words, folded, with the number they name ("one", "uno", "un", "een"
/// are left out: "the first one" names one option, not two).
const ORDINALS: [(&str, usize); 41] = [
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("primero", 1),
    ("primera", 1),
    ("primer", 1),
    ("segundo", 2),
    ("segunda", 2),
    ("tercero", 3),
    ("tercera", 3),
    ("tercer", 3),
    ("cuarto", 4),
    ("cuarta", 4),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("premier", 1),
    ("premiere", 1),
    ("deuxieme", 2),
    ("seconde", 2),
    ("troisieme", 3),
    ("quatrieme", 4),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("eerste", 1),
    ("tweede", 2),
    ("derde", 3),
    ("vierde", 4),
    ("vijfde", 5),
    ("twee", 2),
    ("drie", 3),
    ("vier", 4),
    ("quinto", 5),
    ("quinta", 5),
];

/// The option a reply picks from a numbered list: "2", "2.", "number 2", "#3", "the second
/// one", "2nd", "la segunda", "le 1er", "de tweede graag". `None` when the reply says
/// anything else, or names two options.
pub fn choice(text: &str) -> Option<usize> {
    let folded = crate::text::fold(text);
    let mut picked = None;
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if CHOICE_WORDS.contains(&word) {
            continue;
        }
        let number = ORDINALS
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, n)| *n)
            .or_else(|| {
                // "2", "2nd", "3rd", "1er", "1re", "2e", "1o", "1a", "2de", "1ste".
                let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                let suffix = &word[digits.len()..];
                let known = [
                    "", "st", "nd", "rd", "th", "er", "re", "e", "eme", "o", "a", "de", "ste",
                ];
                (known.contains(&suffix) && digits.len() <= 3 && !digits.is_empty())
                    .then(|| digits.parse().ok())
                    .flatten()
            })?;
        if picked.replace(number).is_some() {
            return None;
        }
    }
    picked
}

/// Words that say "yes" to a question, folded.
const YES: [&str; 19] = [
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "correct",
    "exactly",
    "si",
    "claro",
    "exacto",
    "eso",
    "oui",
    "ouais",
    "exactement",
    "ja",
    "jazeker",
    "precies",
    "klopt",
    "inderdaad",
];
/// Words that may go with a "yes" ("yes please", "sí, esa", "oui c'est ça", "ja, die").
const WITH_YES: [&str; 26] = [
    "please", "thanks", "thank", "you", "that", "one", "thats", "it", "this", "esa", "ese",
    "gracias", "por", "favor", "cest", "ca", "celui", "celle", "la", "merci", "svp", "die", "dat",
    "is", "graag", "bedankt",
];

/// Whether a reply only says "yes" ("yes please", "sí, esa", "oui c'est ça", "ja klopt").
pub fn is_yes(text: &str) -> bool {
    says_only(text, &YES, &WITH_YES)
}

/// Whether the text is made of `words` and `with` only, and has one of `words`.
fn says_only(text: &str, words: &[&str], with: &[&str]) -> bool {
    let folded = crate::text::fold(text);
    let mut all = folded.split(' ').filter(|w| !w.is_empty()).peekable();
    all.peek().is_some()
        && all.clone().all(|w| words.contains(&w) || with.contains(&w))
        && all.any(|w| words.contains(&w))
}

/// Words that say "no" to a "did you mean" ("no", "none of them", "ninguna", "non, aucun",
/// "nee, geen van allen"), folded.
const NO: [&str; 14] = [
    "no", "nope", "nah", "none", "neither", "ninguna", "ninguno", "non", "aucune", "aucun", "nee",
    "geen", "niet", "nop",
];
/// Words that may go with a "no" ("no, none of those", "non, ce n'est pas ça", "nee, dat is
/// het niet"). Not thanks: "no thanks" ends the question.
const WITH_NO: [&str; 35] = [
    "its", "it", "that", "thats", "not", "of", "them", "those", "these", "one", "sorry", "esa",
    "ese", "eso", "es", "de", "esas", "esos", "estas", "cest", "ce", "nest", "est", "pas", "ca",
    "ces", "celle", "la", "dat", "is", "het", "van", "allen", "die", "deze",
];

/// Whether a reply only says "no" ("no", "none of them", "ninguna", "non", "nee, dat is het
/// niet").
pub fn is_no(text: &str) -> bool {
    says_only(text, &NO, &WITH_NO)
}

/// Phrases that say the customer cannot give what a question asks for ("I don't have it",
/// "no lo encuentro", "je l'ai perdu", "ik ben het kwijt"), folded. Read only as the reply
/// to a question for a value (an order number): asking again would not bring it. Not knowing
/// ("I don't know", "geen idee") is not among them: the question asked again says where to
/// look.
const CANNOT_GIVE: [&str; 79] = [
    // English
    "dont have",
    "do not have",
    "havent got",
    "have not got",
    "cant find",
    "cannot find",
    "can not find",
    "couldnt find",
    "could not find",
    "cant see",
    "lost it",
    "lost the",
    "deleted the",
    "didnt get",
    "did not get",
    "didnt receive",
    "did not receive",
    "never got",
    "never received",
    "no order number",
    "cant find it anywhere",
    "deleted the email",
    "deleted the mail",
    // Spanish
    "no tengo",
    "no lo tengo",
    "no la tengo",
    "no lo encuentro",
    "no la encuentro",
    "no encuentro",
    "lo perdi",
    "lo he perdido",
    "no me llego",
    "no recibi",
    "no he recibido",
    "no lo veo",
    "borre el correo",
    "borre el email",
    // French
    "je ne lai pas",
    "je lai pas",
    "je ne lai plus",
    "je lai plus",
    "je ne le trouve pas",
    "je le trouve pas",
    "je ne la trouve pas",
    "je la trouve pas",
    "je ne trouve pas",
    "je trouve pas",
    "je ne retrouve pas",
    "je retrouve pas",
    "je nai pas de",
    "jai pas de",
    "je nai plus",
    "jai plus",
    "je lai perdu",
    "pas de numero",
    "pas recu",
    "introuvable",
    "jai supprime le mail",
    "jai efface le mail",
    // Dutch
    "heb ik niet",
    "heb ik nie",
    "heb geen",
    "kan het niet vinden",
    "echt niet vinden",
    "nergens vinden",
    "mail is weg",
    "mail verwijderd",
    "kan hem niet vinden",
    "kan ik niet vinden",
    "kan niet vinden",
    "vind het niet",
    "vind hem niet",
    "vind ik niet",
    "niet gevonden",
    "kwijt",
    "niet ontvangen",
    "nooit ontvangen",
    "geen bestelnummer",
    "geen ordernummer",
];

/// The same said by a whole message ("none"), which inside a longer one says something else.
const CANNOT_GIVE_ALONE: [&str; 4] = ["none", "ninguno", "aucun", "geen"];

/// Words that make not having it a matter of the moment ("I don't have it here", "no lo
/// tengo a mano", "je ne l'ai pas sous la main", "ik heb het nu niet bij de hand"): the
/// customer may go and look, so the question is asked again.
const NOT_AT_HAND: [&str; 22] = [
    "here",
    "now",
    "at the moment",
    "on me",
    "with me",
    "at hand",
    "handy",
    "a mano",
    "aqui",
    "ahora",
    "en este momento",
    "encima",
    "sous la main",
    "ici",
    "maintenant",
    "pour linstant",
    "sur moi",
    "bij de hand",
    "hier",
    "nu",
    "op dit moment",
    "bij me",
];

/// Whether a reply says the customer cannot give what was asked ("I don't have it", "no lo
/// encuentro", "je l'ai perdu", "ik ben het kwijt"), and not only at the moment.
pub fn cannot_give(text: &str) -> bool {
    let folded = crate::text::fold(text);
    if CANNOT_GIVE_ALONE.contains(&folded.as_str()) {
        return true;
    }
    let padded = format!(" {folded} ");
    let says = |phrase: &&str| padded.contains(&format!(" {phrase} "));
    CANNOT_GIVE.iter().any(says) && !NOT_AT_HAND.iter().any(says)
}

/// Phrases of a customer who goes to look for what was asked, folded ("hang on, let me
/// check", "un momento que lo busco", "je regarde", "even kijken").
const HOLD_ON: [&str; 66] = [
    "hold on",
    "hang on",
    "wait",
    "one moment",
    "a moment",
    "one sec",
    "a sec",
    "one second",
    "a second",
    "one minute",
    "a minute",
    "give me a",
    "let me check",
    "let me look",
    "let me see",
    "let me find",
    "let me get",
    "ill check",
    "ill look",
    "ill find",
    "im looking",
    "im checking",
    "looking for it",
    "brb",
    "un momento",
    "un momentito",
    "un segundo",
    "un segundito",
    "un minuto",
    "espera",
    "espere",
    "esperame",
    "dejame ver",
    "dejame mirar",
    "dejame buscar",
    "dejame revisar",
    "lo busco",
    "voy a mirar",
    "voy a buscar",
    "ahora miro",
    "lo estoy buscando",
    "un instant",
    "un moment",
    "une seconde",
    "une minute",
    "deux secondes",
    "attendez",
    "attends",
    "je regarde",
    "je cherche",
    "je verifie",
    "je vais regarder",
    "je vais chercher",
    "momentje",
    "moment",
    "even kijken",
    "even zoeken",
    "ik kijk even",
    "ik zoek het even",
    "ik zoek even",
    "ik ga kijken",
    "ik ga het opzoeken",
    "wacht",
    "seconde",
    "ogenblik",
    "ogenblikje",
];

/// Whether a short reply says the customer is going to look for what was asked ("hang on,
/// let me check", "un momento", "je regarde", "even kijken"), or only takes note of the
/// question ("ok", "gracias"): the question stays open, and no miss is counted.
pub fn holding_on(text: &str) -> bool {
    if text.contains('?') || word_count(text) > HOLD_ON_WORDS || takes_leave(text) {
        return false;
    }
    matches!(
        small_talk(text),
        Some(SmallTalk::Acknowledgement | SmallTalk::Thanks)
    ) || going_to_look(text)
}

/// Whether a short message of thanks or goodbye takes leave ("cheers, that's all", "merci,
/// bonne journée", "gracias, eso es todo", "bedankt, doei"): a question still open is let go.
/// Thanks alone ("ok thanks") may be thanks for the question, and keeps it open.
pub fn takes_leave(text: &str) -> bool {
    if text.contains('?') || word_count(text) > HOLD_ON_WORDS {
        return false;
    }
    if !matches!(
        small_talk(text),
        Some(SmallTalk::Thanks | SmallTalk::Goodbye)
    ) {
        return false;
    }
    let padded = format!(" {} ", crate::text::fold(text));
    padded.split(' ').any(|word| GOODBYES.contains(&word))
        || THATS_ALL
            .iter()
            .any(|phrase| contains_words(&padded, phrase))
}

/// "That's all", folded: the customer has nothing more to ask.
const THATS_ALL: [&str; 10] = [
    "thats all",
    "that is all",
    "thats it",
    "eso es todo",
    "es todo",
    "cest tout",
    "ce sera tout",
    "dat was alles",
    "dat is alles",
    "verder niets",
];

/// What a message closes with, when its last part is thanks or a goodbye ("hmm shame, I'll
/// have a look elsewhere then. bye", "found it under my orders, cheers", "que pena lo de
/// canarias, bueno, hasta luego", "Entendido, lo buscaré en otro sitio. Gracias de todas
/// formas. Carmen"): the part after the last `.`, `!`, `,` or line break, or the one before
/// it when that is only a name signing off. `None` for a message that asks something or
/// says something is wrong, and for a long one.
pub fn closing(text: &str) -> Option<SmallTalk> {
    // A question mark, not a question word: "que pena" opens no question.
    if text.contains(['?', '¿']) || word_count(text) > CLOSING_WORDS || says_a_problem(text) {
        return None;
    }
    let folded = crate::text::fold(text);
    if folded
        .split(' ')
        .any(|word| NEGATIONS.contains(&word) && !SMALL_TALK_NEGATIONS.contains(&word))
    {
        return None;
    }
    let mut parts: Vec<&str> = text
        .split(['.', '!', ',', ';', '\n'])
        .map(str::trim)
        .filter(|part| part.chars().any(char::is_alphanumeric))
        .collect();
    // A signature: one capitalized word after the closing words ("… Gracias. Carmen").
    if parts.len() >= 2 {
        let last = parts[parts.len() - 1];
        if !last.contains(' ') && last.chars().next().is_some_and(char::is_uppercase) {
            parts.pop();
        }
    }
    if parts.len() < 2 {
        return None;
    }
    match small_talk(parts[parts.len() - 1]) {
        Some(kind @ (SmallTalk::Thanks | SmallTalk::Goodbye)) => Some(kind),
        _ => None,
    }
}

/// Whether the text asks for something: a question word opening a clause, or a word of
/// wanting or needing ("I'd also like to change my address, thanks").
pub fn requests(text: &str) -> bool {
    asks_a_question(text)
        || crate::text::fold(text)
            .split(' ')
            .any(|word| WANTING.contains(&word) || NEEDING.contains(&word))
}

/// The longest message `closing` reads.
const CLOSING_WORDS: usize = 16;

/// Negation words that small talk itself uses ("never mind", "no worries", "pues nada").
const SMALL_TALK_NEGATIONS: &[&str] = &["never", "no", "nada"];

/// Whether a short reply says the customer is going to look something up ("hang on, let me
/// check", "un momento", "attendez je cherche", "even kijken").
pub fn going_to_look(text: &str) -> bool {
    if text.contains('?') || word_count(text) > HOLD_ON_WORDS {
        return false;
    }
    let padded = format!(" {} ", crate::text::fold(text));
    HOLD_ON.iter().any(|phrase| contains_words(&padded, phrase))
}

/// Whether a short message only says what the customer will do now ("Ok perfect, I'll place
/// the order today", "vale, lo pido hoy", "d'accord, je commande ce soir", "top, dan bestel ik
/// het vandaag", "ok I'll try again"): it takes note of the answer, like "ok", and asks
/// nothing. Every word besides the decision must be small talk or a word of when, so that
/// "I'll order it today if it arrives by Friday" is still read as a question.
pub fn acts_on_the_answer(text: &str) -> bool {
    if text.contains('?') || word_count(text) > RESOLVED_WORDS {
        return false;
    }
    // Asked of every short reading of every message: one pass of an automaton over the
    // folded text tells most that they hold no decision.
    static DECIDING: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(DECISIONS).expect("plain phrases build an automaton")
        });
    let folded = crate::text::fold(text);
    if !DECIDING.is_match(&folded) {
        return false;
    }
    let padded = format!(" {folded} ");
    let Some(decision) = DECISIONS
        .iter()
        .find(|phrase| contains_words(&padded, phrase))
    else {
        return false;
    };
    let mut rest: Vec<&str> = folded.split(' ').collect();
    for word in decision.split(' ') {
        if let Some(at) = rest.iter().position(|w| *w == word) {
            rest.remove(at);
        }
    }
    let small = |word: &str| {
        SMALL_TALK.iter().any(|(_, list)| list.contains(&word))
            || ACKNOWLEDGEMENTS.contains(&word)
            || DECISION_WORDS.contains(&word)
    };
    rest.iter()
        .all(|word| small(word) && !DECISION_NEGATIONS.contains(word))
}

/// A customer's decision about what to do next, folded ("I'll" is "ill").
const DECISIONS: [&str; 143] = [
    "ill order",
    "i will order",
    "ill go ahead and place the order",
    "i will go ahead and place the order",
    "go ahead and place the order",
    "go ahead and order",
    "ill place the order",
    "ill place my order",
    "ill place an order",
    "i will place the order",
    "i will place my order",
    "i will place an order",
    "ill buy",
    "i will buy",
    "ill get",
    "i will get",
    "ill take",
    "i will take",
    "ill go ahead",
    "i will go ahead",
    "ill go for",
    "ill try",
    "i will try",
    "ill give it a try",
    "ill do",
    "i will do",
    "ill wait",
    "i will wait",
    "ill pay",
    "i will pay",
    "pagare con",
    "pago con",
    "je paierai avec",
    "je paie avec",
    "je vais payer avec",
    "ik betaal wel met",
    "ik betaal met",
    "betaal ik met",
    "im going to order",
    "im gonna order",
    "going to order",
    "gonna order",
    "going to buy",
    "gonna buy",
    "lets do",
    "lo pido",
    "la pido",
    "los pido",
    "las pido",
    "lo compro",
    "la compro",
    "los compro",
    "lo encargo",
    "hago el pedido",
    "hare el pedido",
    "voy a pedir",
    "voy a comprar",
    "voy a hacer el pedido",
    "lo voy a pedir",
    "lo voy a comprar",
    "la voy a pedir",
    "lo intento",
    "lo intentare",
    "lo pruebo",
    "lo probare",
    "voy a probar",
    "voy a intentar",
    "esperare",
    "me espero",
    "hago eso",
    "hare eso",
    "je commande",
    "je vais commander",
    "je passe commande",
    "je passerai commande",
    "je vais passer commande",
    "je passe la commande",
    "je vais passer la commande",
    "je lachete",
    "je vais lacheter",
    "je le prends",
    "je la prends",
    "je les prends",
    "je vais essayer",
    "jessaie",
    "je reessaie",
    "je vais tenter",
    "jattends",
    "jattendrai",
    "je vais attendre",
    "je fais ca",
    "je vais faire ca",
    "ik bestel",
    "bestel ik",
    "ga ik bestellen",
    "ik ga bestellen",
    "ik ga het bestellen",
    "ik koop",
    "koop ik",
    "ga ik kopen",
    "ik ga kopen",
    "ik plaats de bestelling",
    "ik plaats mijn bestelling",
    "plaats ik de bestelling",
    "plaats ik mijn bestelling",
    "ik probeer",
    "probeer ik",
    "ga ik proberen",
    "ik ga proberen",
    "ik wacht",
    "wacht ik",
    "ik ga wachten",
    "doe ik",
    "ik doe dat",
    // Calling or writing instead: "ok I'll call tomorrow then", "dan bel ik morgen wel".
    "ill call",
    "i will call",
    "ill phone",
    "ill ring",
    "ill give you a call",
    "ill email",
    "i will email",
    "os llamo",
    "les llamo",
    "llamare",
    "os llamare",
    "les llamare",
    "voy a llamar",
    "os escribo",
    "je vais appeler",
    "jappellerai",
    "je vous appelle",
    "je vous appellerai",
    "je rappellerai",
    "je vous rappelle",
    "je vous ecris",
    "ik bel",
    "bel ik",
    "ga ik bellen",
    "ik ga bellen",
    "ik bel jullie",
    "bel ik jullie",
    "ik mail",
    "mail ik",
];

/// Words that may go with a decision in `acts_on_the_answer` besides small talk: when, what,
/// and the rest of the phrase ("I'll go ahead and place the order tonight"), folded.
const DECISION_WORDS: &[&str] = &[
    // "vale, pues pagaré con PayPal"
    "paypal",
    "ideal",
    "bizum",
    "klarna",
    "card",
    "creditcard",
    "tarjeta",
    "carte",
    "kaart",
    "visa",
    "mastercard",
    "bancontact",
    "by",
    "today",
    "tonight",
    "tomorrow",
    "now",
    "later",
    "away",
    "this",
    "week",
    "weekend",
    "again",
    "them",
    "one",
    "an",
    "go",
    "ahead",
    "with",
    "online",
    "asap",
    "first",
    "thing",
    "just",
    "will",
    "ill",
    "then",
    "hoy",
    "manana",
    "ahora",
    "entonces",
    "luego",
    "esta",
    "noche",
    "pronto",
    "tarde",
    "mas",
    "nuevo",
    "otra",
    "vez",
    "pues",
    "lo",
    "la",
    "los",
    "las",
    "el",
    "y",
    "mismo",
    "aujourdhui",
    "demain",
    "maintenant",
    "alors",
    "ce",
    "soir",
    "tout",
    "suite",
    "plus",
    "tard",
    "bientot",
    "encore",
    "une",
    "fois",
    "donc",
    "le",
    "les",
    "et",
    "du",
    "coup",
    "vandaag",
    "morgen",
    "nu",
    "dan",
    "vanavond",
    "straks",
    "meteen",
    "direct",
    "later",
    "nog",
    "een",
    "keer",
    "het",
    "de",
    "wel",
    "even",
    "toch",
    "gewoon",
    "back",
    "you",
    "guys",
    "monday",
    "os",
    "les",
    "lunes",
    "vous",
    "lundi",
    "jullie",
    "maandag",
];

/// Words that turn a decision around ("I'll not order then", "je ne commande pas").
const DECISION_NEGATIONS: &[&str] = &[
    "not", "no", "dont", "wont", "never", "nunca", "ne", "pas", "jamais", "niet", "geen", "nooit",
];

/// Thanks with word that the matter is settled ("it works now, thanks", "c'est réglé avec
/// votre collègue, merci", "ok is opgelost, bedankt"): thanks, however the rest is worded.
/// Not with a negation ("thanks but it still doesn't work") nor with a question.
fn says_resolved_with_thanks(text: &str) -> bool {
    // Asked of every reading of every message: most have no word of thanks, and are told
    // so without folding them.
    static THANKING: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(RESOLVED_THANKS)
                .expect("plain words build an automaton")
        });
    if text.contains('?') || word_count(text) > RESOLVED_WORDS || !THANKING.is_match(text) {
        return false;
    }
    let folded = crate::text::fold(text);
    let words: Vec<&str> = folded.split(' ').collect();
    words.iter().any(|word| {
        RESOLVED_THANKS
            .iter()
            .any(|thanks| word.starts_with(thanks))
    }) && words.iter().any(|word| RESOLVED.contains(word))
        && !words.iter().any(|word| NEGATIONS.contains(word))
}

/// Words of thanks, or their start, that `says_resolved_with_thanks` looks for.
const RESOLVED_THANKS: [&str; 7] = [
    "thank", "thx", "cheers", "gracias", "merci", "bedankt", "dank",
];

/// The longest message `says_resolved_with_thanks` reads.
const RESOLVED_WORDS: usize = 12;

/// Words that say a matter is settled, folded.
const RESOLVED: &[&str] = &[
    "solved",
    "sorted",
    "resolved",
    "fixed",
    "works",
    "worked",
    "working",
    "done",
    "resuelto",
    "resuelta",
    "solucionado",
    "solucionada",
    "arreglado",
    "arreglada",
    "funciona",
    "funciono",
    "regle",
    "reglee",
    "resolu",
    "resolue",
    "marche",
    "fonctionne",
    "bon",
    "opgelost",
    "gelukt",
    "werkt",
    "gefixt",
    "geregeld",
];

/// Words that turn a statement around, folded.
const NEGATIONS: &[&str] = &[
    "not", "no", "dont", "doesnt", "didnt", "isnt", "still", "but", "yet", "never", "nada",
    "sigue", "todavia", "aun", "pero", "pas", "toujours", "mais", "jamais", "niet", "nog", "maar",
    "geen", "nooit",
];

/// Whether a text says that something is not so ("We don't ship to … Switzerland", "no
/// enviamos a … Suiza", "nous ne livrons pas …", "leveren we … niet"): a word of plain
/// negation, not one of contrast ("but", "still").
pub fn says_not(text: &str) -> bool {
    crate::text::fold(text)
        .split(' ')
        .any(|word| PLAIN_NEGATIONS.contains(&word))
}

/// Words of plain negation, folded.
const PLAIN_NEGATIONS: &[&str] = &[
    "not", "no", "dont", "doesnt", "isnt", "cant", "cannot", "never", "nunca", "ne", "pas",
    "jamais", "niet", "geen", "nooit",
];

/// Whether a message asks a question: it has a question mark, or one of its clauses opens
/// with a word that opens questions ("is this a bot", "como pago", "combien ca coute", "hoe
/// lang duurt het").
pub fn asks_a_question(text: &str) -> bool {
    if text.contains('?') || text.contains('¿') {
        return true;
    }
    // The first word of any clause: "ik heb foto's gemaakt, waar kan ik die heen sturen".
    text.split([',', ';', '.', '!', ':']).any(|clause| {
        crate::text::fold(clause)
            .split(' ')
            .next()
            .is_some_and(|first| QUESTION_OPENERS.contains(&first))
    })
}

/// Words that open a question, folded.
const QUESTION_OPENERS: &[&str] = &[
    // en
    "is", "are", "am", "do", "does", "did", "can", "could", "how", "what", "whats", "where",
    "wheres", "when", "why", "who", "which", "will", "would", "should", "have", "has", "any",
    // es
    "como", "cuando", "donde", "que", "cual", "cuanto", "cuanta", "cuantos", "cuantas", "puedo",
    "puede", "podeis", "pueden", "hay", "tienen", "teneis", "tienes", "es", "son", "por",
    // fr
    "est", "estce", "comment", "quand", "ou", "quel", "quelle", "quels", "quelles", "combien",
    "pourquoi", "puis", "pouvez", "peut", "peux", "avez", "vous", "cest", // nl
    "zijn", "kan", "kunnen", "hoe", "wat", "waar", "wanneer", "waarom", "welke", "hebben", "heb",
    "hebt", "mag", "moet", "wordt", "doen", "kun", "krijg", "hoeveel", "wie", "heeft", "kost",
    "klopt", "zit", "gaat", "komt", // es, fr
    "quien", "qui", "quoi", "sont", "dois", "doit",
];

/// Whether a short message right after an answer says that the answer did not help ("still
/// doesn't work", "no me sirve", "ça marche toujours pas", "daar heb ik niks aan").
pub fn says_not_helped(text: &str) -> bool {
    if word_count(text) > NOT_HELPED_WORDS {
        return false;
    }
    let padded = format!(" {} ", crate::text::fold(text));
    NOT_HELPED
        .iter()
        .any(|phrase| contains_words(&padded, phrase))
}

/// The longest message `says_not_helped` reads: longer ones say more, and are searched.
const NOT_HELPED_WORDS: usize = 10;

/// Phrases that say an answer did not help, folded (apostrophes dropped: "doesn't" is
/// "doesnt").
const NOT_HELPED: &[&str] = &[
    // en
    "still doesnt work",
    "still does not work",
    "still not working",
    "still isnt working",
    "still wont work",
    "still the same",
    "still the same problem",
    "doesnt help",
    "didnt help",
    "did not help",
    "does not help",
    "not helpful",
    "not what i asked",
    "not what i meant",
    "doesnt answer my question",
    "didnt answer my question",
    "that doesnt answer",
    "i already did that",
    "i already tried that",
    "already tried that",
    "tried that already",
    "i did that already",
    "did all that",
    "tried all that",
    "useless",
    "it doesnt work",
    "that doesnt work",
    "it didnt work",
    "that didnt work",
    // es
    "sigue sin funcionar",
    "sigue igual",
    "sigue sin ir",
    "no me sirve",
    "no me ha servido",
    "no me sirvio",
    "no me ayuda",
    "no me ha ayudado",
    "no es lo que pregunte",
    "no es lo que he preguntado",
    "no responde a mi pregunta",
    "ya lo hice",
    "ya lo he hecho",
    "ya lo he probado",
    "ya lo probe",
    "ya lo intente",
    "no sirve de nada",
    "no sirve para nada",
    "todavia no funciona",
    "aun no funciona",
    "sigue dando error",
    // fr
    "ca ne marche toujours pas",
    "ca marche toujours pas",
    "ca marche pas",
    "ca ne marche pas",
    "ca fonctionne pas",
    "ca ne fonctionne pas",
    "ne fonctionne toujours pas",
    "fonctionne toujours pas",
    "ca ne maide pas",
    "ca maide pas",
    "ca ne ma pas aide",
    "ca ma pas aide",
    "pas ce que jai demande",
    "cest pas ma question",
    "ce nest pas ma question",
    "jai deja fait ca",
    "deja fait",
    "deja essaye",
    "jai deja essaye",
    "ca ne repond pas",
    "repond pas a ma question",
    "toujours le meme probleme",
    "sert a rien",
    "ca sert a rien",
    // nl
    "werkt nog steeds niet",
    "werkt nog altijd niet",
    "het werkt niet",
    "dat werkt niet",
    "het lukt niet",
    "dat lukt niet",
    "werkt nog niet",
    "lukt nog steeds niet",
    "lukt nog altijd niet",
    "helpt niet",
    "helpt me niet",
    "hielp niet",
    "heeft niet geholpen",
    "heb ik niks aan",
    "heb ik niets aan",
    "niet wat ik vroeg",
    "geen antwoord op mijn vraag",
    "heb ik al gedaan",
    "al gedaan",
    "al geprobeerd",
    "heb ik al geprobeerd",
    "nog steeds hetzelfde",
    "nog steeds hetzelfde probleem",
];

/// Whether `padded` (folded, with a space at each end) holds `phrase` as whole words.
fn contains_words(padded: &str, phrase: &str) -> bool {
    padded
        .match_indices(phrase)
        .any(|(at, _)| padded[..at].ends_with(' ') && padded[at + phrase.len()..].starts_with(' '))
}

/// The longest reply `holding_on` reads: "ok hang on let me check my email" and no more.
const HOLD_ON_WORDS: usize = 8;

/// Words that point back at what was just said, folded: a message that opens with "and" or
/// "also", or refers to "it" or "that", follows up on the previous answer ("and to Belgium?",
/// "how do I use it?", "et combien ça coûte ?", "¿y cuánto tarda?", "en wat kost dat?").
const FOLLOW_UP_OPENERS: [&str; 10] = [
    "and", "also", "y", "tambien", "et", "aussi", "en", "ook", "plus", "but",
];
const FOLLOW_UP_REFERENCES: [&str; 27] = [
    "it", "that", "this", "those", "them", "there", "eso", "esto", "ello", "lo", "la", "los",
    "las", "ahi", "alli", "ca", "cela", "ceci", "celui", "celle", "y", "dat", "dit", "die", "hem",
    "daar", "ervan",
];

/// Whether a message points back at what was just said with a pronoun that can only mean it
/// ("how much does that cost?", "¿cuánto cuesta eso?", "ça coûte combien ?", "wat kost
/// dat?"), not only with "and" or a word that often means something else ("la", "y", "die").
pub fn refers_back(text: &str) -> bool {
    crate::text::fold(text)
        .split(' ')
        .any(|word| STRONG_REFERENCES.contains(&word))
}

const STRONG_REFERENCES: [&str; 12] = [
    "it", "that", "this", "eso", "esto", "ello", "ca", "cela", "ceci", "dat", "dit", "ervan",
];

/// Whether a message reads as a follow-up of the previous answer: it opens with a word such
/// as "and" ("and what about", "et", "y", "en") or refers back to it ("it", "eso", "ça",
/// "dat"). The help center's words decide what it is about; this only says that the
/// previous answer may complete it.
pub fn is_follow_up(text: &str) -> bool {
    let folded = crate::text::fold(text);
    opens_with_and_folded(&folded) || folded.split(' ').any(|w| FOLLOW_UP_REFERENCES.contains(&w))
}

/// Whether a message opens with a word such as "and" ("and the costs?", "y el plazo?", "et
/// le prix ?", "en de kosten?", "what about…"): it continues the previous question rather
/// than asking a new one.
pub fn opens_with_and(text: &str) -> bool {
    opens_with_and_folded(&crate::text::fold(text))
}

fn opens_with_and_folded(folded: &str) -> bool {
    folded
        .split(' ')
        .find(|w| !w.is_empty())
        .is_some_and(|first| FOLLOW_UP_OPENERS.contains(&first))
        || folded.starts_with("what about")
        || folded.starts_with("how about")
}

/// Words of courtesy and of the asking itself, folded: they say nothing about what is asked
/// ("please", "por favor", "s'il vous plaît", "graag", "can you tell me", "me podéis decir").
const COURTESY: [&str; 41] = [
    "please",
    "tell",
    // Asking someone whether they can ("¿me podéis ayudar?", "pouvez-vous…", "kunnen jullie…",
    // "kunt u…"): English leaves "can you" out as stop words; what they are asked comes after.
    "podeis",
    "podrias",
    "podriais",
    "puedes",
    "pouvez",
    "pourriez",
    "kunnen",
    "kunt",
    "wondering",
    // Having a problem says that something is wrong, not what (`PROBLEM`).
    // The conditional of a polite request ("would it be possible", "could you send").
    "would",
    "could",
    // Asking whether it can be done ("would it be possible to…", "¿es posible…?", "est-il
    // possible de…", "is het mogelijk om…"): what is to be done comes after.
    "possible",
    "posible",
    "mogelijk",
    // Wanting to know ("I'd like to know if…", "quisiera saber si…", "je voudrais savoir
    // si…", "ik wil graag weten of…"): what is to be known comes after.
    "know",
    "saber",
    "savoir",
    "weten",
    // Asking someone to look ("can you check?", "¿podéis revisarlo?", "pouvez-vous
    // vérifier ?", "kunnen jullie het nakijken?"): the thing to check is named elsewhere.
    "check",
    "revisar",
    "comprobar",
    "verifier",
    "checken",
    "nakijken",
    "controleren",
    "decir",
    "dire",
    "vertellen",
    "pls",
    "plz",
    "kindly",
    "favor",
    "sil",
    "plait",
    "svp",
    "graag",
    "alsjeblieft",
    "alstublieft",
    "aub",
];

/// Chat shorthand and the words it stands for, per language: folded words, matched whole.
/// Only shorthand that means one thing in a shop's chat ("x", "vs" and "c" do not).
const CHAT_WORDS_EN: [(&str, &str); 43] = [
    ("u", "you"),
    ("nvm", "never mind"),
    ("ur", "your"),
    ("r", "are"),
    ("pls", "please"),
    ("plz", "please"),
    ("thx", "thanks"),
    ("tnx", "thanks"),
    ("thnx", "thanks"),
    ("thanx", "thanks"),
    ("ty", "thank you"),
    // Contractions typed without their apostrophe read as the articles write them.
    ("dont", "don't"),
    ("didnt", "didn't"),
    ("doesnt", "doesn't"),
    ("cant", "can't"),
    ("wont", "won't"),
    ("isnt", "isn't"),
    ("wasnt", "wasn't"),
    ("arent", "aren't"),
    ("hasnt", "hasn't"),
    ("havent", "haven't"),
    ("hadnt", "hadn't"),
    ("wouldnt", "wouldn't"),
    ("couldnt", "couldn't"),
    ("im", "I'm"),
    ("ive", "I've"),
    ("youre", "you're"),
    ("thats", "that's"),
    ("whats", "what's"),
    ("wanna", "want to"),
    ("gonna", "going to"),
    ("msg", "message"),
    ("bc", "because"),
    ("cuz", "because"),
    ("coz", "because"),
    ("b4", "before"),
    ("tmrw", "tomorrow"),
    ("tmr", "tomorrow"),
    ("pkg", "package"),
    ("acct", "account"),
    ("addr", "address"),
    ("pw", "password"),
    // "do you guys ship to spain": the people asked, not what is asked.
    ("guys", ""),
];
const CHAT_WORDS_ES: [(&str, &str); 14] = [
    ("grax", "gracias"),
    ("q", "que"),
    ("k", "que"),
    ("xq", "porque"),
    ("pq", "porque"),
    ("porq", "porque"),
    ("tb", "también"),
    ("tmb", "también"),
    ("xfa", "por favor"),
    ("porfa", "por favor"),
    ("dnd", "donde"),
    ("cdo", "cuando"),
    ("msj", "mensaje"),
    ("pls", "por favor"),
];
const CHAT_WORDS_FR: [(&str, &str); 20] = [
    ("c", "c'est"),
    ("stp", "s'il te plaît"),
    ("tjrs", "toujours"),
    ("tjs", "toujours"),
    ("auj", "aujourd'hui"),
    ("cmd", "commande"),
    ("cde", "commande"),
    ("svp", "s'il vous plaît"),
    ("pr", "pour"),
    ("pk", "pourquoi"),
    ("pq", "pourquoi"),
    ("pcq", "parce que"),
    ("bcp", "beaucoup"),
    ("qd", "quand"),
    ("tt", "tout"),
    ("jsp", "je ne sais pas"),
    ("dc", "donc"),
    ("ds", "dans"),
    ("slt", "salut"),
    ("bjr", "bonjour"),
];
const CHAT_WORDS_NL: [(&str, &str); 15] = [
    ("ff", "even"),
    ("mss", "misschien"),
    ("wss", "waarschijnlijk"),
    ("iig", "in ieder geval"),
    ("idd", "inderdaad"),
    ("aub", "alstublieft"),
    ("ajb", "alsjeblieft"),
    ("pls", "alsjeblieft"),
    ("wnr", "wanneer"),
    ("wrm", "waarom"),
    ("nie", "niet"),
    ("mn", "mijn"),
    ("m'n", "mijn"),
    ("zn", "zijn"),
    ("z'n", "zijn"),
];

fn chat_words(language: Language) -> &'static [(&'static str, &'static str)] {
    match language {
        Language::En => &CHAT_WORDS_EN,
        Language::Es => &CHAT_WORDS_ES,
        Language::Fr => &CHAT_WORDS_FR,
        Language::Nl => &CHAT_WORDS_NL,
        Language::De | Language::Pt => &[],
    }
}

/// Whether a folded word is chat shorthand of `language` ("u", "svp", "mn"): it tells the
/// language as well as the words it stands for.
pub fn is_chat_word(language: Language, folded: &str) -> bool {
    folded.len() <= 7
        && chat_words(language)
            .iter()
            .any(|(short, _)| *short == folded)
}

/// The text with chat shorthand written out ("do u ship to spain" → "do you ship to
/// spain"), everything else as it was; `None` when it has none.
pub fn expand_chat_words(language: Language, text: &str) -> Option<String> {
    let table = chat_words(language);
    let in_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’';
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut start = None;
    for (index, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if in_word(c) {
            start.get_or_insert(index);
            continue;
        }
        let Some(from) = start.take() else {
            continue;
        };
        // Shorthand is short: longer words are not looked up.
        let word = &text[from..index];
        if word.len() > 7 {
            continue;
        }
        let straight;
        let word = if word.contains('’') {
            straight = word.replace('’', "'");
            straight.as_str()
        } else {
            word
        };
        let Some((_, long)) = table
            .iter()
            .find(|(short, _)| short.len() == word.len() && word.eq_ignore_ascii_case(short))
        else {
            continue;
        };
        let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
        out.push_str(&text[copied..from]);
        out.push_str(long);
        copied = index;
    }
    out.map(|mut out| {
        out.push_str(&text[copied..]);
        out
    })
}

/// Words that say something is wrong, or asked, but not what, folded: "I have a problem with my order"
/// is about the order, and "problem" alone would choose the article with "login problems".
/// They are left out of a search like courtesy, and a message with one of them is answered
/// only as surely as its one other naming word allows (see `says_a_problem`).
const PROBLEM: [&str; 22] = [
    // A question about something says as little about what: "I have a question about
    // delivery", "tengo una duda sobre el pago", "une question sur ma commande".
    "question",
    "questions",
    "pregunta",
    "preguntas",
    "duda",
    "dudas",
    "consulta",
    "consultas",
    "vraag",
    "vraagje",
    "vragen",
    "problem",
    "problems",
    "issue",
    "issues",
    "trouble",
    "problema",
    "problemas",
    "probleme",
    "problemes",
    "probleem",
    "problemen",
];

/// Words that tie a question or a problem to its subject ("a question about", "una duda
/// sobre", "une question concernant"), folded.
const ABOUT: [&str; 8] = [
    "about",
    "regarding",
    "concerning",
    "sobre",
    "acerca",
    "concernant",
    "over",
    "betreffende",
];

/// Words of help, folded: needing help with something says what having a problem with it
/// says ("I need help with my order", "necesito ayuda con mi pedido", "j'ai besoin d'aide
/// pour ma commande", "ik heb hulp nodig met mijn bestelling"), and they are read alike.
const HELP: [&str; 8] = [
    "help", "ayuda", "ayudar", "ayudarme", "aide", "aider", "hulp", "helpen",
];

/// Words of needing, folded: with a word of help ("I need help with…", "necesito ayuda",
/// "besoin d'aide", "hulp nodig") they only ask for it, and are left out of a search like
/// it; alone they can be the question ("do I need an account?").
const NEEDING: [&str; 6] = ["need", "needs", "necesito", "necesitaba", "besoin", "nodig"];

/// Whether the text says it has a problem or needs help ("a problem with", "un problema
/// con", "un problème avec", "een probleem met", "help with", "ayuda con").
pub fn says_a_problem(text: &str) -> bool {
    // Asked of most answered messages: plain ASCII is read without folding.
    if text.is_ascii() {
        return text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| {
                PROBLEM
                    .iter()
                    .chain(&HELP)
                    .any(|problem| word.eq_ignore_ascii_case(problem))
            });
    }
    crate::text::fold(text)
        .split(' ')
        .any(|word| PROBLEM.contains(&word) || HELP.contains(&word))
}

/// Words of wanting that, before a word of knowing ("I want to know", "quiero saber", "je
/// veux savoir", "ik wil graag weten"), are the asking too, folded.
const WANTING: [&str; 16] = [
    "want",
    "wanted",
    "like",
    "quiero",
    "queria",
    "quisiera",
    "gustaria",
    "veux",
    "voulais",
    "voudrais",
    "souhaite",
    "souhaiterais",
    "wil",
    "wilde",
    "zou",
    "willen",
];
const KNOWING: [&str; 4] = ["know", "saber", "savoir", "weten"];

/// The analyzed terms of `text` without courtesy, problem and help words (`COURTESY`,
/// `PROBLEM`, `HELP`; with a word of help, words of needing too: `NEEDING`) and without a
/// word of wanting followed by one of knowing: "quiero saber si puedo devolver
/// una alfombra" asks what "puedo devolver una alfombra" asks, and "quiero" alone would
/// outweigh it.
pub fn without_courtesy(
    text: &str,
    terms: Vec<crate::kb::analyzer::Term>,
) -> Vec<crate::kb::analyzer::Term> {
    let folded: Vec<String> = terms
        .iter()
        .map(|t| crate::text::fold(&text[t.from..t.to]))
        .collect();
    let needs_help = folded.iter().any(|word| HELP.contains(&word.as_str()));
    let courtesy = |index: usize| {
        let word = folded[index].as_str();
        COURTESY.contains(&word)
            || PROBLEM.contains(&word)
            || HELP.contains(&word)
            || (needs_help && NEEDING.contains(&word))
            // "a question about my sofa": "about" goes with the question, not the sofa.
            || (ABOUT.contains(&word)
                && index > 0
                && PROBLEM.contains(&folded[index - 1].as_str()))
    };
    let asks_to_know = |index: usize| {
        WANTING.contains(&folded[index].as_str())
            && (index + 1..folded.len())
                .find(|&next| !courtesy(next) || KNOWING.contains(&folded[next].as_str()))
                .is_some_and(|next| KNOWING.contains(&folded[next].as_str()))
    };
    terms
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !courtesy(*index) && !asks_to_know(*index))
        .map(|(_, term)| term)
        .collect()
}

/// Words that ask, point or connect but name nothing a help center is about, folded, per
/// language: a sentence made only of them ("What can I do?", "¿Qué hago?", "Que faire ?",
/// "Wat moet ik nu doen?") is no question of its own.
const FUNCTION_WORDS_EN: &str = "\
    a about again also although am an and any anything are as at be been but by can cant \
    could did didnt do does doesnt doing done dont else ever for from get got had has have \
    help here how i id if im in is it its ive just know let like may me might must my need \
    no not nothing now of ok okay on or our possible really should so something still that \
    thats the then there these they this those though to too us very want was we were what \
    whats when where which who why will with would yes yet you your";
const FUNCTION_WORDS_ES: &str = "\
    a ahora al algo alli aqui aun ayuda ayudar bien como con cual cuales cuando cuanto de \
    debo decir del dime donde el en entonces es esa ese eso esta estan este esto estoy \
    favor gustaria ha habeis habia habian hace haceis hacemos hacer hago han has hay he \
    hemos la las le les lo los mas me mi mis muy nada necesito no nos o otra para pero \
    podeis podemos por porque posible puede pueden puedes puedo que quien quiero quisiera \
    saber se si sido sobre son soy su sus tambien te teneis tengo tiene todavia todo tu un \
    una unas unos usted vez y ya yo";
const FUNCTION_WORDS_FR: &str = "\
    a ai aide aider alors as au aussi aux avez avoir avons besoin ca ce ceci cela cest \
    chose combien comment d dans de des dire dois doit du elle en encore est et etait ete \
    etre eu faire fais fait faut il ils jai je la le les ma maintenant mais me mes moi mon \
    ne nest nous on ont ou pas peut peux plus possible pour pourquoi pouvez puis quand que \
    quel quelle quelque quest qui quoi rien sais savoir si suis tout tres tu un une veux \
    vos votre voudrais vous y";
const FUNCTION_WORDS_NL: &str = "\
    aan al alles als ben bent bij dan dat de deze die dit doe doen een en er geen geweest \
    graag had hadden heb hebben hebt heeft helpen het hier hoe hulp iets ik in is je jij jullie \
    kan kun kunnen kunt maar me met mij mijn moet moeten mogelijk naar niet niets nodig \
    nog nou nu of om ons onze ook op te u uw van voor waar waarom wanneer waren was wat we \
    weer weet wel welk welke werd weten wie wij wil wilt worden wordt zal zeggen zijn zo \
    zou";

/// Whether a text has a word that names something: not a function word of its language,
/// not courtesy and not small talk.
pub fn names_something(language: Language, text: &str) -> bool {
    crate::text::fold(text)
        .split(' ')
        .filter(|word| word.chars().any(char::is_alphabetic))
        .any(|word| !is_known_word(language, word))
}

/// The words of a text that name something (see `names_something`), folded, in order.
pub fn naming_words(language: Language, text: &str) -> Vec<String> {
    crate::text::fold(text)
        .split(' ')
        .filter(|word| word.chars().any(char::is_alphabetic) && !is_known_word(language, word))
        .map(str::to_string)
        .collect()
}

/// Whether a folded word is one of the words firstline knows apart from any content: a
/// function word of `language`, courtesy, an opening or closing word, or small talk.
pub fn is_known_word(language: Language, folded: &str) -> bool {
    // One set per language, built once: every word of every message is asked about.
    static KNOWN: std::sync::LazyLock<[HashSet<&'static str>; 5]> =
        std::sync::LazyLock::new(|| {
            [
                FUNCTION_WORDS_EN,
                FUNCTION_WORDS_ES,
                FUNCTION_WORDS_FR,
                FUNCTION_WORDS_NL,
                // No list yet for German and Portuguese.
                "",
            ]
            .map(|function_words| {
                function_words
                    .split_whitespace()
                    .chain(COURTESY)
                    .chain(PROBLEM)
                    .chain(OPENING)
                    .chain(OPENING_CORE)
                    .chain(CLOSING)
                    .chain(CLOSING_CORE)
                    .chain(SMALL_TALK.iter().flat_map(|(_, list)| list.iter().copied()))
                    .collect()
            })
        });
    let set = match language {
        Language::En => &KNOWN[0],
        Language::Es => &KNOWN[1],
        Language::Fr => &KNOWN[2],
        Language::Nl => &KNOWN[3],
        Language::De | Language::Pt => &KNOWN[4],
    };
    set.contains(folded)
}

/// The sentences of a text that have a word, trimmed, in order: split at `?`, `!`, line
/// breaks, `¿`, `¡`, and at a `.` followed by a space or the end (so "4.95" or a web address
/// stays whole). Not at `;`: "i need eggs; add them to my list" is one request.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        let ends = match c {
            '?' | '!' | '\n' | '\r' | '¿' | '¡' => true,
            '.' | '…' => chars.peek().is_none_or(|(_, next)| next.is_whitespace()),
            _ => false,
        };
        if ends {
            let sentence = text[start..index].trim();
            if sentence.chars().any(char::is_alphanumeric) {
                found.push(sentence);
            }
            start = index + c.len_utf8();
        }
    }
    let last = text[start..].trim();
    if last.chars().any(char::is_alphanumeric) {
        found.push(last);
    }
    found
}

/// The clauses of a sentence: the sentence itself and, when it has more than five words, its
/// parts between commas ("ik wil graag mijn bestelling annuleren, ik heb hem pas net
/// geplaatst").
pub fn clauses(sentence: &str) -> Vec<&str> {
    let mut found = vec![sentence];
    if sentence.split_whitespace().nth(5).is_some() && sentence.contains(',') {
        // A comma between digits is a decimal one ("2,50 x 3,50", "89,90 €").
        let bytes = sentence.as_bytes();
        let mut start = 0;
        for (at, _) in sentence.match_indices(',') {
            let decimal = at > 0
                && bytes[at - 1].is_ascii_digit()
                && bytes.get(at + 1).is_some_and(u8::is_ascii_digit);
            if !decimal {
                found.push(sentence[start..at].trim());
                start = at + 1;
            }
        }
        found.push(sentence[start..].trim());
        found.retain(|clause| !clause.is_empty());
        if found.len() == 2 {
            // Only decimal commas: the sentence is its one clause.
            found.truncate(1);
        }
    }
    found
}

/// The reply attribution of a mail client ("On Mon, 16 Nov 2026 at 10:02, … wrote:", "El …
/// escribió:", "Le … a écrit :", "Op … schreef …:"); it always has a date or an address.
static ATTRIBUTION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^(?:on|el|le|op|am)\b.{0,300}\b(?:wrote|escribió|escribio|a\s+écrit|a\s+ecrit|schreef|schrieb)\b.{0,100}:$",
    )
    .expect("the attribution pattern compiles")
});

/// A line that starts what a message quotes or signs off with, not what the customer writes
/// now: the separator of a forwarded or Outlook-quoted message, a signature delimiter ("-- ")
/// and a phone's signature ("Sent from my iPhone", "Enviado desde mi…", "Envoyé de mon…",
/// "Verzonden met mijn…").
static QUOTE_START: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?xi)^(?:
            -{2,}\s*(?:original\s+message|forwarded\s+message|mensaje\s+original|mensaje\s+reenviado
                    |message\s+d'origine|message\s+transféré|oorspronkelijk\s+bericht|doorgestuurd\s+bericht)\s*-{2,}
          | --\s*
          | (?:sent\s+from\s+my|enviado\s+desde\s+mi|envoyé\s+(?:de|depuis)\s+mon|verzonden\s+(?:vanaf|met|via)\s+mijn|verstuurd\s+(?:vanaf|met|via)\s+mijn)\b.*
        )$",
    )
    .expect("the quote pattern compiles")
});

/// The header of a message quoted by Outlook: "From: …" followed by "Sent: …" or "Date: …".
static QUOTED_HEADER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)^(?:from|de|van|von)\s*:\s*\S").expect("the header pattern compiles")
});
static QUOTED_HEADER_NEXT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^(?:sent|date|to|enviado|fecha|para|envoyé|à|verzonden|datum|aan|gesendet)\s*:",
    )
    .expect("the header pattern compiles")
});

/// The customer's own words of a message that also quotes an earlier one or signs off (an
/// email reply: the text above "On … wrote:" and the `>` lines, above "-- " or "Sent from my
/// iPhone"). `None` when nothing is cut, or when cutting would leave nothing. The quoted
/// part is the business's own earlier answer: read along, "Our opening hours are…" in it
/// would start the opening-hours flow for a question about a refund.
pub fn own_words(text: &str) -> Option<&str> {
    let mut lines = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push((at, line.trim()));
        at += line.len();
    }
    let attribution = |line: &str| {
        line.ends_with(':')
            && line.chars().any(|c| c.is_ascii_digit() || c == '@')
            && ATTRIBUTION.is_match(line)
    };
    let cut = (0..lines.len()).find(|&i| {
        let line = lines[i].1;
        let next = lines.get(i + 1).map_or("", |l| l.1);
        line.starts_with('>')
            || QUOTE_START.is_match(line)
            || attribution(line)
            // An attribution that wraps: "On Mon, …, Maple & Moss <support@…>" / "wrote:".
            || (next.ends_with(':') && line.len() <= 300 && attribution(&format!("{line} {next}")))
            || (QUOTED_HEADER.is_match(line) && QUOTED_HEADER_NEXT.is_match(next))
    })?;
    let own = text[..lines[cut].0].trim_end();
    (!own.trim().is_empty()).then_some(own)
}

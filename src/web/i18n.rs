//! The reader's language: choosing it, and the Fluent messages every page text comes from.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Simplified Chinese.
    Zh,
    /// Kazakh, in Cyrillic.
    Kk,
    /// Russian.
    Ru,
    /// English: the language of last resort.
    En,
}

impl Lang {
    /// Every language, in the order the language switch lists them.
    pub const ALL: [Lang; 4] = [Lang::Zh, Lang::Kk, Lang::Ru, Lang::En];

    /// The BCP 47 tag: `<html lang>`, `?lang=`, the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language of `tag` (`zh`, `kk`, `ru`, `en`, any case), if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    /// The language's own name, as the language switch shows it.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::Kk => "Қазақша",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    /// The best of ours for an `Accept-Language` header; English when none fits.
    pub fn negotiate(accept_language: &str) -> Lang {
        let requested = fluent_langneg::parse_accepted_languages(accept_language);
        let available: Vec<LanguageIdentifier> = Lang::ALL
            .iter()
            .filter_map(|l| l.tag().parse().ok())
            .collect();
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen
            .first()
            .and_then(|id| Lang::from_tag(id.language.as_str()))
            .unwrap_or(Lang::En)
    }

    /// The Fluent source of this language's messages (compiled into the binary).
    pub fn source(self) -> &'static str {
        match self {
            Lang::Zh => include_str!("locales/zh.ftl"),
            Lang::Kk => include_str!("locales/kk.ftl"),
            Lang::Ru => include_str!("locales/ru.ftl"),
            Lang::En => include_str!("locales/en.ftl"),
        }
    }
}

/// The messages that take variables, with the names the code passes them: the translations'
/// test holds every language to this list.
pub const MESSAGES_WITH_ARGS: &[(&str, &[&str])] = &[
    ("date", &["year", "month", "day"]),
    ("visit-rules", &["days", "ahead"]),
    ("summary-title", &["count"]),
    ("field-problem", &["field", "problem"]),
    ("retry-after", &["seconds"]),
    ("footer-zone-time", &["tz"]),
    ("gate-bundle-age", &["minutes"]),
    ("gate-upload-conflict", &["kind"]),
    ("admin-daily-caption", &["from", "to", "tz"]),
    ("admin-account-created", &["username"]),
    ("admin-account-disabled", &["username"]),
    ("admin-account-enabled", &["username"]),
    ("admin-device-revoked", &["label"]),
];

/// Marks a message id that the code passes along before it is looked up, so the translations'
/// test finds it: every id in the pages' code is written in a call of this, of `.t` or `.t_with`.
pub const fn msg(id: &'static str) -> &'static str {
    id
}

type Bundle = FluentBundle<FluentResource>;

/// Each language's messages, parsed once.
static BUNDLES: LazyLock<HashMap<Lang, Bundle>> = LazyLock::new(|| {
    Lang::ALL
        .into_iter()
        .map(|lang| (lang, bundle(lang)))
        .collect()
});

fn bundle(lang: Lang) -> Bundle {
    let id: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // The pages are left-to-right in every language: no isolation marks around variables.
    bundle.set_use_isolating(false);
    // A syntax error keeps the entries that parsed; the translations' test fails on any.
    let resource = FluentResource::try_new(lang.source().to_owned()).unwrap_or_else(|(r, _)| r);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = lang.tag(),
            ?errors,
            "duplicate messages in a translation"
        );
    }
    bundle
}

/// The page texts in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The texts in `lang`.
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The message `id`, which takes no variables.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with its variables.
    pub fn t_with(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, value.clone());
        }
        self.format(id, Some(&fluent))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(bundle) = BUNDLES.get(&self.lang) else {
            return id.to_owned();
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            // The translations' test keeps this from happening; the page still shows something.
            tracing::error!(lang = self.lang.tag(), id, "missing message");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::error!(
                lang = self.lang.tag(),
                id,
                ?errors,
                "message did not format"
            );
        }
        text.into_owned()
    }

    /// A calendar date as readers of this language write it.
    pub fn date(&self, date: NaiveDate) -> String {
        self.t_with(
            "date",
            &[
                ("year", FluentValue::from(date.year())),
                ("month", FluentValue::from(date.month())),
                ("day", FluentValue::from(date.day())),
            ],
        )
    }

    /// The text for a field problem code of the API (`docs/errors.md`).
    pub fn violation(&self, code: crate::domain::violation::ViolationCode) -> String {
        self.t(&format!("code-{}", code.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};

    /// Every message of a Fluent source, with the variables its value names.
    fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
        let resource = fluent_syntax::parser::parse(lang.source())
            .unwrap_or_else(|(_, errors)| panic!("{}.ftl does not parse: {errors:?}", lang.tag()));
        let mut out = BTreeMap::new();
        for entry in resource.body {
            match entry {
                ast::Entry::Message(m) => {
                    assert!(
                        m.attributes.is_empty(),
                        "{}: attributes are not used",
                        m.id.name
                    );
                    let mut vars = BTreeSet::new();
                    if let Some(value) = &m.value {
                        pattern_variables(value, &mut vars);
                    }
                    let before = out.insert(m.id.name.to_owned(), vars);
                    assert!(before.is_none(), "{}.ftl: {} twice", lang.tag(), m.id.name);
                }
                ast::Entry::Term(t) => {
                    panic!("{}.ftl: terms are not used ({})", lang.tag(), t.id.name)
                }
                ast::Entry::Junk { content } => {
                    panic!("{}.ftl: cannot read {content:?}", lang.tag())
                }
                _ => {}
            }
        }
        out
    }

    fn pattern_variables(pattern: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, vars);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
        match expression {
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, vars);
                for variant in variants {
                    pattern_variables(&variant.value, vars);
                }
            }
            ast::Expression::Inline(inline) => inline_variables(inline, vars),
        }
    }

    fn inline_variables(inline: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                vars.insert(id.name.to_owned());
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, vars)
            }
            ast::InlineExpression::FunctionReference { arguments, .. } => {
                for arg in &arguments.positional {
                    inline_variables(arg, vars);
                }
            }
            ast::InlineExpression::MessageReference { id, .. } => {
                panic!("message references are not used ({})", id.name)
            }
            _ => {}
        }
    }

    /// The message ids the pages' code and templates name (see [`msg`]).
    fn ids_in_code() -> BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src/web reads") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                    files.push(path);
                }
            }
        }
        let mut ids = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source reads");
            for opener in [".t(", ".t_with(", "msg("] {
                for (at, _) in text.match_indices(opener) {
                    let Some(rest) = text[at + opener.len()..].trim_start().strip_prefix('"')
                    else {
                        continue;
                    };
                    let id: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    if rest[id.len()..].starts_with('"') && !id.is_empty() {
                        ids.insert(id);
                    }
                }
            }
        }
        ids
    }

    #[test]
    fn every_language_has_every_message_and_only_the_variables_the_code_passes() {
        let english = messages(Lang::En);
        let declared: BTreeMap<&str, BTreeSet<String>> = MESSAGES_WITH_ARGS
            .iter()
            .map(|(id, args)| (*id, args.iter().map(|a| (*a).to_owned()).collect()))
            .collect();
        for lang in Lang::ALL {
            let these = messages(lang);
            let missing: Vec<_> = english.keys().filter(|k| !these.contains_key(*k)).collect();
            let extra: Vec<_> = these.keys().filter(|k| !english.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{}.ftl lacks {missing:?}", lang.tag());
            assert!(extra.is_empty(), "{}.ftl has unknown {extra:?}", lang.tag());
            for (id, vars) in &these {
                let passed = declared.get(id.as_str()).cloned().unwrap_or_default();
                let unknown: Vec<_> = vars.difference(&passed).collect();
                assert!(
                    unknown.is_empty(),
                    "{}.ftl: {id} names {unknown:?}, which the code does not pass",
                    lang.tag()
                );
            }
        }
        for id in declared.keys() {
            assert!(
                english.contains_key(*id),
                "{id} is declared but not written"
            );
        }
        for id in ids_in_code() {
            assert!(
                english.contains_key(&id),
                "the pages use {id}, which no translation has"
            );
        }
    }

    #[test]
    fn every_problem_code_of_the_api_is_translated() {
        use crate::domain::violation::ViolationCode;
        let english = messages(Lang::En);
        for code in ViolationCode::ALL {
            let id = format!("code-{}", code.as_str());
            assert!(english.contains_key(&id), "no message {id}");
        }
        // Every problem type docs/errors.md lists, as `problem-<slug>`.
        let errors = include_str!("../../docs/errors.md");
        let slugs: BTreeSet<&str> = errors
            .match_indices("`/problems/")
            .filter_map(|(at, opener)| {
                let rest = &errors[at + opener.len()..];
                rest.find('`').map(|end| &rest[..end])
            })
            .collect();
        assert!(slugs.len() >= 15, "docs/errors.md lists {slugs:?}");
        for slug in slugs {
            let id = format!("problem-{slug}");
            assert!(english.contains_key(&id), "no message {id}");
        }
    }

    #[test]
    fn messages_format_without_errors_in_every_language() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let written: Vec<String> = Lang::ALL.iter().map(|l| Tr::new(*l).date(date)).collect();
        assert_eq!(
            written,
            [
                "2026年12月1日",
                "2026 жылғы 1 желтоқсан",
                "1 декабря 2026 г.",
                "1 December 2026"
            ]
        );
        for lang in Lang::ALL {
            let bundle = &BUNDLES[&lang];
            for (id, vars) in messages(lang) {
                let pattern = bundle
                    .get_message(&id)
                    .and_then(|m| m.value())
                    .expect("value");
                let mut args = FluentArgs::new();
                for var in &vars {
                    args.set(var.as_str(), FluentValue::from(3));
                }
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{} {id}: {errors:?}", lang.tag());
                assert!(!text.trim().is_empty(), "{} {id} is empty", lang.tag());
            }
        }
    }

    #[test]
    fn the_language_comes_from_accept_language_else_english() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::negotiate("kk-KZ, ru;q=0.5"), Lang::Kk);
        assert_eq!(Lang::negotiate("de-DE, ru;q=0.5"), Lang::Ru);
        assert_eq!(Lang::negotiate("de-DE"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::from_tag("KK"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag("kk-KZ"), None);
    }
}

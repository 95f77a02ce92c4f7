//! Reading a persona file: its TOML text in, the key groups
//! ([`Persona`]) with their estimates and likely needs out. The file
//! declares the types of need (`[[need]]`) and each group
//! (`[[persona]]`, with its `[[persona.need]]` list); every problem in it
//! is reported at once ([`ScoreError::Many`]), each with its line and key.

use std::collections::HashSet;

use serde::Deserialize;

use super::PersonaId;
use super::error::ScoreError;
use super::personas::{Estimate, NeedType, Persona, PersonaNeed};
use crate::text::LineIndex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    need: Vec<toml::Spanned<RawNeedType>>,
    #[serde(default)]
    persona: Vec<toml::Spanned<RawPersona>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeedType {
    id: String,
    label: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersonaNeed {
    id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    id: String,
    label: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    share: Vec<String>,
    scale: Option<f64>,
    category: Option<String>,
    #[serde(default)]
    members: Vec<String>,
    population: Option<String>,
    #[serde(default)]
    reasoning: String,
    #[serde(default)]
    need: Vec<toml::Spanned<RawPersonaNeed>>,
}

/// Parses persona TOML; `file` names it in errors, which are reported all
/// at once ([`ScoreError::Many`]), each with its line and key.
pub fn parse_personas(text: &str, file: &str) -> Result<Vec<Persona>, ScoreError> {
    let lines = LineIndex::new(text);
    let raw: RawFile = toml::from_str(text).map_err(|e| ScoreError::Parse {
        file: file.to_string(),
        line: e.span().map(|s| lines.line(s.start)).unwrap_or(1),
        message: e.message().trim_end_matches('.').to_string(),
    })?;
    let mut errs = Vec::new();
    let invalid = |at: usize, key: String, message: String| ScoreError::Invalid {
        at: format!("{file}: line {}", lines.line(at)),
        key,
        message,
    };
    let mut needs: Vec<NeedType> = Vec::new();
    for (i, n) in raw.need.into_iter().enumerate() {
        let at = n.span().start;
        let n = n.into_inner();
        if n.id.trim().is_empty() {
            errs.push(invalid(at, format!("need[{i}].id"), "id is empty".into()));
        } else if needs.iter().any(|x| x.id == n.id) {
            errs.push(invalid(
                at,
                format!("need[{i}].id"),
                format!("id '{}' is used twice", n.id),
            ));
        }
        if n.label.trim().is_empty() {
            errs.push(invalid(
                at,
                format!("need[{i}].label"),
                "label is empty".into(),
            ));
        }
        if needs.iter().any(|x| x.id == n.id) {
            continue;
        }
        needs.push(NeedType {
            id: n.id,
            label: n.label,
            description: n.description,
            position: i,
        });
    }
    let declared = || {
        let ids: Vec<&str> = needs.iter().map(|n| n.id.as_str()).collect();
        if ids.is_empty() {
            "no [[need]] is declared".to_string()
        } else {
            format!("declared: {}", ids.join(", "))
        }
    };
    let mut out: Vec<Persona> = Vec::new();
    let mut ids = HashSet::new();
    for (i, p) in raw.persona.into_iter().enumerate() {
        let at = p.span().start;
        let p = p.into_inner();
        let bad = |key: &str, message: String| invalid(at, format!("persona[{i}].{key}"), message);
        if !ids.insert(p.id.clone()) {
            errs.push(bad("id", format!("id '{}' is used twice", p.id)));
        }
        let estimate = match (p.category, p.share.is_empty()) {
            (Some(column), true) => {
                if p.members.is_empty() {
                    errs.push(bad("members", "a category persona needs members".into()));
                }
                Estimate::Category {
                    column,
                    members: p.members,
                }
            }
            (None, false) => Estimate::Share {
                columns: p.share,
                scale: p.scale.unwrap_or(1.0),
            },
            _ => {
                errs.push(bad(
                    "share",
                    "give either share = [...] or category + members".into(),
                ));
                continue;
            }
        };
        let mut mine: Vec<PersonaNeed> = Vec::new();
        for (k, n) in p.need.into_iter().enumerate() {
            let at = n.span().start;
            let n = n.into_inner();
            let key = |f: &str| format!("persona[{i}].need[{k}].{f}");
            if n.reason.trim().is_empty() {
                errs.push(invalid(
                    at,
                    key("reason"),
                    "give the reason in a sentence".into(),
                ));
            }
            if n.source.trim().is_empty() {
                errs.push(invalid(
                    at,
                    key("source"),
                    "cite the source of the reason".into(),
                ));
            }
            match needs.iter().find(|x| x.id == n.id) {
                None => errs.push(invalid(
                    at,
                    key("id"),
                    format!(
                        "need '{}' is not declared in [[need]] ({})",
                        n.id,
                        declared()
                    ),
                )),
                Some(_) if mine.iter().any(|m| m.need.id == n.id) => {
                    errs.push(invalid(
                        at,
                        key("id"),
                        format!("need '{}' is listed twice", n.id),
                    ));
                }
                Some(need) => mine.push(PersonaNeed {
                    need: need.clone(),
                    reason: n.reason,
                    source: n.source,
                }),
            }
        }
        out.push(Persona {
            id: PersonaId(p.id),
            label: p.label,
            description: p.description,
            estimate,
            population: p.population.unwrap_or_else(|| "population".into()),
            reasoning: p.reasoning,
            needs: mine,
        });
    }
    ScoreError::all(errs)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::need_types;

    #[test]
    fn persona_errors_name_file_line_and_key() {
        let text = "[[persona]]\nid = \"a\"\nlabel = \"A\"\nshare = [\"x\"]\n\n[[persona]]\nid = \"b\"\nlabel = \"B\"\ncategory = \"iuc\"\n";
        let e = parse_personas(text, "p.toml").unwrap_err().to_string();
        assert_eq!(
            e,
            "p.toml: line 6: persona[1].members: a category persona needs members"
        );
        let e = parse_personas(
            "[[persona]]\nid = \"a\"\nlabel = \"A\"\nshares = []\n",
            "p.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("p.toml: line 4: unknown field `shares`"),
            "{e}"
        );
    }

    #[test]
    fn need_errors_come_all_at_once_with_line_and_key() {
        let text = "[[need]]\nid = \"skills\"\nlabel = \"Skills\"\n\n\
                    [[need]]\nid = \"skills\"\nlabel = \"\"\n\n\
                    [[persona]]\nid = \"a\"\nlabel = \"A\"\nshare = [\"x\"]\n\n\
                    [[persona.need]]\nid = \"skills\"\nreason = \"r\"\nsource = \"s\"\n\n\
                    [[persona.need]]\nid = \"cost\"\nreason = \"\"\nsource = \"s\"\n\n\
                    [[persona.need]]\nid = \"skills\"\nreason = \"r\"\n";
        let e = parse_personas(text, "p.toml").unwrap_err().to_string();
        assert_eq!(
            e,
            "p.toml: line 5: need[1].id: id 'skills' is used twice\n\
             p.toml: line 5: need[1].label: label is empty\n\
             p.toml: line 19: persona[0].need[1].reason: give the reason in a sentence\n\
             p.toml: line 19: persona[0].need[1].id: need 'cost' is not declared in [[need]] (declared: skills)\n\
             p.toml: line 24: persona[0].need[2].source: cite the source of the reason\n\
             p.toml: line 24: persona[0].need[2].id: need 'skills' is listed twice"
        );
    }

    #[test]
    fn needs_carry_their_type_and_reason_in_file_order() {
        let text = "[[need]]\nid = \"cost\"\nlabel = \"Cost\"\n\
                    [[need]]\nid = \"skills\"\nlabel = \"Skills\"\n\
                    [[persona]]\nid = \"a\"\nlabel = \"A\"\nshare = [\"x\"]\n\
                    [[persona.need]]\nid = \"skills\"\nreason = \"r\"\nsource = \"Ofcom\"\n\
                    [[persona]]\nid = \"b\"\nlabel = \"B\"\nshare = [\"y\"]\n\
                    [[persona.need]]\nid = \"cost\"\nreason = \"q\"\nsource = \"ONS\"\n";
        let p = parse_personas(text, "p.toml").unwrap();
        assert_eq!(p[0].needs[0].need.label, "Skills");
        assert_eq!(p[1].needs[0].source, "ONS");
        let ids: Vec<String> = need_types(&p).into_iter().map(|n| n.id).collect();
        assert_eq!(ids, ["cost", "skills"]);
    }
}

//! `README.txt` at the top of an export's payload: what the archive holds, how to check it
//! without teczka, who signed it and how to treat it. Kept beside the layout it describes, so
//! the two change together.

use crate::model::record::Counts;

/// What an export's README says about the release it describes.
#[derive(Clone, Copy, Debug)]
pub struct ExportReadme<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// The policy's purpose (`transfer`, `statistics`, …).
    pub purpose: &'a str,
    /// The run's counts.
    pub counts: &'a Counts,
    /// Whether this is an anonymised statistical release (counts-only reports, no rejects).
    pub statistics: bool,
    /// Whether the release turned typed fields into text, so the `released` schemas apply.
    pub retyped: bool,
    /// The minisign key id the bag is signed with, if signed.
    pub signed_by: Option<&'a str>,
    /// Whether identifiers were pseudonymised with a key.
    pub pseudonymised: bool,
}

impl ExportReadme<'_> {
    /// The README's text.
    pub fn text(&self) -> String {
        let counts = self.counts;
        let mut text = format!(
            "This archive was made by teczka {version} under the policy `{name}` ({purpose}).\n\n\
             Pupils: {pupils} released from {input} input records ({rejected} rejected{suppressed}).\n\n",
            version = env!("CARGO_PKG_VERSION"),
            name = self.policy,
            purpose = self.purpose,
            pupils = counts.pupils_out,
            input = counts.input,
            rejected = counts.rejected,
            suppressed = if counts.suppressed > 0 {
                format!(", {} left out to keep every group of at least k pupils", counts.pupils_suppressed)
            } else {
                String::new()
            },
        );
        let (xsd, json_schema) = if self.retyped {
            ("schemas/released.xsd", "schemas/released.schema.json")
        } else {
            ("schemas/pupils.xsd", "schemas/pupil.schema.json")
        };
        text.push_str(&format!(
            "WHAT IS HERE\n\
             data/records/     the pupils: pupils.xml (SOU-like XML, {xsd}),\n\
             \x20                 csv/ (one UTF-8 file per entity, joined by pupil_id),\n\
             \x20                 pupils.jsonl (one JSON object per pupil, {json_schema}),\n\
             \x20                 tables/ (when asked: aggregate tables, one CSV each, tables.html)\n",
        ));
        if self.statistics {
            text.push_str(
                "data/reports/     counts only, nothing about a single pupil: validation.json\n\
                 \x20                 (problems found, counted by rule and field), risk.txt,\n\
                 \x20                 risk.json and risk.html (re-identification risk; per class,\n\
                 \x20                 school and commune only the number of units)\n",
            );
        } else {
            text.push_str(
                "data/reports/     validation.json (every problem found), rejects.jsonl (records not\n\
                 \x20                 taken, with reasons), risk.json / risk.txt / risk.html\n\
                 \x20                 (re-identification risk, when the policy anonymises)\n",
            );
        }
        text.push_str(
            "data/schemas/     the schemas: pupil.schema.json and pupils.xsd as published;\n\
             \x20                 released.schema.json and released.xsd, the same with the fields\n\
             \x20                 the release turned into text (years, bands, `*`) typed as text\n\
             \x20                 and nothing required, when the policy does that\n\
             data/metadata/    archive.json: tool, sources, counts, the policy and its SHA-256, key id\n\n\
             HOW TO CHECK IT\n\
             teczka verify ARCHIVE, or without teczka: unzip it and run `bagit.py --validate FOLDER`\n\
             (pip install bagit), or `sha512sum -c manifest-sha512.txt` inside the folder;\n",
        );
        text.push_str(&format!(
            "xmllint --noout --schema data/{xsd} data/records/pupils.xml checks the XML.\n\n"
        ));
        if let Some(id) = self.signed_by {
            text.push_str(&format!(
                "WHO MADE IT\n\
                 The bag is signed with minisign key {id}: tagmanifest-sha512.txt.minisig signs\n\
                 tagmanifest-sha512.txt, which pins every other file. With the school's public key:\n\
                 teczka verify ARCHIVE --trusted-key school-sign.pub, or inside the unzipped folder\n\
                 `minisign -Vm tagmanifest-sha512.txt -p school-sign.pub`.\n\n"
            ));
        }
        if self.statistics {
            text.push_str(
                "This is an anonymised statistical release: no names, identifiers or contact data;\n\
                 quasi-identifiers are generalised (see reports/risk.txt). Do not try to\n\
                 re-identify anyone.\n",
            );
        } else {
            text.push_str(
                "This archive holds personal data of children. Keep it encrypted, give access only\n\
                 to those who need it, and delete it when its purpose is fulfilled.\n",
            );
        }
        if self.pseudonymised {
            text.push_str(
                "Identifiers marked pseudonymised are keyed tokens: archives with the same key id\n\
                 (metadata/archive.json) link; the key stays with the school.\n",
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_points_at_the_schemas_and_signature_the_release_has() {
        let counts = Counts { input: 3, pupils_out: 2, rejected: 1, ..Counts::default() };
        let readme = ExportReadme {
            policy: "statistics",
            purpose: "statistics",
            counts: &counts,
            statistics: true,
            retyped: true,
            signed_by: Some("ABCD"),
            pseudonymised: false,
        };
        let text = readme.text();
        assert!(text.contains("Pupils: 2 released from 3 input records (1 rejected)."), "{text}");
        assert!(text.contains("--schema data/schemas/released.xsd"), "{text}");
        assert!(text.contains("minisign key ABCD"), "{text}");
        assert!(text.contains("anonymised statistical release") && !text.contains("keyed tokens"));
        assert!(text.contains("\n                  csv/ (one UTF-8"), "{text}");
    }
}

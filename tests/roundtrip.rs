//! Round trips are lossless: model → format → model gives back the same pupils.

use crate::strategy::pupil;
use proptest::prelude::*;
use teczka::read::{jsonl::JsonlReader, xml::XmlReader, ReadOptions};
use teczka::write::{JsonlWriter, Sink, XmlWriter};
use teczka::Pupil;

fn read_back<I: Iterator<Item = teczka::Result<teczka::Record>>>(records: I) -> Vec<Pupil> {
    records
        .map(|r| {
            let record = r.expect("no read error");
            assert!(record.problems.is_empty(), "problems: {:?}", record.problems);
            record.pupil
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_round_trip(pupils in proptest::collection::vec(pupil(), 1..4)) {
        let mut out = Vec::new();
        let mut writer = JsonlWriter::new(&mut out, "-");
        for p in &pupils {
            writer.write(p).unwrap();
        }
        writer.finish().unwrap();
        drop(writer);
        let back = read_back(JsonlReader::new(&out[..], "mem.jsonl", &ReadOptions::default()));
        prop_assert_eq!(back, pupils);
    }

    #[test]
    fn xml_round_trip(pupils in proptest::collection::vec(pupil(), 1..4)) {
        let mut out = Vec::new();
        let mut writer = XmlWriter::new(&mut out, "-").unwrap();
        for p in &pupils {
            writer.write(p).unwrap();
        }
        writer.finish().unwrap();
        drop(writer);
        let back = read_back(XmlReader::new(&out[..], "mem.xml", &ReadOptions::default()));
        prop_assert_eq!(back, pupils);
    }
}

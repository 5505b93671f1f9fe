//! Report digests, which make re-imports idempotent, are computed on a canonical form:
//! stable across versions of the input format, pinned here for the seed.

use kg::app::Seed;
use kg::import::{digest, ReportInput};
use serde_json::{json, Value};

/// The seed's digests as computed when the canonical form was introduced. A change here
/// means every stored report would conflict with its own re-import: do not update these
/// without a migration.
const SEED_DIGESTS: &[(&str, &str)] = &[
    (
        "ap-2024-11-iran-sought-meeting-with-musk",
        "f00af97b340decc51a4c96a9b5145852670cba1a820523f373273e67391aa677",
    ),
    (
        "nyt-2024-11-musk-met-iran-envoy",
        "95ef98f28bed92ab0f7e7830a0489caeb969ea41c2e481af9825111346c76f89",
    ),
    (
        "report-2024-11-meeting-at-ambassador-residence",
        "e1b56fc630a577fd657ae7b49a2ffa5c323f0f3bc71dab681d39299c4422dddf",
    ),
    (
        "cbs-2024-11-musk-met-iran-un-ambassador",
        "bb5c313f91b4ad3456a7965f358d9e50f46e8746ee8bd36de0472e5354613ae7",
    ),
    (
        "media-reports-2024-11-meeting-on-monday",
        "be45006c46146e903e294d0eb9ee8f576f23a187e231acdb1039aa095cb31a9d",
    ),
    (
        "iran-mfa-2024-11-17-denial",
        "fa7d980a25dd2e8d28c57276de2aa7ec8a85afe917135cae9e1f2fa902b83d9e",
    ),
    (
        "seed-article-did-elon-musk-meet-iran",
        "1d895e2dab2f2e7740681cefd843d5abfa31d44cfb525d5cb60ffde0b01e3dc2",
    ),
    (
        "reference-iran-un-mission-website",
        "d0bf22a5bc4e29cd8791d3bfa00b275c63ffda11c87683be85f9708dce4e1a89",
    ),
    (
        "reference-iran-foreign-ministry-website",
        "927603991a8de2dd59004d6afaca1d539375eff4df1a69959e12db67e414aec0",
    ),
];

#[test]
fn the_seed_reports_digests_are_pinned() {
    let reports = Seed::Bundled.reports().unwrap();
    assert_eq!(reports.len(), SEED_DIGESTS.len());
    for (report, (key, pinned)) in reports.iter().zip(SEED_DIGESTS) {
        assert_eq!(report.key.as_deref(), Some(*key));
        assert_eq!(digest(report), *pinned, "{key}");
    }
}

fn parsed(value: Value) -> ReportInput {
    serde_json::from_value(value).unwrap()
}

#[test]
fn absent_optional_fields_do_not_change_a_digest_and_content_does() {
    let bare = json!({
        "key": "r", "title": "T", "kind": "ARTICLE",
        "assertions": [{ "claim": "c", "stance": "ASSERTS" }]
    });
    let spelled_out = json!({
        "key": "r", "title": "T", "kind": "ARTICLE", "url": null, "publisher": null,
        "publishedAt": null, "relays": [], "entities": [], "sources": [], "claims": [],
        "assertions": [{ "claim": "c", "stance": "ASSERTS", "quote": null, "cites": [] }]
    });
    assert_eq!(digest(&parsed(bare.clone())), digest(&parsed(spelled_out)));
    let mut other = bare;
    other["title"] = json!("Another title");
    assert_ne!(
        digest(&parsed(other.clone())),
        digest(&parsed(json!({
            "key": "r", "title": "T", "kind": "ARTICLE",
            "assertions": [{ "claim": "c", "stance": "ASSERTS" }]
        })))
    );
}

//! What the seed story must answer, from the graph alone.

use serde_json::{json, Value};

use crate::harness::{conformance, strings, TestApp};

const MEETING_ASSERTIONS: &str = r#"
query($id: ID!) { node(id: $id) { ... on Claim {
  statement
  assertions(first: 20) { totalCount edges { node {
    stance quote madeAt { text }
    report { title kind publishedAt { text earliest latest precision } publisher { name kind } }
    sources { description count anonymous affiliation { name } }
  } } }
} } }"#;

async fn meeting_claim(app: &TestApp) -> Value {
    let id = app.id_of("Musk met Iravani ambassador", "Claim").await;
    app.data_with(MEETING_ASSERTIONS, json!({ "id": id })).await["node"].clone()
}

fn assertion_by<'a>(claim: &'a Value, publisher: &str) -> &'a Value {
    claim["assertions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"])
        .find(|a| a["report"]["publisher"]["name"] == publisher)
        .unwrap_or_else(|| panic!("no assertion by {publisher}: {claim:#}"))
}

conformance! {
    async fn who_reported_the_meeting_and_whom_each_cited(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let claim = meeting_claim(&app).await;
        assert_eq!(claim["statement"], "Elon Musk met Iran's UN ambassador Amir Saeid Iravani");
        assert_eq!(claim["assertions"]["totalCount"], 5);

        let ap = assertion_by(&claim, "Associated Press");
        assert_eq!(ap["stance"], "ASSERTS");
        assert_eq!(ap["sources"][0]["description"], "a U.S. official");
        assert_eq!(ap["sources"][0]["anonymous"], true);
        assert_eq!(ap["sources"][0]["affiliation"]["name"], "United States government");

        let nyt = assertion_by(&claim, "The New York Times");
        assert_eq!(nyt["sources"][0]["description"], "two Iranian officials");
        assert_eq!(nyt["sources"][0]["count"], 2);

        let cbs = assertion_by(&claim, "CBS News");
        assert_eq!(cbs["stance"], "CONFIRMS");
        assert_eq!(cbs["report"]["kind"], "BROADCAST");

        let residence = claim["assertions"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .find(|a| a["report"]["publisher"].is_null())
            .expect("the report with no named publisher");
        assert_eq!(residence["sources"][0]["description"], "two sources familiar with the meeting");

        let denial = assertion_by(&claim, "Ministry of Foreign Affairs of Iran");
        assert_eq!(denial["stance"], "DENIES");
        assert_eq!(denial["quote"], "categorically denies");
        assert_eq!(denial["madeAt"]["text"], "2024-11-17");
        assert_eq!(denial["report"]["kind"], "OFFICIAL_STATEMENT");

        // The outlets' reports are dated only as after the meeting and before the denial.
        let dated = &ap["report"]["publishedAt"];
        assert_eq!(dated["precision"], "RANGE");
        assert_eq!(dated["earliest"], "2024-11-11");
        assert_eq!(dated["latest"], "2024-11-17");
    }

    async fn when_where_how_long_what_about_and_who_asked(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data(
                r#"{ events(first: 5) { edges { node {
                    title
                    claims(first: 50) { edges { node {
                        attribute statement qualifier
                        value { text date { text } entity { ... on Place { name } ... on Person { name } ... on Organization { name } } }
                        conflictsWith { statement } refines { statement }
                        assertions(first: 5) { edges { node { report { publisher { name } } sources { description } } } }
                    } } }
                } } } }"#,
            )
            .await;
        let claims: Vec<Value> = data["events"]["edges"][0]["node"]["claims"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect();
        let of = |attribute: &str| -> Vec<&Value> {
            claims.iter().filter(|c| c["attribute"] == attribute).collect()
        };

        let date = of("occurredOn");
        assert_eq!(date.len(), 1);
        assert_eq!(date[0]["value"]["date"]["text"], "2024-11-11");

        let duration = of("duration");
        assert_eq!(duration[0]["value"]["text"], "more than an hour");
        assert_eq!(strings(&duration[0]["assertions"]["edges"], "/node/report/publisher/name"), ["The New York Times"]);

        let places = of("location");
        assert_eq!(places.len(), 2);
        let secret = places.iter().find(|c| c["qualifier"] == "a secret location").unwrap();
        assert_eq!(secret["value"]["entity"]["name"], "New York");
        let residence = places.iter().find(|c| c["qualifier"].is_null()).unwrap();
        assert_eq!(residence["refines"][0]["statement"], secret["statement"]);
        assert!(residence["conflictsWith"].as_array().unwrap().is_empty());

        let topics: Vec<String> = of("topic").iter().map(|c| c["statement"].as_str().unwrap().to_string()).collect();
        assert!(topics.iter().any(|t| t.contains("defuse tensions between Iran and the United States")), "{topics:?}");
        let sanctions = of("topic").into_iter().find(|c| c["statement"].as_str().unwrap().contains("sanctions")).unwrap();
        assert_eq!(
            strings(&sanctions["assertions"]["edges"], "/node/sources/0/description"),
            ["an Iranian foreign ministry official"]
        );

        let initiators = of("initiator");
        assert_eq!(initiators.len(), 2);
        for initiator in &initiators {
            assert_eq!(initiator["conflictsWith"].as_array().unwrap().len(), 1, "{initiator:#}");
        }
        let who: Vec<&str> = initiators.iter().map(|c| c["value"]["entity"]["name"].as_str().unwrap()).collect();
        assert!(who.contains(&"Government of Iran") && who.contains(&"Elon Musk"), "{who:?}");
    }

    async fn participants_carry_the_claim_that_they_took_part(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data(
                r#"{ events { edges { node { participants { totalCount edges {
                    node { ... on Person { name } }
                    claim { status assertions { totalCount } }
                } } } } } }"#,
            )
            .await;
        let participants = &data["events"]["edges"][0]["node"]["participants"];
        assert_eq!(participants["totalCount"], 2);
        let names = strings(&participants["edges"], "/node/name");
        assert!(names.contains(&"Elon Musk".into()) && names.contains(&"Amir Saeid Iravani".into()), "{names:?}");
        // Corroborated, but the meeting they presuppose is denied by Iran's foreign ministry.
        for edge in participants["edges"].as_array().unwrap() {
            assert_eq!(edge["claim"]["status"], "DISPUTED", "{edge:#}");
        }
    }

    async fn positions_and_part_of_links_lead_from_iravani_to_the_government(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let id = app.id_of("Iravani", "Person").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { node(id: $id) { ... on Person { name positions {
                    title organization { name kind
                      claims(attribute: "partOf") { edges { node { value { entity { ... on Organization { name
                        claims(attribute: "partOf") { edges { node { value { entity { ... on Organization { name kind } } } } } }
                      } } } } } }
                    }
                    claim { assertions { edges { node { report { title } } } } }
                } } } }"#,
                json!({ "id": id }),
            )
            .await;
        let position = &data["node"]["positions"][0];
        assert_eq!(position["title"], "Ambassador to the United Nations");
        let mission = &position["organization"];
        assert_eq!(mission["kind"], "DIPLOMATIC_MISSION");
        let ministry = &mission["claims"]["edges"][0]["node"]["value"]["entity"];
        assert_eq!(ministry["name"], "Ministry of Foreign Affairs of Iran");
        let government = &ministry["claims"]["edges"][0]["node"]["value"]["entity"];
        assert_eq!(government["name"], "Government of Iran");
        assert_eq!(government["kind"], "GOVERNMENT");
        assert_eq!(
            strings(&position["claim"]["assertions"]["edges"], "/node/report/title"),
            ["Did Elon Musk Meet Iran? Unpacking Secret Diplomacy"]
        );
    }

    async fn cbs_dates_the_meeting_only_as_the_day_before_musks_appointment(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let cbs = app.id_of("CBS", "Organization").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { node(id: $id) { ... on Organization { claims(attribute: "partnerOf") {
                    edges { node { value { entity { ... on Organization { name } } } } } } } } }"#,
                json!({ "id": cbs }),
            )
            .await;
        assert_eq!(data["node"]["claims"]["edges"][0]["node"]["value"]["entity"]["name"], "BBC");

        // CBS gives no date: the meeting is "a day before" the appointment, an event of its own.
        let meeting = app.id_of("Musk-Iravani meeting", "Event").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { node(id: $id) { ... on Event { claims(attribute: "dayBefore") { edges { node {
                    value { entity { ... on Event { title date participants { edges { node { ... on Person { name } } } } } } }
                    assertions { edges { node { quote report { publisher { name } } } } }
                } } } } } }"#,
                json!({ "id": meeting }),
            )
            .await;
        let day_before = &data["node"]["claims"]["edges"][0]["node"];
        let appointment = &day_before["value"]["entity"];
        assert_eq!(appointment["title"], "Musk made joint head of Donald Trump's new cost-cutting department");
        assert!(appointment["date"].is_null(), "no source dates the appointment: {appointment:#}");
        assert_eq!(strings(&appointment["participants"]["edges"], "/node/name"), ["Elon Musk"]);
        assert_eq!(strings(&day_before["assertions"]["edges"], "/node/report/publisher/name"), ["CBS News"]);

        let musk = app.id_of("Elon Musk", "Person").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { node(id: $id) { ... on Person { positions {
                    title validFrom { text } organization { name aliases }
                    claim { assertions { edges { node { report { publisher { name } } } } } }
                } } } }"#,
                json!({ "id": musk }),
            )
            .await;
        let positions = data["node"]["positions"].as_array().unwrap();
        let joint_head = positions.iter().find(|p| p["title"] == "joint head").expect("the joint-head position");
        assert!(joint_head["validFrom"].is_null(), "CBS gives no start date: {joint_head:#}");
        assert_eq!(joint_head["organization"]["name"], "Donald Trump's new cost-cutting department");
        assert_eq!(joint_head["organization"]["aliases"], json!(["the cost-cutting department"]));
        assert_eq!(
            strings(&joint_head["claim"]["assertions"]["edges"], "/node/report/publisher/name"),
            ["CBS News"]
        );
    }

    async fn musks_biography_is_attributed_to_the_article(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let musk = app.id_of("Elon Musk", "Person").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { node(id: $id) { ... on Person { claims(first: 100) { edges { node {
                    attribute qualifier validFrom { text } validTo { text }
                    value { text number date { text } entity { ... on Person { name } ... on Place { name } ... on Organization { name } } }
                    assertions { edges { node { report { title } } } }
                } } } } } }"#,
                json!({ "id": musk }),
            )
            .await;
        let claims: Vec<Value> = data["node"]["claims"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
        let values = |attribute: &str, pointer: &str| -> Vec<String> {
            claims
                .iter()
                .filter(|c| c["attribute"] == attribute)
                .filter_map(|c| c.pointer(pointer).and_then(Value::as_str).map(String::from))
                .collect()
        };
        assert_eq!(values("birthDate", "/value/date/text"), ["1971-06-28"]);
        assert_eq!(values("birthPlace", "/value/entity/name"), ["Pretoria"]);
        assert_eq!(values("fullName", "/value/text"), ["Elon Reeve Musk"]);
        let mut nationalities = values("nationality", "/value/text");
        nationalities.sort();
        assert_eq!(nationalities, ["American", "Canadian", "South African"]);
        assert_eq!(values("educatedAt", "/qualifier"), ["B.Sc. in Physics, B.A. in Economics"]);
        let founded = values("founded", "/value/entity/name");
        for company in ["SpaceX", "The Boring Company", "Neuralink", "OpenAI", "PayPal"] {
            assert!(founded.contains(&company.to_string()), "{company} in {founded:?}");
        }
        assert_eq!(values("owns", "/value/entity/name"), ["X (formerly Twitter)"]);

        let marriages: Vec<(String, String, String)> = claims
            .iter()
            .filter(|c| c["attribute"] == "spouse")
            .map(|c| (
                c["value"]["entity"]["name"].as_str().unwrap().to_string(),
                c["validFrom"]["text"].as_str().unwrap().to_string(),
                c["validTo"]["text"].as_str().unwrap().to_string(),
            ))
            .collect();
        assert_eq!(marriages.len(), 3);
        let riley: Vec<_> = marriages.iter().filter(|m| m.0 == "Talulah Riley").collect();
        assert_eq!(riley.len(), 2, "married twice: {marriages:?}");
        assert!(marriages.contains(&("Justine Wilson".into(), "2000".into(), "2008".into())));
        assert_eq!(values("partner", "/value/entity/name"), ["Grimes"]);

        let children = claims.iter().find(|c| c["attribute"] == "childrenCount").unwrap();
        assert_eq!(children["value"]["number"], 11.0);
        assert_eq!(children["validFrom"]["text"], "2023");

        assert_eq!(values("occupation", "/value/text"), ["business magnate and investor"]);
        let mut wealth = values("wealthRanking", "/value/text");
        wealth.sort();
        assert_eq!(wealth, ["among the world's wealthiest individuals", "the world's richest man"]);

        // Every biographical fact is backed by the article itself.
        for claim in claims.iter().filter(|c| !["position"].contains(&c["attribute"].as_str().unwrap())) {
            let reports = strings(&claim["assertions"]["edges"], "/node/report/title");
            assert!(
                reports.contains(&"Did Elon Musk Meet Iran? Unpacking Secret Diplomacy".to_string()),
                "{claim:#}"
            );
        }
    }

    async fn the_seed_article_relays_the_reports_it_draws_on(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let article = app.id_of("Unpacking Secret Diplomacy", "Report").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { node(id: $id) { ... on Report { publishedAt { text } relays { title publisher { name } relayedBy { totalCount edges { node { title } } } } } } }"#,
                json!({ "id": article }),
            )
            .await;
        assert_eq!(data["node"]["publishedAt"]["text"], "2024-11-17/..");
        let relays = data["node"]["relays"].as_array().unwrap();
        assert_eq!(relays.len(), 6);
        let publishers = strings(&data["node"]["relays"], "/publisher/name");
        for outlet in ["Associated Press", "The New York Times", "CBS News", "Ministry of Foreign Affairs of Iran"] {
            assert!(publishers.contains(&outlet.to_string()), "{outlet} in {publishers:?}");
        }
        assert_eq!(relays[0]["relayedBy"]["totalCount"], 1);
        assert_eq!(relays[0]["relayedBy"]["edges"][0]["node"]["title"], "Did Elon Musk Meet Iran? Unpacking Secret Diplomacy");
    }

    async fn the_page_boilerplate_never_enters_the_graph(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        for text in ["Isabella Hansen", "umarvin", "reilly1977", "Herman Renner", "Music Director", "Leoramouth", "Davos"] {
            let data = app
                .data_with("query($t: String!) { search(text: $t) { __typename } }", json!({ "t": text }))
                .await;
            assert_eq!(data["search"], json!([]), "{text} is in the graph");
        }
        let people = app.data("{ people(first: 100) { edges { node { name } } } }").await;
        let names = strings(&people["people"]["edges"], "/node/name");
        assert_eq!(names.len(), 6, "{names:?}");
    }
}

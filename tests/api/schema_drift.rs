//! The committed SDL is what the code serves.

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/schema.graphql"
    ))
    .expect("schema/schema.graphql is committed");
    assert!(
        committed == kg::graphql::sdl(),
        "schema/schema.graphql is stale: run `cargo run -- schema > schema/schema.graphql`"
    );
}

#[test]
fn every_type_and_field_of_the_schema_is_documented() {
    let schema: serde_json::Value = {
        let sdl = kg::graphql::sdl();
        // Described fields and types are preceded by a block string in the SDL.
        let mut undocumented = Vec::new();
        let lines: Vec<&str> = sdl.lines().collect();
        let mut in_description = false;
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim();
            // Lines of a multi-line description, and the line closing an argument list.
            let opens_or_closes = trimmed.starts_with("\"\"\"")
                && !(trimmed.len() > 6 && trimmed.ends_with("\"\"\""));
            if opens_or_closes {
                in_description = !in_description;
                continue;
            }
            if in_description || trimmed.starts_with(')') {
                continue;
            }
            let is_definition = ["type ", "enum ", "input ", "interface ", "scalar "]
                .iter()
                .any(|k| trimmed.starts_with(k));
            let is_field =
                line.starts_with('\t') && trimmed.contains(':') && !trimmed.starts_with('"');
            let is_enum_value = line.starts_with('\t')
                && !trimmed.is_empty()
                && trimmed.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            if (is_definition || is_field || is_enum_value) && !trimmed.starts_with("directive") {
                let previous = i.checked_sub(1).map(|p| lines[p].trim()).unwrap_or("");
                if !previous.ends_with("\"\"\"") && !previous.ends_with('"') {
                    undocumented.push(trimmed.to_string());
                }
            }
        }
        serde_json::json!(undocumented)
    };
    // async-graphql generates connection types without a type description (their fields
    // are described), and writes the schema block undescribed.
    let generated = |line: &&str| {
        (line.starts_with("type ") && line.ends_with("Connection {"))
            || ["schema {", "query:", "mutation:", "subscription:"]
                .iter()
                .any(|b| line.starts_with(b))
    };
    let undocumented: Vec<&str> = schema
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|line| !generated(line))
        .collect();
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}

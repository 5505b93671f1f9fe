//! The catalogue of claim attributes: what each means, what value it takes, and how the
//! rules treat it. Importers may use only these; adding one is a one-line change here.

use crate::model::Label;

/// What kind of value an attribute takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// No value: the claim is the attribute itself ("the meeting took place").
    None,
    /// An entity of one of these labels.
    Entity(&'static [Label]),
    Text,
    Date,
    Number,
}

/// One attribute of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// The labels a subject may have.
    pub subjects: &'static [Label],
    pub value: ValueKind,
    /// At most one value is true at a time, so differing values conflict.
    pub functional: bool,
    /// The subject serves the value organisation: it is a principal for claims about them.
    pub serves: bool,
    /// The value contains the subject (a place within a place, a body within a body).
    pub contained_in: bool,
}

const PEOPLE: &[Label] = &[Label::Person];
const ORGS: &[Label] = &[Label::Organization];
const PLACES: &[Label] = &[Label::Place];
const EVENTS: &[Label] = &[Label::Event];
const AGENTS: &[Label] = &[Label::Person, Label::Organization];
const ORGS_AND_PLACES: &[Label] = &[Label::Organization, Label::Place];

const fn spec(
    name: &'static str,
    description: &'static str,
    subjects: &'static [Label],
    value: ValueKind,
) -> AttributeSpec {
    AttributeSpec {
        name,
        description,
        subjects,
        value,
        functional: false,
        serves: false,
        contained_in: false,
    }
}

const fn functional(mut spec: AttributeSpec) -> AttributeSpec {
    spec.functional = true;
    spec
}

/// Every attribute a claim may have.
pub const CATALOGUE: &[AttributeSpec] = &[
    spec("occurred", "The event took place.", EVENTS, ValueKind::None),
    spec(
        "participant",
        "Took part in the event.",
        EVENTS,
        ValueKind::Entity(AGENTS),
    ),
    functional(spec(
        "location",
        "Where the event took place.",
        EVENTS,
        ValueKind::Entity(PLACES),
    )),
    functional(spec(
        "occurredOn",
        "The day the event took place.",
        EVENTS,
        ValueKind::Date,
    )),
    functional(spec(
        "duration",
        "How long the event lasted.",
        EVENTS,
        ValueKind::Text,
    )),
    spec(
        "topic",
        "What was discussed or sought at the event.",
        EVENTS,
        ValueKind::Text,
    ),
    spec(
        "dayBefore",
        "Took place the day before the other event (relative timing, as a source gives it).",
        EVENTS,
        ValueKind::Entity(EVENTS),
    ),
    spec(
        "before",
        "Took place before the other event (relative timing, as a source gives it).",
        EVENTS,
        ValueKind::Entity(EVENTS),
    ),
    spec(
        "describedAs",
        "How the event was characterised (\"a governmental meeting\").",
        EVENTS,
        ValueKind::Text,
    ),
    spec(
        "outcome",
        "What the event led to, or did not.",
        EVENTS,
        ValueKind::Text,
    ),
    spec(
        "motive",
        "Why the event was sought, as a source reads it.",
        EVENTS,
        ValueKind::Text,
    ),
    functional(spec(
        "initiator",
        "Who sought or requested the event.",
        EVENTS,
        ValueKind::Entity(AGENTS),
    )),
    AttributeSpec {
        serves: true,
        ..spec(
            "position",
            "Holds a position (the qualifier names it) in the organisation.",
            PEOPLE,
            ValueKind::Entity(ORGS),
        )
    },
    spec(
        "founded",
        "Founded or co-founded the organisation.",
        AGENTS,
        ValueKind::Entity(ORGS),
    ),
    spec(
        "owns",
        "Owns the organisation.",
        AGENTS,
        ValueKind::Entity(ORGS),
    ),
    AttributeSpec {
        contained_in: true,
        ..spec(
            "partOf",
            "Is part of the organisation or place.",
            ORGS_AND_PLACES,
            ValueKind::Entity(ORGS_AND_PLACES),
        )
    },
    spec(
        "partnerOf",
        "Is a partner organisation of the organisation.",
        ORGS,
        ValueKind::Entity(ORGS),
    ),
    spec(
        "spouse",
        "Was married to the person over the valid time.",
        PEOPLE,
        ValueKind::Entity(PEOPLE),
    ),
    spec(
        "partner",
        "Was the partner of the person over the valid time.",
        PEOPLE,
        ValueKind::Entity(PEOPLE),
    ),
    functional(spec(
        "fullName",
        "The person's full name.",
        PEOPLE,
        ValueKind::Text,
    )),
    functional(spec(
        "birthDate",
        "The day the person was born.",
        PEOPLE,
        ValueKind::Date,
    )),
    functional(spec(
        "birthPlace",
        "Where the person was born.",
        PEOPLE,
        ValueKind::Entity(PLACES),
    )),
    spec(
        "occupation",
        "What the person does for a living (\"business magnate and investor\").",
        PEOPLE,
        ValueKind::Text,
    ),
    spec(
        "wealthRanking",
        "Where the person ranks by wealth, in the source's words (\"the world's richest man\").",
        PEOPLE,
        ValueKind::Text,
    ),
    spec(
        "nationality",
        "A nationality the person holds.",
        PEOPLE,
        ValueKind::Text,
    ),
    spec(
        "educatedAt",
        "Studied at the institution (the qualifier names the degrees).",
        PEOPLE,
        ValueKind::Entity(ORGS),
    ),
    functional(spec(
        "childrenCount",
        "How many children the person has, as of the valid time.",
        PEOPLE,
        ValueKind::Number,
    )),
];

/// The attribute of that name, if the catalogue has it.
pub fn attribute(name: &str) -> Option<&'static AttributeSpec> {
    CATALOGUE.iter().find(|spec| spec.name == name)
}

/// Attributes whose value is a participant of an event: the parties to claims about it.
pub const PARTICIPANT: &str = "participant";

/// The attribute of a position a person holds in an organisation.
pub const POSITION: &str = "position";

/// The attribute of the claim that an event happened, from which the event's status comes.
pub const OCCURRED: &str = "occurred";

/// The attribute that dates an event.
pub const OCCURRED_ON: &str = "occurredOn";

-- Rate cards: every version stays readable; charges and holds name the version that priced
-- them. `document` is the card's JSON document as GET /v1/rate-card/versions/{version} answers.
CREATE TABLE rate_cards (
    version      INTEGER PRIMARY KEY CHECK (version >= 1),
    effective_at INTEGER NOT NULL,
    document     TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

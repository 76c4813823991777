-- Rate cards: every version stays readable; charges and holds name the version that priced
-- them. `document` is the card's JSON document as GET /v1/rate-card/versions/{version} answers.
CREATE TABLE rate_cards (
    version      BIGINT PRIMARY KEY CHECK (version >= 1),
    effective_at BIGINT NOT NULL,
    document     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

//! The compact text forms of the small lists stored in one column: postings, reservations and
//! the grants a charge drew from. `~` names the overdraft line. Every backend stores the same
//! forms, so SQLite and PostgreSQL ledgers read alike.

use tally_core::{Line, Millicredits, Posting, Reservation};

const OVERDRAFT: &str = "~";

fn encode_line(line: &Line) -> &str {
    match line {
        Line::Grant(grant_id) => grant_id,
        Line::Overdraft => OVERDRAFT,
    }
}

fn decode_line(text: &str) -> Line {
    if text == OVERDRAFT {
        Line::Overdraft
    } else {
        Line::Grant(text.to_string())
    }
}

fn amount(text: &str) -> Option<Millicredits> {
    text.parse().ok().map(Millicredits::new)
}

/// `grant:remaining_delta:reserved_delta;…`
pub fn encode_postings(postings: &[Posting]) -> String {
    let parts: Vec<String> = postings
        .iter()
        .map(|posting| {
            format!(
                "{}:{}:{}",
                encode_line(&posting.line),
                posting.remaining_delta.get(),
                posting.reserved_delta.get()
            )
        })
        .collect();
    parts.join(";")
}

pub fn decode_postings(text: &str) -> Option<Vec<Posting>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(';')
        .map(|part| {
            let mut fields = part.rsplitn(3, ':');
            let reserved_delta = amount(fields.next()?)?;
            let remaining_delta = amount(fields.next()?)?;
            let line = decode_line(fields.next()?);
            Some(Posting {
                line,
                remaining_delta,
                reserved_delta,
            })
        })
        .collect()
}

/// `grant:amount;…`
pub fn encode_reservations(reservations: &[Reservation]) -> String {
    let parts: Vec<String> = reservations
        .iter()
        .map(|reservation| {
            format!(
                "{}:{}",
                encode_line(&reservation.line),
                reservation.amount.get()
            )
        })
        .collect();
    parts.join(";")
}

pub fn decode_reservations(text: &str) -> Option<Vec<Reservation>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(';')
        .map(|part| {
            let (line, value) = part.rsplit_once(':')?;
            Some(Reservation {
                line: decode_line(line),
                amount: amount(value)?,
            })
        })
        .collect()
}

/// `grant:amount;…`
pub fn encode_drawn(drawn: &[(String, Millicredits)]) -> String {
    let parts: Vec<String> = drawn
        .iter()
        .map(|(grant_id, take)| format!("{grant_id}:{}", take.get()))
        .collect();
    parts.join(";")
}

pub fn decode_drawn(text: &str) -> Option<Vec<(String, Millicredits)>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(';')
        .map(|part| {
            let (grant_id, value) = part.rsplit_once(':')?;
            Some((grant_id.to_string(), amount(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip() {
        let postings = vec![
            Posting {
                line: Line::Grant("grant_ab".into()),
                remaining_delta: Millicredits::new(-7_000),
                reserved_delta: Millicredits::new(0),
            },
            Posting {
                line: Line::Overdraft,
                remaining_delta: Millicredits::new(-300),
                reserved_delta: Millicredits::new(12),
            },
        ];
        assert_eq!(decode_postings(&encode_postings(&postings)), Some(postings));
        assert_eq!(decode_postings(""), Some(Vec::new()));
        assert_eq!(decode_postings("x:1"), None);
    }

    #[test]
    fn reservations_and_drawn_round_trip() {
        let reservations = vec![
            Reservation {
                line: Line::Grant("grant_a".into()),
                amount: Millicredits::new(5),
            },
            Reservation {
                line: Line::Overdraft,
                amount: Millicredits::new(7),
            },
        ];
        assert_eq!(
            decode_reservations(&encode_reservations(&reservations)),
            Some(reservations)
        );
        let drawn = vec![("grant_a".to_string(), Millicredits::new(3))];
        assert_eq!(decode_drawn(&encode_drawn(&drawn)), Some(drawn));
    }
}

//! The compact text forms of the small lists stored in one column: postings, reservations, the
//! grants a charge drew from and a subscription's period grants. `~` names the overdraft line. Every backend stores the same
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

/// `;` between items. (The encoders write straight into one string: they run for every
/// entry a batch writes.)
fn separate(text: &mut String) {
    if !text.is_empty() {
        text.push(';');
    }
}

/// `:` and the amount in millicredits.
fn push_amount(text: &mut String, amount: Millicredits) {
    use std::fmt::Write;
    text.push(':');
    write!(text, "{}", amount.get()).expect("writing to a String cannot fail");
}

fn amount(text: &str) -> Option<Millicredits> {
    text.parse().ok().map(Millicredits::new)
}

/// `grant:remaining_delta:reserved_delta;…`
pub fn encode_postings(postings: &[Posting]) -> String {
    let mut text = String::with_capacity(postings.len() * 64);
    for posting in postings {
        separate(&mut text);
        text.push_str(encode_line(&posting.line));
        push_amount(&mut text, posting.remaining_delta);
        push_amount(&mut text, posting.reserved_delta);
    }
    text
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
    let mut text = String::with_capacity(reservations.len() * 48);
    for reservation in reservations {
        separate(&mut text);
        text.push_str(encode_line(&reservation.line));
        push_amount(&mut text, reservation.amount);
    }
    text
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
    let mut text = String::with_capacity(drawn.len() * 48);
    for (grant_id, take) in drawn {
        separate(&mut text);
        text.push_str(grant_id);
        push_amount(&mut text, *take);
    }
    text
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

/// `id;id;…` (a subscription's period grants).
pub fn encode_ids(ids: &[String]) -> String {
    ids.join(";")
}

pub fn decode_ids(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|id| !id.is_empty())
        .map(str::to_string)
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

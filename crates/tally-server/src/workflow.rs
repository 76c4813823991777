//! A workflow run's cost before it starts (API.md "Quotes: the cheaper choice, the next
//! reset"): `usage` as a list of 1 to 100 descriptors, every step priced on the same rate
//! card, the run's cost the sum of the steps'. A quote of a list shows each step; a hold of a
//! list reserves the sum of the maxima, one budget the steps capture from in parts.
//!
//! The list's errors name the step: `usage[3].model`.

use serde_json::{Value, json};
use tally_core::Millicredits;
use tally_core::pricing::{self, Price, RateCard, Usage};

use crate::error::ApiError;
use crate::pricing::{numeric_lines, pricing_error, usage_error};
use crate::render;

/// The most steps a run's usage list may have (API.md: 1–100).
pub const WORKFLOW_STEPS_MAX: usize = 100;

/// A run's usage priced on one card: each step's price, and their sums.
pub struct PricedRun<'card> {
    pub steps: Vec<(Usage, Price<'card>)>,
    pub min: Millicredits,
    pub max: Millicredits,
}

/// Reads a run's list of usage descriptors (`value` is the JSON array of `usage`).
pub fn read_steps(value: &Value) -> Result<Vec<Usage>, ApiError> {
    let items = value
        .as_array()
        .expect("workflow: read_steps is given the array of `usage`");
    if items.is_empty() || items.len() > WORKFLOW_STEPS_MAX {
        return Err(ApiError::invalid_request(
            "usage",
            format!(
                "a list of usage takes 1 to {WORKFLOW_STEPS_MAX} descriptors, got {}",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let name = format!("usage[{index}]");
            if !item.is_object() {
                return Err(ApiError::invalid_json(
                    Some(&name),
                    format!("`{name}` must be an object"),
                ));
            }
            Usage::from_json(item).map_err(|error| usage_error(error, &format!("{name}.")))
        })
        .collect()
}

/// Prices every step on `card`; the run's `min` and `max` are the sums of the steps'.
pub fn price_run(card: &RateCard, steps: Vec<Usage>) -> Result<PricedRun<'_>, ApiError> {
    let too_large = || {
        ApiError::invalid_request(
            "usage",
            "the run's total is over the largest amount (1e12 credits)",
        )
    };
    let (mut min, mut max) = (Millicredits::ZERO, Millicredits::ZERO);
    let mut priced = Vec::with_capacity(steps.len());
    for (index, usage) in steps.into_iter().enumerate() {
        let price = pricing::price(card, &usage)
            .map_err(|error| pricing_error(error, &format!("usage[{index}].")))?;
        min = min
            .checked_add(price.min())
            .filter(|sum| sum.is_within_api_range())
            .ok_or_else(too_large)?;
        max = max
            .checked_add(price.max())
            .filter(|sum| sum.is_within_api_range())
            .ok_or_else(too_large)?;
        priced.push((usage, price));
    }
    Ok(PricedRun {
        steps: priced,
        min,
        max,
    })
}

impl PricedRun<'_> {
    /// Whether every step is exact (no upper bounds).
    pub fn exact(&self) -> bool {
        self.min == self.max
    }

    /// The run's usage, as the list it was read from (normalized).
    pub fn usage_json(&self) -> Value {
        Value::Array(
            self.steps
                .iter()
                .map(|(usage, _)| usage.to_json())
                .collect(),
        )
    }

    /// `items: [{usage, cost: {min, max}, lines}]`, one per step, in order.
    pub fn items_json(&self) -> Value {
        Value::Array(
            self.steps
                .iter()
                .map(|(usage, price)| {
                    json!({
                        "usage": usage.to_json(),
                        "cost": {
                            "min": render::credits(price.min()),
                            "max": render::credits(price.max()),
                        },
                        "lines": numeric_lines(price.lines_json()),
                    })
                })
                .collect(),
        )
    }

    /// What every step says alike (`product` or `member`), if they all say the same.
    pub fn common(&self, field: impl Fn(&Usage) -> Option<&String>) -> Option<String> {
        let mut values = self.steps.iter().map(|(usage, _)| field(usage));
        let first = values.next()??;
        values
            .all(|value| value == Some(first))
            .then(|| first.clone())
    }
}

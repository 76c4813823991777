//! How long pricing one usage descriptor takes: a quote is on every action's hot path. And
//! how long the cheaper choice takes on a card of thousands of models (the LiteLLM list kept
//! with the tests, imported): a quote with `alternatives: true` and a usage-priced 402 pay it.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tally_core::pricing::{
    Action, ImportOptions, Quality, Usage, cheaper_alternatives, default_card, import_litellm,
    parse_document_value, price,
};

fn pricing(criterion: &mut Criterion) {
    let card = default_card();

    let mut chat = Usage::new(Action::Chat, "claude-sonnet-4-5");
    chat.input_tokens = Some(1_200);
    chat.cached_input_tokens = Some(300);
    chat.max_output_tokens = Some(4_096);
    criterion.bench_function("price chat (max_output_tokens)", |bencher| {
        bencher.iter(|| price(black_box(&card), black_box(&chat)).map(|price| price.max()));
    });

    let mut image = Usage::new(Action::Image, "gpt-image-1");
    image.width = Some(1_024);
    image.height = Some(1_536);
    image.quality = Some(Quality::High);
    image.count = Some(2);
    criterion.bench_function("price image (size tier, quality)", |bencher| {
        bencher.iter(|| price(black_box(&card), black_box(&image)).map(|price| price.max()));
    });

    let json = serde_json::json!({
        "action": "chat", "model": "gpt-4o", "input_tokens": 1200, "output_tokens": 350
    });
    criterion.bench_function("read usage JSON and price it", |bencher| {
        bencher.iter(|| {
            let usage = Usage::from_json(black_box(&json)).expect("a valid usage");
            price(black_box(&card), &usage).map(|price| price.max())
        });
    });
}

fn alternatives(criterion: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/litellm_model_prices.json"
    );
    let text = std::fs::read_to_string(path).expect("the LiteLLM list kept with the tests");
    let report = import_litellm(&text, &ImportOptions::default()).expect("the import");
    let card = parse_document_value(&report.document)
        .expect("the imported document")
        .into_card(2, "2026-11-24T00:00:00Z");
    let chat_models = card
        .items()
        .iter()
        .filter(|item| item.action() == Action::Chat)
        .count();
    for model in ["gpt-4o", "claude-sonnet-4-5"] {
        let mut chat = Usage::new(Action::Chat, model);
        chat.input_tokens = Some(12_000);
        chat.output_tokens = Some(3_500);
        let quoted = price(&card, &chat).expect("priced").max();
        let name = format!(
            "alternatives of {model} among {chat_models} chat models ({} items)",
            card.items().len()
        );
        criterion.bench_function(&name, |bencher| {
            bencher.iter(|| {
                cheaper_alternatives(black_box(&card), black_box(&chat), quoted, None).len()
            });
        });
    }
}

criterion_group!(benches, pricing, alternatives);
criterion_main!(benches);

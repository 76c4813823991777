//! How long pricing one usage descriptor takes: a quote is on every action's hot path.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tally_core::pricing::{Action, Quality, Usage, default_card, price};

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

criterion_group!(benches, pricing);
criterion_main!(benches);

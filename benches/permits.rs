//! Criterion benchmarks of the permit path's pure functions: token sign and verify, QR encode, PNG render.

use std::hint::black_box;

use borderpass::crypto::permit_token::{self, PermitClaims};
use borderpass::crypto::signing_key::PermitSigningKey;
use borderpass::qr;
use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};

/// The longest token there is: a 39-character name, ten-digit instants.
fn worst_case_claims() -> PermitClaims {
    PermitClaims {
        sub: "01a229ac-bbcd-7269-bc1b-4af2ae16d308".into(),
        nbf: 4_102_444_800,
        exp: 4_105_123_200,
        n: PermitClaims::name_claim("WOLFESCHLEGELSTEINHAUSENBERGERDORFF", "HUBERT BLAINE"),
        c: "KAZ".into(),
        b: "19900131".into(),
    }
}

fn permits(c: &mut Criterion) {
    let key = PermitSigningKey::generate().expect("key");
    let public = key.public_key();
    let claims = worst_case_claims();
    let token = permit_token::sign(&claims, &key).expect("sign");
    let at = Utc
        .timestamp_opt(4_103_000_000, 0)
        .single()
        .expect("instant");

    c.bench_function("token_sign", |b| {
        b.iter(|| permit_token::sign(black_box(&claims), &key).expect("sign"))
    });
    c.bench_function("token_verify", |b| {
        b.iter(|| {
            permit_token::verify(black_box(&token), |_| Some(public.clone()), at).expect("valid")
        })
    });
    c.bench_function("qr_encode_worst_case", |b| {
        b.iter(|| qr::encode(black_box(token.as_bytes())).expect("qr"))
    });
    c.bench_function("png_render_worst_case_scale_8", |b| {
        b.iter(|| qr::png(black_box(token.as_bytes()), qr::DEFAULT_SCALE).expect("png"))
    });
}

criterion_group!(benches, permits);
criterion_main!(benches);
